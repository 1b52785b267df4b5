"""Why a gate opened: a gate's pre-activation for one unit over time, split into its input
term, recurrent term, bias and peephole term (stacked bars; they sum to it exactly)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import corpora
from app.components.analyze.causal_common import pick_source, source_tokens
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import CorpusKey
from app.resources import ModelRef, default_input, load_model
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.figures.causal import preactivation_figure
from lstm_viz.quantities import label


def render_preactivation(ref: ModelRef, key: CorpusKey, corpus: Corpus, widget: str) -> None:
    checkpoint = load_model(ref)
    st.markdown(
        "Why did a gate open? Its pre-activation (what goes into the sigmoid or tanh) is a sum: "
        "the **input** term W·xₜ, the **recurrent** term W·hₜ₋₁, the **bias**, and for "
        "peephole cells the **peephole** term p·c. Bars stack the terms; the line is their sum."
    )
    source = pick_source(checkpoint, corpus, "Input", default_input(ref), 0, f"{widget}.input")
    if source_tokens(key, source) is None:
        return
    split = corpora.cached_split(key.path, key.version, source, key.args())
    trace = split.trace
    cols = st.columns(4)
    with cols[0]:
        gate = st.selectbox(
            "Gate", split.gates, format_func=lambda g: label(g).split(" (")[0], key=f"{widget}.gate"
        )
    with cols[1]:
        layer = int(st.number_input("Layer", 0, trace.num_layers - 1, 0, key=f"{widget}.layer"))
    units = trace[gate].shape[-1]
    with cols[2]:
        unit = int(st.number_input(f"Unit (0-{units - 1})", 0, units - 1, 0, key=f"{widget}.unit"))
    direction = 0
    if trace.num_directions > 1:
        with cols[3]:
            direction = int(st.number_input("Direction", 0, 1, 0, key=f"{widget}.direction"))
    st.plotly_chart(
        preactivation_figure(split, gate, unit, layer, direction),
        key=f"{widget}.figure",
        config=PLOTLY_CONFIG,
    )
    recorded = trace[gate][layer, direction, 0, :, unit].double().numpy()
    squashed = split.squashed(gate)[layer, direction, 0, :, unit]
    name = label(gate).split(" (")[0].lower()
    st.caption(
        f"Check: the squashed sum of the terms differs from the recorded {name} by at most "
        f"{np.abs(squashed - recorded).max():.1e} over these steps."
    )
