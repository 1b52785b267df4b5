"""The classroom link builder: page, view or model and input, hide controls, presenter view."""

from __future__ import annotations

import streamlit as st

from app import classroom, links, state
from app.components.learn.playground import current_setting
from app.resources import (
    all_models,
)
from lstm_viz.learn.cell_step import (
    setting_to_text,
)
from lstm_viz.learn.tours import (
    CAT_TEXT,
)

VIEWS = {
    "cell": "🎛️ The cell",
    "tour-cat": "🐈 Tour: the cat sat on the mat",
    "tour-agreement": "🧩 Tour: the cat, which was hungry",
    "exercises": "📝 Exercises",
}


def render_link_builder(key: str = "learn.link") -> None:
    """Compose a classroom link: page, view or model and input, hide controls, presenter view."""
    st.markdown("#### 🏫 A link for your class")
    st.markdown(
        "Pick what the students should see; send them the link (or open it on the projector). "
        "**Hide controls** removes the sidebar and the sliders, **presenter view** enlarges the "
        "type."
    )
    page = st.radio(
        "Page", ["learn", "explore"], format_func=str.capitalize, horizontal=True, key=f"{key}.page"
    )
    params: dict = {"page": page}
    if page == "learn":
        params["view"] = st.selectbox("View", list(VIEWS), format_func=VIEWS.get, key=f"{key}.view")
        if params["view"] == "cell":
            setting = current_setting("learn.cell")
            if st.checkbox(
                f"With the cell as it is now ({len(setting)} slider(s) moved)",
                key=f"{key}.with_cell",
                disabled=not setting,
            ):
                params["cell"] = setting_to_text(setting) or None
        if params["view"].startswith("tour-"):
            stop = st.number_input("Start at stop", 1, 10, 1, key=f"{key}.stop")
            params["step"] = int(stop) - 1 or None
    else:
        models = [ref.id for ref in all_models() if ref.source != "uploaded"]
        if models:
            current = state.choices().get("model")
            st.session_state.setdefault(f"{key}.model", current if current in models else models[0])
            params["model"] = st.selectbox("Model", models, key=f"{key}.model")
        st.session_state.setdefault(f"{key}.text", CAT_TEXT)
        params["text"] = st.text_input("Input", key=f"{key}.text") or None
    columns = st.columns(2)
    params["hide"] = columns[0].checkbox("Hide controls", key=f"{key}.hide")
    params["present"] = columns[1].checkbox("Presenter view (large type)", key=f"{key}.present")
    url = classroom.full_url(links.query_string(**params))
    st.code(url, language=None)
    st.link_button("Open this link", url)
