"""Explore's share link: reopens the page on this model, input, layer, direction and view."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from app import links

# Above the link of an uploaded model (app.classroom.why_missing says it where the link opens).
UPLOADED_LINK = (
    "Uploads last only for this browser tab, so this link opens the model only here; for a "
    "class, train the model or save it in the models folder instead."
)


def share_link(link: dict[str, Any]) -> str:
    """The page's address (when a browser is connected) followed by ``link``'s query string."""
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # no browser behind this run (AppTest)
        base = ""
    if base and urlsplit(base).path == "":
        base += "/"  # http://host:8501 -> http://host:8501/
    text = link.get("text")
    if text is not None and len(text) > links.MAX_TEXT:
        link = {**link, "text": text[: links.MAX_TEXT]}
    return base + links.query_string(**link)


def render_share(link: dict[str, Any], key: str) -> None:
    """A shareable link that reopens Explore on this model, input, layer, direction and view."""
    with st.expander("🔗 Share this view", expanded=False, key=f"{key}.share"):
        if str(link.get("model") or "").startswith("uploaded/"):
            st.warning(UPLOADED_LINK, icon="⚠️")
        st.code(share_link(link), language=None, wrap_lines=True)
        note = ""
        if len(link.get("text") or "") > links.MAX_TEXT:
            note = f" The link keeps the first {links.MAX_TEXT:,} characters of the input."
        st.caption("Opens Explore on this model, input, layer, direction, unit and view." + note)
