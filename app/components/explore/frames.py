"""Explore for a ConvLSTM frame model: frames over time, every gate's maps per channel at a step
(and animated over the steps), and one pixel's unit with the unit and step-through views.

The recording is an ordinary Trace (units = channel x height x width), so the unit and
step-through views are the ones every other model uses; only the pictures are new.
"""

from __future__ import annotations

import streamlit as st

from app import state
from app.components.explore.export import plotly_config
from app.components.explore.step import render_step_through
from app.components.explore.unit import render_unit
from app.resources import ModelRef, frame_figures, record_frames
from app.text import escape_markdown

VIEWS = {"maps": "🖼️ Gate maps", "unit": "📈 Unit", "step": "⏯️ Step-through"}
MAX_FRAMES = 20


def render_frames_explore(ref: ModelRef, key: str) -> None:
    """The whole Explore page for a frame model (widgets keyed ``<key>.<what>``)."""
    st.caption(
        "A ConvLSTM reads one frame per step: every gate and state is a picture "
        "(channels × height × width). Pick a sequence, a step and a pixel."
    )
    top = st.columns([1, 1, 1])
    with top[0]:
        seed = st.number_input(
            "Sequence", 0, 9_999, 0, key=f"{key}.seed", help="which generated sequence to read"
        )
    with top[1]:
        steps = st.slider("Frames", 4, MAX_FRAMES, 12, key=f"{key}.frames")
    try:
        recording = record_frames(ref, int(seed), int(steps))
    except ValueError as error:  # e.g. a frame model that reads more than one channel
        st.error(f"The model cannot read these frames: {escape_markdown(error)}", icon="🚫")
        st.stop()
    trace = recording.trace
    channels, height, width = trace.config["spatial_shape"]
    with top[2]:
        layer = 0
        if trace.num_layers > 1:
            layer = st.selectbox("Layer", range(trace.num_layers), key=f"{key}.layer")
    step_key = f"{key}.frame_step"
    handed = state.take(state.EXPLORE_FRAME)  # Learn's stop: its step and channel
    if handed:
        st.session_state[step_key] = min(int(handed["step"]), int(steps) - 1)
        st.session_state[f"{key}.channel"] = min(int(handed["channel"]), channels - 1)
    if st.session_state.get(step_key, 0) >= steps:
        st.session_state[step_key] = steps - 1
    step = st.slider("Step", 0, int(steps) - 1, key=step_key, persist_state="session")
    pick = st.columns(3)
    with pick[0]:
        channel = st.number_input("Channel", 0, channels - 1, key=f"{key}.channel")  # from 0
    with pick[1]:
        row = st.number_input("Row", 0, height - 1, height // 2, key=f"{key}.row")
    with pick[2]:
        column = st.number_input("Column", 0, width - 1, width // 2, key=f"{key}.column")
    pixel = (int(channel), int(row), int(column))
    animate = bool(st.session_state.get(f"{key}.animate", False))
    strip, maps, unit = frame_figures(
        ref, int(seed), int(steps), int(layer), int(step), pixel, animate
    )
    st.plotly_chart(strip, key=f"{key}.strip", config=plotly_config(f"{key}.strip"))
    view = st.radio(
        "View",
        list(VIEWS),
        format_func=VIEWS.get,
        horizontal=True,
        key=f"{key}.frame_view",
        label_visibility="collapsed",
    )
    if view == "maps":
        st.toggle(
            "Animate over the steps",
            key=f"{key}.animate",
            help="Send every step's maps to the browser and play them there (a few MB)",
        )
        st.caption(
            f"Step {step}: one tile per channel, colour scales fixed over every step"
            + ("; ▶ play walks the steps in the browser" if animate else "")
            + ". The magenta cross marks the picked pixel."
        )
        st.plotly_chart(maps, key=f"{key}.maps", config=plotly_config(f"{key}.maps"))
    elif view == "unit":
        st.caption(f"Unit {unit}: channel {pixel[0]}, row {pixel[1]}, column {pixel[2]}.")
        render_unit(trace, layer, 0, unit, key=f"{key}.unit_view")
    else:
        st.caption(f"Unit {unit}: channel {pixel[0]}, row {pixel[1]}, column {pixel[2]}.")
        delay = st.session_state.get(state.PLAY_DELAY)
        render_step_through(trace, layer, 0, unit, key=f"{key}.steps", delay=delay)
