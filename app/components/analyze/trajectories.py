"""State trajectories: a layer's h_t or c_t projected on two principal components, a line
through the tokens, two inputs on one plot; fitted on the corpus, with its nearest states."""

from __future__ import annotations

import streamlit as st

from app import corpora
from app.components.analyze.causal_common import pick_source, sequence_default, source_tokens
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import CorpusKey
from app.resources import ModelRef, default_input, load_model
from app.text import escape_markdown
from lstm_viz.analysis import TrajectoryError
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.figures.causal import trajectory_figure
from lstm_viz.quantities import label


def render_trajectories(ref: ModelRef, key: CorpusKey, corpus: Corpus, widget: str) -> None:
    checkpoint = load_model(ref)
    st.markdown(
        "Each input is a path through the layer's state space: one point per token, projected "
        "on the two directions in which states vary most (PCA). Two inputs share one projection."
    )
    left, right = st.columns(2)
    with left:
        first = pick_source(checkpoint, corpus, "Input A", default_input(ref), 0, f"{widget}.a")
    with right:
        second = pick_source(
            checkpoint, corpus, "Input B", sequence_default(corpus, 1), 1, f"{widget}.b"
        )
    if source_tokens(key, first) is None or source_tokens(key, second) is None:
        return
    config = checkpoint.model.config
    names = ["hidden", "cell"] if config.cell in ("lstm", "peephole_lstm") else ["hidden"]
    cols = st.columns([2, 1, 2])
    with cols[0]:
        quantity = st.radio(
            "State", names, format_func=label, horizontal=True, key=f"{widget}.quantity"
        )
    with cols[1]:
        layer = int(st.number_input("Layer", 0, config.num_layers - 1, 0, key=f"{widget}.layer"))
    with cols[2]:
        on_corpus = st.checkbox(
            "Fit on the corpus; nearest corpus states in the hover",
            value=True,
            key=f"{widget}.on_corpus",
        )
    try:
        paths = corpora.cached_trajectories(
            key.path,
            key.version,
            (first, second),
            ("A", "B"),
            key.args(),
            quantity,
            layer,
            on_corpus,
        )
    except TrajectoryError as error:
        st.error(escape_markdown(error), icon="🚫")
        return
    st.plotly_chart(trajectory_figure(paths), key=f"{widget}.figure", config=PLOTLY_CONFIG)
    fitted = "the corpus's states" if on_corpus else "the two inputs' states"
    st.caption(
        f"PCA fitted on {fitted}: PC1 and PC2 hold {paths[0].explained[0]:.0%} and "
        f"{paths[0].explained[1]:.0%} of their variance. Square: first token; diamond: last."
    )
