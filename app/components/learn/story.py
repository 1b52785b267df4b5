"""The memory story: a signal at step 0, then a gap; what an LSTM and an RNN still hold of it."""

from __future__ import annotations

import time

import streamlit as st

from app import classroom
from app.components.heatmaps import PLOTLY_CONFIG
from app.components.learn.playground import slider
from app.resources import (
    memory_story,
)
from lstm_viz.learn.memory_story import memory_figure, story_sentence


def render_memory_story(key: str = "learn.story") -> None:
    """A signal at step 0, then a gap: what the LSTM and the RNN still hold of it, step by step."""
    st.markdown("#### ⏳ Why the cell state keeps gradients alive")
    hidden = classroom.controls_hidden()
    st.markdown(
        "Both cells read a **1** at step 0, then zeros. The LSTM writes it into its cell; after "
        "that only its **forget gate** decides how much stays: each step multiplies the memory "
        "(and the gradient flowing back to step 0) by f. The RNN must push it through "
        "tanh(w·h) at every step: each step multiplies by w·tanh′, below 1 unless w > 1, and it "
        "fades (with w > 1 it saturates instead, and tanh′ near 0 kills the gradient"
        + (")." if hidden else ": try it).")
    )
    get = st.session_state.get
    gap, bias, weight = get(f"{key}.gap", 30), get(f"{key}.bias", 3.0), get(f"{key}.w", 0.9)
    if not hidden:
        columns = st.columns(3)
        with columns[0]:
            st.session_state.setdefault(f"{key}.gap", 30)
            gap = st.slider("gap (steps)", 5, 80, key=f"{key}.gap", persist_state="session")
        with columns[1]:
            bias = slider("LSTM forget bias", -2.0, 8.0, 3.0, f"{key}.bias")
        with columns[2]:
            weight = slider("RNN recurrent weight", -2.0, 2.0, 0.9, f"{key}.w")
    story = memory_story(int(gap), float(bias), float(weight))

    step_key = f"{key}.step"
    st.session_state.setdefault(step_key, story.steps - 1)
    if st.session_state[step_key] > story.steps - 1:
        st.session_state[step_key] = story.steps - 1
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    with left:
        step = st.slider("step", 0, story.steps - 1, key=step_key, persist_state="session")
    with right:
        play = st.button("▶ Play", key=f"{key}.play", width="stretch")
    chart, words = st.empty(), st.empty()
    shown = range(0, story.steps) if play else [step]
    for t in shown:
        chart.plotly_chart(
            classroom.on_screen(memory_figure(story, t)),
            key=f"{key}.chart.{t}",
            config=PLOTLY_CONFIG,
        )
        words.markdown(story_sentence(story, t))
        if play:
            time.sleep(0.12)
    st.markdown(
        "Gradient of the last step's state flowing back to step 0's state (∂c_T/∂c₀ and "
        "∂h_T/∂h₀: from step 0's memory on, so not the strength above, which also counts how "
        "much of the input step 0 wrote): "
        f"**{story.lstm_gradient[0]:.3g}** through the LSTM's cell (the product of its "
        f"forget gates: {story.forget_product[0]:.3g}) against "
        f"**{story.rnn_gradient[0]:.3g}** through the RNN. "
        "Learning that step 0 mattered needs that gradient."
    )
