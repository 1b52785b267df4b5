"""Classroom mode: a shared link opens a page, model and input, can hide the controls, and can
enlarge the type for a projector.

The entrypoint calls ``read_link()`` before the sidebar (so the linked model is selected),
``open_linked_page(page)`` after ``st.navigation`` (it switches to the linked page once per
session), and ``apply_style()`` on every run (hidden controls stay hidden across reruns: the link
lives in ``state.LINK`` for the whole session). Pages ask ``controls_hidden()`` before drawing
their control widgets.
"""

from __future__ import annotations

import streamlit as st

from app import links, state
from app.text import escape_markdown

EXPLORE_CONTROLS = "explore-controls"  # the key of Explore's picker container
HIDE_CSS = f"""
.st-key-{EXPLORE_CONTROLS} {{ display: none !important; }}
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"],
[data-testid="stSidebarNav"] {{ display: none !important; }}
"""
PRESENT_CSS = """
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li,
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 1.45rem !important;
  line-height: 1.55 !important; }
[data-testid="stMain"] h1 { font-size: 3.4rem !important; }
[data-testid="stMain"] h2 { font-size: 2.5rem !important; }
[data-testid="stMain"] h3 { font-size: 2.0rem !important; }
[data-testid="stMain"] .katex { font-size: 1.5em !important; }
[data-testid="stMain"] button p { font-size: 1.3rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"] * { font-size: 3rem !important; }
"""


def read_link() -> dict:
    """Read the query parameters once per session into ``state.LINK`` and hand the linked model
    and text to the sidebar and Explore. Returns the session's link."""
    if not st.session_state.get(state.LINK_READ):
        st.session_state[state.LINK_READ] = True
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        # A link set before the first run (a test, another page) stands when the address has none.
        link = links.parse(params) or st.session_state.get(state.LINK) or {}
        st.session_state[state.LINK] = link
        if link.get("model"):
            from app.resources import find_model

            if find_model(link["model"]) is None:
                state.hand_off(
                    state.LINK_NOTICE,
                    f"This link asks for the model **{escape_markdown(link['model'], 80)}**, "
                    "which is not on this server: showing another one.",
                )
            else:
                state.hand_off(state.SELECT_MODEL, link["model"])
        if link.get("text"):
            state.hand_off(state.EXPLORE_INPUT, link["text"])
        # layer, direction, unit, step and view: Explore reads them from state.LINK itself.
    return link_of_session()


def link_of_session() -> dict:
    """The link this session was opened with ({} when none)."""
    return st.session_state.get(state.LINK) or {}


def open_linked_page(current) -> None:
    """Switch to the link's page once per session (``current``: what st.navigation returned).
    The query parameters stay in the address, so a reload keeps the classroom view."""
    if st.session_state.get(state.PAGE_OPENED):
        return
    st.session_state[state.PAGE_OPENED] = True
    wanted = link_of_session().get("page")
    if wanted and wanted != current.title.lower():
        st.switch_page(f"views/{wanted}.py", query_params=st.query_params.to_dict())


def controls_hidden() -> bool:
    """True when the session's link asked to hide the controls (``hide=1``)."""
    return bool(link_of_session().get("hide"))


def presenting() -> bool:
    """True when the session's link asked for the presenter view (``present=1``)."""
    return bool(link_of_session().get("present"))


def apply_style() -> None:
    """Hide the sidebar (``hide=1``) and enlarge the type (``present=1``) on this run; show a
    one-time notice about the link."""
    notice = state.take(state.LINK_NOTICE)
    if notice:
        st.toast(notice, icon="⚠️")
    css = (HIDE_CSS if controls_hidden() else "") + (PRESENT_CSS if presenting() else "")
    if css:
        st.html(f"<style>{css}</style>")


def full_url(query: str) -> str:
    """The address of this app with ``query`` ("?page=..."): from ``st.context.url`` where this
    Streamlit knows it, else relative ("/?page=...")."""
    base = ""
    url = getattr(st.context, "url", None)
    if url:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            base = f"{parts.scheme}://{parts.netloc}"
    return f"{base}/{query}"
