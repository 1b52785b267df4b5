"""A page that is planned but not built yet: what it will do, in a few cards."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def render_planned_page(
    title: str, icon: str, summary: str, features: Sequence[tuple[str, str, str]]
) -> None:
    """Title, a one-paragraph summary, a "coming soon" badge, and one card per planned feature.

    features: (emoji, name, one-line description) for each card.
    """
    st.title(f"{icon} {title}")
    st.badge("Coming soon", icon="🚧", color="orange")
    st.markdown(summary)
    columns = st.columns(len(features))
    for column, (emoji, name, text) in zip(columns, features, strict=True):
        with column.container(border=True, height="stretch"):
            st.markdown(f"#### {emoji} {name}")
            st.markdown(text)
