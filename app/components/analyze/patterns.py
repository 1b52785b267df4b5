"""Pattern search (as in LSTMVis): spans where chosen units are all on, and spans like one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app.components.analyze.common import (
    joiner_of,
    sequence_picker,
    show_sequence,
)
from app.text import code_span, escape_markdown
from lstm_viz.analysis import (
    find_spans,
    similar_spans,
    span_text,
)
from lstm_viz.analysis.corpus import Corpus


def spans_table(corpus: Corpus, spans: pd.DataFrame, count: int = 20) -> pd.DataFrame:
    top = spans.head(count).copy()
    top["text"] = [
        span_text(corpus.tokens[s], b, e, joiner=joiner_of(corpus))
        for s, b, e in top[["sequence", "start", "stop"]].values
    ]
    return top


TEXT_COLUMN = {"text": st.column_config.TextColumn("text («span» in context)", width="large")}


def show_similar(
    corpus: Corpus,
    acts: np.ndarray,
    span: tuple[int, int, int],
    threshold: float,
    min_length: int,
    widget: str,
) -> None:
    """The units on throughout ``span`` (sequence, start, stop) and the spans like it."""
    try:
        found_units, like = similar_spans(
            acts, *span, threshold, min_length, corpus.trace.lengths.numpy()
        )
    except ValueError as error:
        st.info(escape_markdown(str(error).capitalize()) + ".", icon="ℹ️")
        return
    st.markdown(
        f"Units on throughout that span: **{', '.join(map(str, found_units.tolist()))}**; "
        f"{len(like):,} span(s) where they are all on for {min_length}+ steps "
        "(the one you picked is marked):"
    )
    st.dataframe(
        spans_table(corpus, like),
        hide_index=True,
        key=f"{widget}.like_table",
        column_config=TEXT_COLUMN,
    )


def render_patterns(corpus: Corpus, widget: str) -> None:
    st.markdown(
        "As in LSTMVis: pick units and a threshold, and find every span of the corpus where all "
        "of them are on (≥ threshold) for at least a minimum number of steps, longest first. Or "
        "select a span of a sequence: the units that stay on throughout it are searched for "
        "elsewhere (**spans like it**)."
    )
    trace = corpus.trace
    by = st.radio(
        "Search by",
        ["units", "span"],
        format_func={"units": "units you pick", "span": "a span you select"}.get,
        horizontal=True,
        key=f"{widget}.by",
    )
    cols = st.columns(4)
    with cols[0]:
        layer = int(st.number_input("Layer", 0, trace.num_layers - 1, 0, key=f"{widget}.layer"))
        direction = 0
        if trace.num_directions > 1:
            direction = int(st.number_input("Direction", 0, 1, 0, key=f"{widget}.direction"))
    with cols[1]:
        quantity = st.radio(
            "State",
            ["hidden", "cell"] if "cell" in trace.names else ["hidden"],
            horizontal=True,
            key=f"{widget}.quantity",
        )
    acts = trace[quantity][layer, direction].numpy()  # [N, T, U]
    units = []
    with cols[2]:
        if by == "units":
            units = st.multiselect(
                "Units", list(range(acts.shape[-1])), default=[0], key=f"{widget}.units"
            )
    with cols[3]:
        threshold = st.number_input(
            "Threshold", value=0.5, step=0.05, key=f"{widget}.threshold", format="%.2f"
        )
        min_length = int(st.number_input("Minimum length", 1, 1000, 3, key=f"{widget}.min"))

    if by == "span":
        sequence = sequence_picker(corpus, widget)
        show_sequence(corpus, sequence)
        length = int(trace.lengths[sequence])
        left, right = st.columns(2)
        with left:
            start = int(
                st.number_input(
                    f"Span from step (0-{length - 1})",
                    0,
                    length - 1,
                    0,
                    key=f"{widget}.span_start.{sequence}",
                )
            )
        with right:
            stop = int(
                st.number_input(
                    f"to step (inclusive, {start} to {length - 1})",
                    start,
                    length - 1,
                    min(start + 2, length - 1),
                    key=f"{widget}.span_stop.{sequence}.{start}",
                )
            )
        st.markdown(
            "Selected: "
            + code_span(
                span_text(corpus.tokens[sequence], start, stop + 1, joiner=joiner_of(corpus))
            )
        )
        show_similar(corpus, acts, (sequence, start, stop + 1), threshold, min_length, widget)
        return

    if not units:
        st.info("Pick at least one unit.", icon="ℹ️")
        return
    spans = find_spans(acts, units, threshold, min_length, trace.lengths.numpy())
    st.markdown(
        f"**{len(spans):,} spans** in {corpus.num_steps:,} steps where units "
        f"{', '.join(map(str, units))} are all ≥ {threshold:g} for {min_length}+ steps."
    )
    if spans.empty:
        return
    top = spans_table(corpus, spans)
    st.dataframe(top, hide_index=True, key=f"{widget}.spans", column_config=TEXT_COLUMN)
    pick = st.selectbox(
        "Find spans like this one",
        list(range(len(top))),
        format_func=lambda i: f"#{i + 1}: {top.iloc[i]['text'][:60]}",
        key=f"{widget}.like",
    )
    row = top.iloc[pick or 0]
    span = (int(row["sequence"]), int(row["start"]), int(row["stop"]))
    show_similar(corpus, acts, span, threshold, min_length, widget)
