"""Explore's Step-through view: the cell at step t with its numbers; step, or play to the end."""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
import streamlit as st

from app.components.explore.export import plotly_config
from app.text import escape_markdown
from lstm_viz import Trace
from lstm_viz.figures.causal import TERM_WORDS
from lstm_viz.figures.step import step_diagram, step_equations, step_numbers, step_sentences
from lstm_viz.quantities import label

PLAY_DELAY_S = 0.6  # seconds per step while playing


def render_step_through(
    trace: Trace,
    layer: int,
    direction: int,
    unit: int,
    key: str,
    delay: float | None = None,
    split=None,
) -> None:
    """A time slider, a step button and a play button; the cell at step t with its numbers;
    with ``split`` (lstm_viz.analysis.PreactivationSplit of the same input), each gate's
    pre-activation at t split into its terms."""
    steps = int(trace.lengths[0])
    step_key = f"{key}.step"
    if st.session_state.get(step_key, 0) >= steps:
        st.session_state[step_key] = steps - 1

    def advance(by: int) -> None:
        st.session_state[step_key] = (st.session_state.get(step_key, 0) + by) % steps

    def play() -> None:
        st.session_state[f"{key}.playing"] = True

    step_fragment(trace, layer, direction, unit, key, steps, advance, play, delay, split)


def split_table(split, layer: int, direction: int, unit: int, step: int) -> pd.DataFrame:
    """One row per gate: its pre-activation's terms at ``step`` for ``unit``, and their sum."""
    rows = []
    for gate in split.gates:
        terms = split.unit(gate, unit, layer, direction)
        row = {"gate": label(gate).split(" (")[0]}
        row.update({TERM_WORDS[t]: float(v[step]) for t, v in terms.items() if t != "total"})
        row["pre-activation"] = float(terms["total"][step])
        rows.append(row)
    return pd.DataFrame(rows)


def render_step(trace, layer, direction, unit, step, key, slot, split=None) -> None:
    numbers = step_numbers(trace, layer, direction, unit, step)
    with slot.container():
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(
                step_diagram(numbers), key=f"{key}.diagram.{step}", config=plotly_config(key)
            )
        with right:
            st.markdown("\n".join(f"- {escape_markdown(s)}" for s in step_sentences(numbers)))
            st.code("\n".join(step_equations(numbers)), language=None, wrap_lines=True)
        if split is not None:
            st.caption("Why each gate moved: its pre-activation at this step, term by term.")
            st.dataframe(
                split_table(split, layer, direction, unit, step),
                hide_index=True,
                key=f"{key}.split.{step}",
            )


@st.fragment
def step_fragment(
    trace: Trace,
    layer: int,
    direction: int,
    unit: int,
    key: str,
    steps: int,
    advance: Callable[[int], None],
    play: Callable[[], None],
    delay: float | None,
    split=None,
) -> None:
    step_key = f"{key}.step"
    controls = st.container()  # drawn after a walk, so the slider can end where the walk did
    slot = st.empty()
    if st.session_state.pop(f"{key}.playing", False):
        start = min(int(st.session_state.get(step_key, 0)), steps - 1)
        start = 0 if start >= steps - 1 else start  # at the end: play from the start
        # At most about 30 s for the whole walk: long inputs step faster.
        pause = min(PLAY_DELAY_S, 30 / (steps - start)) if delay is None else delay
        for t in range(start, steps):  # a click on any widget stops the walk (it reruns)
            render_step(trace, layer, direction, unit, t, f"{key}.play.{t}", slot, split)
            time.sleep(pause)
        st.session_state[step_key] = steps - 1
        played = True
    else:
        played = False
    with controls:
        if steps == 1:
            st.session_state[step_key] = 0
            st.caption("One step: nothing to step through.")
        else:
            st.slider(
                "Step t",
                0,
                steps - 1,
                key=step_key,
                help="The step whose numbers the cell shows (also marked on the unit's lines).",
                persist_state="session",
            )
        buttons = st.columns([1, 1, 1, 5])
        buttons[0].button("◀ Back", key=f"{key}.step_back", on_click=advance, args=(-1,))
        buttons[1].button("Step ▶", key=f"{key}.step_next", on_click=advance, args=(1,))
        buttons[2].button(
            "⏯ Play", key=f"{key}.play", on_click=play, help="Walk through the steps to the end."
        )
    if not played:
        step = int(st.session_state.get(step_key, 0))
        render_step(trace, layer, direction, unit, step, key, slot, split)
