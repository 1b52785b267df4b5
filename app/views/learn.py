"""Learn: one LSTM cell to play with, the vanilla RNN beside it, why the cell keeps gradients
alive, guided tours on real models, exercises with checks, and links for a classroom."""

import streamlit as st

from app import classroom, state
from app.components.learn.dates_tour import render_dates_tour
from app.components.learn.ecg_tour import render_ecg_tour
from app.components.learn.exercises import render_depth_exercise, render_memory_exercise
from app.components.learn.link_builder import render_link_builder
from app.components.learn.navigation import TOURS
from app.components.learn.playground import render_playground
from app.components.learn.story import render_memory_story
from app.components.learn.tours import render_tour

SECTIONS = {
    "cell": "🎛️ The cell",
    "tours": "🧭 Guided tours",
    "exercises": "📝 Exercises",
    "link": "🏫 Classroom link",
}
VIEW_SECTIONS = {  # a link's view= -> the section it opens
    "cell": "cell",
    **{f"tour-{name}": "tours" for name in TOURS},
    "exercises": "exercises",
    "link": "link",
}
SECTION_KEY = state.LEARN_SECTION
TOUR_KEY = state.LEARN_TOUR

st.title("🎓 Learn")

link = classroom.link_of_session()
view = link.get("view") if link.get("page") == "learn" else None
if view in VIEW_SECTIONS:
    # A classroom link chose the view: open it once (the student may move on from there).
    if not st.session_state.get(state.LEARN_VIEW_OPENED):
        st.session_state[state.LEARN_VIEW_OPENED] = True
        st.session_state[SECTION_KEY] = VIEW_SECTIONS[view]
        if view.startswith("tour-"):
            st.session_state[TOUR_KEY] = view.removeprefix("tour-")
st.session_state.setdefault(SECTION_KEY, "cell")

if classroom.controls_hidden():
    section = st.session_state[SECTION_KEY]
else:
    section = st.segmented_control(
        "Section",
        list(SECTIONS),
        format_func=SECTIONS.get,
        key=SECTION_KEY,
        required=True,
        label_visibility="collapsed",
        persist_state="session",
    )

if section != "tours":  # a tour writes its own view and stop (navigation.show_stop)
    # In a classroom session with the controls shown (present=1), the address follows the
    # section, so a reload reopens what the student moved to, not the link's first view.
    classroom.show_in_address("learn", view=section, step=None)

if section == "cell":
    st.markdown(
        "An LSTM unit keeps a **memory**, the cell state c, and three **gates** between 0 and 1 "
        "decide what happens to it at each step: the **forget gate** how much old memory stays, "
        "the **input gate** how much of the **candidate** is written, the **output gate** how "
        "much of the memory is shown as the hidden state h."
        + (
            ""
            if classroom.controls_hidden()
            else " Move the sliders and watch every number follow."
        )
    )
    render_playground()
    st.divider()
    render_memory_story()
elif section == "tours":
    st.markdown(
        "Short walks through a real model reading a real sentence. Every stop points at a unit "
        "the app found in the recording, not one picked by hand."
    )
    st.session_state.setdefault(TOUR_KEY, "cat")
    if not classroom.controls_hidden():
        st.radio(
            "Tour",
            list(TOURS),
            format_func=TOURS.get,
            horizontal=True,
            key=TOUR_KEY,
            persist_state="session",
        )
    if st.session_state[TOUR_KEY] == "dates":
        render_dates_tour()
    elif st.session_state[TOUR_KEY] == "ecg":
        render_ecg_tour()
    else:
        render_tour(st.session_state[TOUR_KEY])
elif section == "exercises":
    render_memory_exercise()
    st.divider()
    render_depth_exercise()
else:
    render_link_builder()
