"""Analyze on a recording made elsewhere (app/components/opened.py).

- An LSTMVis project is held in memory as one corpus (its states are bounded by the upload
  limit): pattern search and the unit finder; the tools that need gates or a model say why not.
- A corpus store stays on disk and is read through DuckDB: saturation, timescales and pattern
  search run over every step of it (lstm_viz.export.store_tools); the unit finder reads a window
  of it (its features follow the text along, so a bounded window is read into memory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from app import corpora, state
from app.components.analyze.finder import render_finder
from app.components.analyze.patterns import TEXT_COLUMN, render_patterns
from app.components.analyze.saturation import render_saturation
from app.components.analyze.timescales import render_timescales
from app.corpora import CorpusKey
from app.text import escape_markdown
from lstm_viz.export import ExportError
from lstm_viz.export.store_tools import window_steps
from lstm_viz.quantities import GATES

K = f"{state.ANALYZE_PREFIX}.{state.OPENED_PREFIX}"
TOOLS = {
    "saturation": "🌡️ Saturation",
    "timescales": "⏳ Timescales",
    "finder": "🎯 Unit finder",
    "patterns": "🔦 Pattern search",
}
NOT_HERE = (
    "The cell ledger, interventions and gradient flow re-run a model: a recording made "
    "elsewhere has none."
)


def render_opened_analyze(current: dict[str, Any]) -> None:
    """Analyze's page body for an opened recording."""
    try:
        if current["kind"] in ("lstmvis", "trace"):
            _render_in_memory(current)
        else:
            _render_store(current)
    except ExportError as error:
        st.error(f"It cannot be analysed: {escape_markdown(error)}", icon="🚫")


def _tool(tools: list[str], widget: str) -> str:
    return st.radio(
        "Tool",
        tools,
        format_func=TOOLS.get,
        horizontal=True,
        key=f"{widget}.tool",
        label_visibility="collapsed",
    )


def _render_in_memory(current: dict[str, Any]) -> None:
    """An LSTMVis project or a .npz trace: one corpus in memory; saturation and timescales where
    it holds the gates they read."""
    path, kind = current["path"], current["kind"]
    version = corpora.folder_version(path) if kind == "lstmvis" else Path(path).stat().st_mtime_ns
    key = CorpusKey(path, version, kind, "", 0, "cpu")
    corpus = corpora.load_corpus(key)
    names = corpus.trace.names
    gated = all(g in names for g in ("input_gate", "forget_gate", "output_gate"))
    what = "an LSTMVis project does not hold" if kind == "lstmvis" else "this trace does not hold"
    st.caption(
        f"Corpus: **{corpus.trace.batch_size:,} sequence(s), {corpus.num_steps:,} steps** of "
        f"{escape_markdown(', '.join(names))}"
        + ("" if gated else f" · saturation and timescales need gates, which {what}")
        + f". {NOT_HERE}"
    )
    widget = f"{K}.{path}"
    tools = ["saturation", "timescales"] if gated else []
    tool = _tool([*tools, "patterns", "finder"], widget)
    if tool == "finder":
        render_finder(key, corpus, f"{widget}.finder")
    elif tool == "saturation":
        render_saturation(key, corpus, f"{widget}.saturation")
    elif tool == "timescales":
        render_timescales(key, corpus, f"{widget}.timescales")
    else:
        render_patterns(corpus, f"{widget}.patterns")


def _render_store(current: dict[str, Any]) -> None:
    path = current["path"]
    meta = corpora.store_meta(path)
    version = corpora.store_version(path)
    widget = f"{K}.{path}"
    has_gates = any(q in GATES for q in meta["quantities"])
    tools = (
        ["saturation", "timescales", "finder", "patterns"] if has_gates else ["finder", "patterns"]
    )
    st.caption(
        f"Corpus store: **{meta['steps']:,} steps** on disk, read through DuckDB, never held "
        "in memory whole. Saturation, timescales and pattern search read **every step** "
        "(a scan of the shards: about 15 s per GB for saturation, under 1 s per GB for a pattern "
        "search, measured on a busy 2-core machine); the unit finder reads **a window** of at most "
        f"{window_steps(meta):,} steps. {NOT_HERE}"
        + ("" if has_gates else " This store holds no gates (recorded with --quantities).")
    )
    tool = _tool(tools, widget)
    total = int(meta["steps"])
    steps, start = min(100, total), 0  # saturation, timescales: a token window (directions)
    if tool == "finder":
        steps = min(window_steps(meta), total)
        left, right = st.columns(2)
        with left:
            start = int(
                st.number_input(
                    f"Window from step (of {total:,})",
                    0,
                    total - 1,
                    0,
                    step=steps,
                    key=f"{widget}.start",
                )
            )
        with right:
            steps = int(
                st.number_input(
                    f"Steps in the window (at most {steps:,})",
                    100,
                    steps,
                    steps,
                    key=f"{widget}.steps",
                )
            )
        steps = min(steps, total - start)
    key = CorpusKey(path, version, "store", str(start), steps, "cpu")
    if tool == "patterns":
        _render_store_patterns(path, version, meta, f"{widget}.patterns")
        return
    corpus = corpora.load_corpus(key)  # the window: also the tools' picker of directions
    if tool == "saturation":
        with st.spinner("Scanning every step of the store's gates in DuckDB..."):
            render_saturation(key, corpus, f"{widget}.saturation")
    elif tool == "timescales":
        with st.spinner("Scanning every step of the store's forget gate in DuckDB..."):
            render_timescales(key, corpus, f"{widget}.timescales")
    else:
        st.caption(f"The window: steps {start:,} to {start + corpus.num_steps - 1:,}.")
        render_finder(key, corpus, f"{widget}.finder")


def _render_store_patterns(path: str, version: int, meta: dict, widget: str) -> None:
    st.markdown(
        "As in LSTMVis: pick units and a threshold, and find every span of the **whole store** "
        "where all of them are on (≥ threshold) for at least a minimum number of steps, longest "
        "first. DuckDB finds the spans; the 20 longest come back with their text."
    )
    states = [q for q in ("hidden", "cell") if q in meta["quantities"]]
    cols = st.columns(4)
    with cols[0]:
        layer = st.selectbox("Layer", meta["layers"], key=f"{widget}.layer")
        direction = 0
        if len(meta["directions"]) > 1:
            direction = st.selectbox("Direction", meta["directions"], key=f"{widget}.direction")
    with cols[1]:
        quantity = st.radio("State", states, horizontal=True, key=f"{widget}.quantity")
    with cols[2]:
        units = st.multiselect(
            "Units", list(range(int(meta["units"][quantity]))), default=[0], key=f"{widget}.units"
        )
    with cols[3]:
        threshold = st.number_input(
            "Threshold", value=0.5, step=0.05, format="%.2f", key=f"{widget}.threshold"
        )
        min_length = int(st.number_input("Minimum length", 1, 1000, 3, key=f"{widget}.min"))
    if not units:
        st.info("Pick at least one unit.", icon="ℹ️")
        return
    spans, total = corpora.cached_store_spans(
        path, version, quantity, layer, direction, tuple(units), float(threshold), min_length
    )
    st.markdown(
        f"**{total:,} spans** in {meta['steps']:,} steps where units "
        f"{', '.join(map(str, units))} are all ≥ {threshold:g} for {min_length}+ steps."
    )
    if not spans.empty:
        st.dataframe(spans, hide_index=True, key=f"{widget}.spans", column_config=TEXT_COLUMN)
    st.caption("Spans like a selected one: on an LSTMVis project or a model's corpus (in memory).")
