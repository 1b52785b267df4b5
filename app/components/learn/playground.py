"""The Learn page's cell playground: one LSTM cell with sliders, its diagram, equations and
sentences, and a vanilla RNN step beside it. Widget keys are ``<key>.<what>``; with a classroom
link that hides controls (``hide=1``) the values come from session state or the defaults."""

from __future__ import annotations

import math
from dataclasses import asdict

import streamlit as st

from app import classroom
from lstm_viz.learn.cell_step import (
    CellParams,
    RNNParams,
    equations,
    lstm_step,
    rnn_equation,
    rnn_sentence,
    rnn_step,
    sentences,
    setting_from_text,
)
from lstm_viz.learn.diagram import cell_diagram

GATE_TITLES = {
    "forget": "Forget gate",
    "input": "Input gate",
    "candidate": "Candidate",
    "output": "Output gate",
}
GATE_EMOJI = {"forget": "🧹", "input": "✍️", "candidate": "💡", "output": "📢"}
SYMBOL = {"forget": "f", "input": "i", "candidate": "g", "output": "o"}
PART_LABELS = {"x": "weight on x", "h": "weight on h_prev", "bias": "bias"}
INPUT_RANGES = {"x": (-2.0, 2.0, 1.0), "h_prev": (-1.0, 1.0, 0.0), "c_prev": (-3.0, 3.0, 0.5)}
INPUT_LABELS = {
    "x": "input x",
    "h_prev": "previous hidden h_prev",
    "c_prev": "previous cell c_prev",
}
WEIGHT_RANGE = (-6.0, 6.0)
TRACE_NAMES = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")


def slider(label: str, low: float, high: float, default: float, key: str, **kwargs) -> float:
    """A 0.1-step slider that starts at ``default`` and keeps its value across pages."""
    st.session_state.setdefault(key, default)
    return st.slider(
        label, low, high, step=0.1, key=key, persist_state="session", format="%.1f", **kwargs
    )


def playground_values(key: str) -> tuple[float, float, float, CellParams, RNNParams]:
    """(x, h_prev, c_prev, LSTM weights, RNN weights) as the sliders (or defaults) set them."""
    get = st.session_state.get
    x, h, c = (get(f"{key}.{name}", INPUT_RANGES[name][2]) for name in ("x", "h_prev", "c_prev"))
    defaults = CellParams()
    lstm = CellParams(
        **{n: float(get(f"{key}.{n}", getattr(defaults, n))) for n in CellParams.names()}
    )
    rnn_defaults = RNNParams()
    rnn = RNNParams(**{n: float(get(f"{key}.rnn.{n}", v)) for n, v in asdict(rnn_defaults).items()})
    return float(x), float(h), float(c), lstm, rnn


def render_playground_controls(key: str) -> None:
    """Sliders: the inputs, then one column per gate with its two weights and its bias."""
    defaults = CellParams()
    columns = st.columns([1.1, 1, 1, 1, 1], gap="medium")
    with columns[0]:
        st.markdown("**Inputs**")
        for name, (low, high, default) in INPUT_RANGES.items():
            slider(INPUT_LABELS[name], low, high, default, f"{key}.{name}")
    for column, gate in zip(columns[1:], ("forget", "input", "candidate", "output"), strict=True):
        with column:
            st.markdown(f"**{GATE_EMOJI[gate]} {GATE_TITLES[gate]}**")
            for part in ("x", "h", "bias"):
                name = f"{gate}_{part}"
                slider(
                    f"{SYMBOL[gate]}: {PART_LABELS[part]}",
                    *WEIGHT_RANGE,
                    getattr(defaults, name),
                    f"{key}.{name}",
                )


def apply_linked_setting(key: str) -> None:
    """Once per session: put the link's ``cell=`` setting into the playground's sliders."""
    text = classroom.link_of_session().get("cell")
    if not text or st.session_state.get(f"{key}.link_applied"):
        return
    st.session_state[f"{key}.link_applied"] = True
    for name, value in setting_from_text(text, limit=math.inf).items():
        low, high = INPUT_RANGES[name][:2] if name in INPUT_RANGES else WEIGHT_RANGE
        shown = round(min(max(value, low), high), 1)
        if not low <= value <= high:  # said, as Explore says a unit or step it cannot show
            classroom.link_clipped(name, value, low, high, shown)
        st.session_state[f"{key}.{name}"] = shown


def current_setting(key: str) -> dict[str, float]:
    """The playground's inputs and weights that differ from the defaults."""
    x, h, c, params, _ = playground_values(key)
    values = {"x": x, "h_prev": h, "c_prev": c, **asdict(params)}
    defaults = {name: default for name, (_, _, default) in INPUT_RANGES.items()}
    defaults.update(asdict(CellParams()))
    return {n: v for n, v in values.items() if abs(v - defaults[n]) > 1e-9}


def reset(key: str) -> None:
    for name in (*INPUT_RANGES, *CellParams.names(), *(f"rnn.{n}" for n in ("x", "h", "bias"))):
        st.session_state.pop(f"{key}.{name}", None)


def render_playground(key: str = "learn.cell") -> None:
    """One LSTM cell: sliders, the diagram with live numbers, the equations and one sentence per
    gate; a vanilla RNN step beside it."""
    apply_linked_setting(key)
    hidden = classroom.controls_hidden()
    if not hidden:
        with st.container(border=True, key=f"{key}.controls"):
            render_playground_controls(key)
            st.button("↺ Reset the cell", key=f"{key}.reset", on_click=reset, args=(key,))
    x, h, c, params, rnn = playground_values(key)
    step = lstm_step(x, h, c, params=params)
    words = sentences(step)
    maths = equations(step, params)

    st.markdown("##### The LSTM cell, now")
    svg = cell_diagram(
        **{name: step.value(name) for name in TRACE_NAMES},
        cell_prev=c,
        hidden_prev=h,
        x=x,
        title="The playground's LSTM cell",
    )
    st.markdown(f'<div class="lv-playground" data-key="{key}">{svg}</div>', unsafe_allow_html=True)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("##### The equations, with these numbers")
        for gate in ("forget", "input", "candidate", "output", "cell", "hidden"):
            with st.container(key=f"{key}.eq.{gate}"):
                st.latex(maths[gate])
                st.markdown(words[gate])
    with right:
        render_rnn(key, x, h, rnn, hidden)


def render_rnn(key: str, x: float, h: float, params: RNNParams, hidden: bool) -> None:
    """The vanilla RNN step on the same x and h_prev, with its own weights."""
    st.markdown("##### A vanilla RNN, side by side")
    if not hidden:
        defaults = RNNParams()
        slider("RNN weight on x", *WEIGHT_RANGE, defaults.x, f"{key}.rnn.x")
        slider("RNN weight on h_prev", *WEIGHT_RANGE, defaults.h, f"{key}.rnn.h")
        slider("RNN bias", *WEIGHT_RANGE, defaults.bias, f"{key}.rnn.bias")
        x, h, _, _, params = playground_values(key)
    step = rnn_step(x, h, params)
    st.latex(rnn_equation(step, params))
    st.metric("RNN hidden state h", f"{float(step.hidden[0]):+.3f}", border=True)
    st.markdown(rnn_sentence(step, params))
    st.caption(
        "Same x and h_prev as the LSTM. The LSTM adds a separate memory c that is updated by "
        "adding (f·c + i·g), not by squashing: see below why that matters over long gaps."
    )
