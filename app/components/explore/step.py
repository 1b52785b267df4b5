"""Explore's Step-through view: the cell at step t with its numbers; step, or play and pause.

While playing, the view is a fragment that reruns itself every ``pause`` seconds (Streamlit's
``run_every``) and shows the next step each time: the slider follows the step shown, and the
Play button turns into Pause. Play and Pause start and stop the timer with one full rerun.
"""

from __future__ import annotations

import math
import time

import pandas as pd
import streamlit as st

from app import classroom
from app.components.explore.export import plotly_config
from app.components.explore.share import render_share
from app.text import escape_markdown
from lstm_viz import Trace
from lstm_viz.analysis.scales import scale_sentence
from lstm_viz.figures.causal import TERM_WORDS
from lstm_viz.figures.colours import layer_scale
from lstm_viz.figures.step import step_diagram, step_equations, step_numbers, step_sentences
from lstm_viz.quantities import label

PLAY_DELAY_S = 0.6  # seconds per step while playing
MIN_DELAY_S = 0.2  # the timer's floor: long inputs skip steps rather than tick faster
PLAY_SECONDS = 30  # about how long a whole walk takes at most


def play_pace(steps: int, delay: float | None) -> tuple[float, int]:
    """(seconds per tick, steps per tick) for a walk over ``steps`` steps: PLAY_DELAY_S per
    step, faster for long inputs so a walk takes about PLAY_SECONDS at most (never under
    MIN_DELAY_S per tick: then several steps per tick). ``delay`` (tests): seconds per step as
    given, one step per tick; 0 jumps straight to the end."""
    if delay is not None:
        return max(0.0, float(delay)), 1
    pause = max(MIN_DELAY_S, min(PLAY_DELAY_S, PLAY_SECONDS / max(steps, 1)))
    return pause, max(1, math.ceil(steps * pause / PLAY_SECONDS))


def render_step_through(
    trace: Trace,
    layer: int,
    direction: int,
    unit: int,
    key: str,
    delay: float | None = None,
    split=None,
    scales=None,
    share: dict | None = None,
) -> None:
    """A time slider, Back/Step buttons and Play/Pause; the cell at step t with its numbers;
    with ``split`` (lstm_viz.analysis.PreactivationSplit of the same input), each gate's
    pre-activation at t split into its terms. ``scales``: the model's fixed colour scales
    (app.resources.model_scales): the diagram's cell boxes take the heatmaps' colours, and a
    caption says which scale. ``share``: the Share link's fields (app.components.explore.share),
    drawn in the player with the step shown, since Step, Back and Play rerun only the player."""
    steps = int(trace.lengths[0])
    step_key, playing_key = f"{key}.step", f"{key}.playing"
    linked = st.session_state.pop(f"{key}.step_linked", None)  # a step a link asked for
    if st.session_state.get(step_key, 0) >= steps:
        if linked is not None and linked == st.session_state.get(step_key):
            classroom.link_out_of_range("step", linked, steps, steps - 1, where="input")
        st.session_state[step_key] = steps - 1
    if steps <= 1:
        st.session_state[playing_key] = False
    pause, stride = play_pace(steps, delay)
    ticking = bool(st.session_state.get(playing_key)) and pause > 0
    player = st.fragment(step_fragment, run_every=pause if ticking else None)
    player(trace, layer, direction, unit, key, steps, pause, stride, ticking, split, scales, share)


def unbounded_of(trace: Trace) -> str | None:
    """The quantity the step diagram colours on a model-dependent scale: an LSTM's cell state,
    an RNN's pre-activation; None for a GRU (every box on a fixed scale)."""
    return next((n for n in ("cell", "pre_activation") if n in trace.names), None)


PAGE_ORDER = ("forget_gate", "input_gate", "candidate", "output_gate")  # f, i, g, o: as the
# diagram, its sentences and equations read (the split itself is in PyTorch's i, f, g, o)


def _page_order(gate: str) -> int:
    return PAGE_ORDER.index(gate) if gate in PAGE_ORDER else len(PAGE_ORDER)


def split_table(split, layer: int, direction: int, unit: int, step: int) -> pd.DataFrame:
    """One row per gate, in the page's order (LSTM: f, i, g, o): its pre-activation's terms at
    ``step`` for ``unit``, and their sum."""
    rows = []
    for gate in sorted(split.gates, key=_page_order):
        terms = split.unit(gate, unit, layer, direction)
        row = {"gate": label(gate).split(" (")[0]}
        row.update({TERM_WORDS[t]: float(v[step]) for t, v in terms.items() if t != "total"})
        row["pre-activation"] = float(terms["total"][step])
        rows.append(row)
    return pd.DataFrame(rows)


def render_step(trace, layer, direction, unit, step, key, split=None, scales=None) -> None:
    numbers = step_numbers(trace, layer, direction, unit, step)
    quantity = unbounded_of(trace)
    scale = layer_scale(trace, quantity, layer, direction, scales) if quantity else None
    # The diagram takes the page's width, the words go below it: beside them (3/5 of the
    # width) its boxes were too narrow for "candidate g" and "+ memory c" in a 1024-px window,
    # and with present=1 (type 1.5x larger) at 1300 px too.
    st.plotly_chart(
        classroom.on_screen(step_diagram(numbers, scale)),
        key=f"{key}.diagram",
        config=plotly_config(key),
    )
    if quantity:
        st.caption("🎨 " + scale_sentence(quantity, layer, direction, scales))
    left, right = st.columns([3, 2])
    left.markdown("\n".join(f"- {escape_markdown(s)}" for s in step_sentences(numbers)))
    right.code("\n".join(step_equations(numbers)), language=None, wrap_lines=True)
    if split is not None:
        st.caption("Why each gate moved: its pre-activation at this step, term by term.")
        table = split_table(split, layer, direction, unit, step)
        st.dataframe(
            table,
            hide_index=True,
            key=f"{key}.split",
            column_config={  # 3 decimals, as the diagram and the equations beside it
                c: st.column_config.NumberColumn(format="%.3f") for c in table.columns[1:]
            },
        )


def step_fragment(
    trace: Trace,
    layer: int,
    direction: int,
    unit: int,
    key: str,
    steps: int,
    pause: float,
    stride: int,
    ticking: bool,
    split=None,
    scales=None,
    share: dict | None = None,
) -> None:
    """One run of the player: move on one tick if playing, then the slider, the buttons and the
    cell at the step, and the Share link (``share``) at that step. ``ticking``: this fragment was
    set up with the timer running."""
    state = st.session_state
    step_key, playing_key, tick_key = f"{key}.step", f"{key}.playing", f"{key}.tick"
    playing = bool(state.get(playing_key))
    if playing and pause == 0:  # no animation: straight to the end
        state[step_key], state[playing_key], playing = steps - 1, False, False
    elif playing != ticking:  # Play or Pause was pressed: start or stop the timer
        st.rerun()
    elif playing and time.monotonic() - state.get(tick_key, 0.0) >= 0.8 * pause:
        # A tick of the timer (not another widget's rerun): the next step.
        state[tick_key] = time.monotonic()
        state[step_key] = min(int(state.get(step_key, 0)) + stride, steps - 1)
        if state[step_key] >= steps - 1:
            state[playing_key] = False  # at the end: the next tick stops the timer

    def advance(by: int) -> None:
        state[playing_key] = False
        state[step_key] = (int(state.get(step_key, 0)) + by) % steps

    def play_or_pause() -> None:
        if state.get(playing_key):
            state[playing_key] = False
            return
        if int(state.get(step_key, 0)) >= steps - 1:
            state[step_key] = 0  # at the end: play from the start
        state[playing_key], state[tick_key] = True, time.monotonic()

    if steps == 1:
        state[step_key] = 0
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
        playing = bool(state.get(playing_key))
        buttons[2].button(
            "⏸ Pause" if playing else "⏯ Play",
            key=f"{key}.play",
            on_click=play_or_pause,
            help="Pause the walk." if playing else "Walk through the steps to the end.",
        )
    render_step(trace, layer, direction, unit, int(state.get(step_key, 0)), key, split, scales)
    if share is not None:
        render_share({**share, "step": int(state.get(step_key, 0))}, key)
