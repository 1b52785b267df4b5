"""The classroom link builder: page, view or model and input, hide controls, presenter view."""

from __future__ import annotations

import streamlit as st

from app import classroom, links, state
from app.components.learn.navigation import TOURS
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
    **{f"tour-{name}": f"Tour: {label}" for name, label in TOURS.items()},  # every tour
    "exercises": "📝 Exercises",
}
ONE_STOP = ("tour-frames",)  # tours of one stop: no "Start at stop"


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
                f"With the cell as it is now ({moved(len(setting))})",
                key=f"{key}.with_cell",
                disabled=not setting,
            ):
                params["cell"] = setting_to_text(setting) or None
        if params["view"].startswith("tour-") and params["view"] not in ONE_STOP:
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
    if local_only(url):
        st.warning(
            "This address is this computer's own: the students' machines cannot open it. Start "
            "the app with `--server.address 0.0.0.0` and give them `http://<this computer's "
            "address>:<port>/` with the same `?page=...` (find the address with `hostname -I`).",
            icon="🏠",
        )
    st.link_button("Open this link", url)


def local_only(url: str) -> bool:
    """Whether ``url`` names this computer only (localhost, 127.x, ::1), so no student can open
    it. A relative address ("/?page=...") says nothing: False."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def moved(count: int) -> str:
    """'no slider moved', '1 slider moved', '3 sliders moved'."""
    if count == 0:
        return "no slider moved"
    return f"{count} slider{'s' if count != 1 else ''} moved"
