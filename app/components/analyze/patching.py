"""Activation patching across time: copy the clean run's state of one unit at one step into
the corrupted run, for every layer, unit and step, and see how much of the output comes back.
Works for every one-direction core (LSTM, peephole LSTM, GRU, RNN)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import corpora
from app.components.analyze.interventions import output_labels
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import MAX_CAUSAL_STEPS, MAX_PATCH_WORK, CorpusKey, patch_work
from app.resources import ModelRef, default_input, load_model, model_inputs
from app.text import escape_markdown
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.figures.causal import patching_figure


def defaults(checkpoint) -> tuple[str, str, str | None, str | None]:
    """(clean, corrupt, good, bad): subject number for an agreement vocabulary, else none."""
    vocab = checkpoint.vocab
    if vocab is not None and vocab.level == "word" and not any(vocab.unknown(["is", "are"])):
        return "the key to the cabinets", "the keys to the cabinets", "is", "are"
    return "", "", None, None


def render_patching(ref: ModelRef, key: CorpusKey, corpus: Corpus, widget: str) -> None:
    checkpoint = load_model(ref)
    config = checkpoint.model.config
    st.markdown(
        "Read a **clean** and a **corrupted** input of the same length; then, for every layer, "
        "unit and step, copy the clean state of that one unit at that step into the corrupted "
        "run and measure how much of the difference in **logit(GOOD) − logit(BAD)** at the "
        "last step comes back: effect = (m(patched) − m(corrupt)) / (m(clean) − m(corrupt))."
    )
    if checkpoint.vocab is None or config.bidirectional or config.num_outputs < 2:
        st.info(
            "Patching here reads typed text into a one-direction core with at least two "
            "outputs; this model does not fit (use lstm_viz.analysis.Patcher from Python).",
            icon="ℹ️",
        )
        return
    clean_default, corrupt_default, good_default, bad_default = defaults(checkpoint)
    clean_default = clean_default or default_input(ref)
    left, right = st.columns(2)
    with left:
        clean = st.text_input("Clean input", value=clean_default, key=f"{widget}.clean")
    with right:
        corrupt = st.text_input(
            "Corrupted input (same length)",
            value=corrupt_default or clean_default,
            key=f"{widget}.corrupt",
        )
    labels = output_labels(checkpoint, corpora.load_task(ref))
    index = {name: k for k, name in enumerate(labels)}
    left, right = st.columns(2)
    with left:
        good = st.selectbox(
            "GOOD (the clean answer)",
            range(len(labels)),
            index=index.get(good_default, 0),
            format_func=lambda k: repr(labels[k]),
            key=f"{widget}.good",
        )
    with right:
        bad = st.selectbox(
            "BAD (the corrupted answer)",
            range(len(labels)),
            index=index.get(bad_default, 1),
            format_func=lambda k: repr(labels[k]),
            key=f"{widget}.bad",
        )
    try:
        clean_tokens = model_inputs(checkpoint, clean)[1]
        corrupt_tokens = model_inputs(checkpoint, corrupt)[1]
    except ValueError as error:
        st.error(f"The model cannot read this input: {escape_markdown(error)}", icon="🚫")
        return
    if len(clean_tokens) != len(corrupt_tokens):
        st.warning(
            f"The clean input has **{len(clean_tokens)}** tokens and the corrupted one "
            f"**{len(corrupt_tokens)}**: patching copies states step by step, so both must have "
            "the same length. Change a token, do not add or remove one.",
            icon="📏",
        )
        return
    steps = len(clean_tokens)
    cells = config.num_layers * config.hidden_size * steps
    work = patch_work(config.num_layers, config.hidden_size, steps)
    st.caption(
        f"A sweep: {config.num_layers} layer(s) × {config.hidden_size} units × {steps} steps = "
        f"**{cells:,}** patched runs in {steps} batches, re-running **{work:,}** unit-steps "
        f"(each patch re-runs the steps after it). Limit here: {MAX_PATCH_WORK:,} unit-steps "
        f"and {MAX_CAUSAL_STEPS} steps per sweep, so no sweep holds the server for long."
    )
    if work > MAX_PATCH_WORK or steps > MAX_CAUSAL_STEPS:
        st.error(
            f"This sweep needs {work:,} unit-steps ({steps} steps); the limit is "
            f"{MAX_PATCH_WORK:,}: use a shorter input.",
            icon="🚫",
        )
        return
    job = (key.path, key.version, clean, corrupt, int(good), int(bad))
    result = corpora.stored_patching(job)
    if result is None:
        if not st.button("🩹 Patch every unit at every step", key=f"{widget}.run", type="primary"):
            return
        bar = st.progress(0.0, text="Patching...")
        try:
            result = corpora.run_patching(
                job, lambda f: bar.progress(f, text=f"Patching: {f:.0%} of the steps")
            )
        except ValueError as error:  # PatchingError too
            bar.empty()
            st.error(f"Nothing to patch: {escape_markdown(error)}", icon="🚫")
            return
        bar.empty()
    render_result(result, config.num_layers, widget)


def render_result(result, layers: int, widget: str) -> None:
    layer = 0
    if layers > 1:
        layer = int(st.radio("Layer", range(layers), horizontal=True, key=f"{widget}.layer"))
    st.plotly_chart(patching_figure(result, layer), key=f"{widget}.figure", config=PLOTLY_CONFIG)
    rows = []
    for k in range(layers):
        totals = result.unit_totals(k)
        best = np.nanargmax(np.abs(result.effects[k]), axis=0)  # [U]: the step of largest effect
        rows += [
            {
                "layer": k,
                "unit": u,
                "effect (sum over steps)": float(totals[u]),
                "largest at step": int(best[u]),
                "largest effect": float(result.effects[k, best[u], u]),
            }
            for u in range(len(totals))
        ]
    table = pd.DataFrame(rows)
    table = table.reindex(table["effect (sum over steps)"].abs().sort_values(ascending=False).index)
    st.markdown("**Units of largest effect** (summed over steps, all layers):")
    st.dataframe(table.head(10), hide_index=True, key=f"{widget}.units")
