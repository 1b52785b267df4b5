"""Learn's ConvLSTM tour stop: the forget gate keeps memory where the square will be, measured
on a recording of the shipped moving-shapes model (lstm_viz.learn.frame_tour)."""

from __future__ import annotations

import streamlit as st

from app import classroom, state
from app.components.heatmaps import PLOTLY_CONFIG
from app.components.learn.models import pick_model
from app.components.learn.navigation import show_stop
from app.resources import ModelRef, frame_figures, load_model, record_frames
from app.text import escape_markdown
from lstm_viz.figures.frames import gate_maps_figure
from lstm_viz.learn.frame_tour import forget_ahead_stop

FRAME_MODEL = "shipped/moving-shapes-convlstm"
STEPS = 12


def is_frame_model(ref: ModelRef) -> bool:
    try:
        return load_model(ref).model.config.cell == "conv_lstm"
    except (ValueError, OSError):
        return False


def render_frame_tour(key: str) -> None:
    st.markdown("#### 🖼️ Moving shapes: the forget gate keeps memory where the square will be")
    ref = pick_model(FRAME_MODEL, is_frame_model, key, "a ConvLSTM frame model")
    if ref is None:
        return
    recording = record_frames(ref, 0, STEPS)
    try:
        stop = forget_ahead_stop(recording.trace, recording.frames)
    except ValueError as error:
        st.error(escape_markdown(f"This stop cannot run on {ref.name}: {error}"), icon="🚫")
        return
    show_stop("frames", 0)  # one stop: a reload in class reopens this tour
    st.markdown(f"**{stop.title}**")
    st.markdown(stop.text)
    strip, _, _ = frame_figures(ref, 0, STEPS, stop.layer, stop.step, (stop.channel, 0, 0), False)
    st.plotly_chart(strip, key=f"{key}.frames", config=PLOTLY_CONFIG)
    maps = gate_maps_figure(recording.trace, stop.layer, stop.step, names=["forget_gate"])
    st.plotly_chart(maps, key=f"{key}.forget", config=PLOTLY_CONFIG)
    st.caption(
        f"Frame {stop.step} is outlined above; compare channel {stop.channel}'s forget-gate map "
        f"with frame {stop.step + 1}. Explore walks every step and every gate."
    )
    if st.button("🔍 Open in Explore at this step", key=f"{key}.explore"):
        state.hand_off(state.EXPLORE_FRAME, {"step": stop.step, "channel": stop.channel})
        state.hand_off(state.SELECT_MODEL, ref.id)
        classroom.switch_page("explore", model=ref.id)
