"""The cell ledger: which earlier writes survive in a unit's cell at a step."""

from __future__ import annotations

import streamlit as st

from app import classroom
from app.components.analyze.common import (
    as_percent,
    open_in_explore,
    percent_column,
    sequence_picker,
    sequence_text,
    show_sequence,
    unit_defaults,
)
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import CorpusKey
from lstm_viz.analysis import (
    cell_ledger,
    ledger_figure,
)
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.quantities import display_token


def render_ledger(key: CorpusKey, corpus: Corpus, widget: str) -> None:
    if corpus.trace.kind not in ("lstm", "peephole_lstm"):
        st.info("The cell-state ledger reads an LSTM's cell; this model has none.", icon="ℹ️")
        return
    st.markdown(
        "Which earlier tokens' writes survive in a unit's memory? Unrolled, "
        "c_t = Σ_k (f_{k+1} ⋯ f_t) · i_k g_k: each bar is what step k wrote, times every "
        "forget gate since. The bars add up to the recorded c_t."
    )
    trace = corpus.trace
    start = unit_defaults(key, corpus)
    sequence = sequence_picker(corpus, widget)
    show_sequence(corpus, sequence)
    length = int(trace.lengths[sequence])
    cols = st.columns(4)
    with cols[0]:
        layer = int(
            st.number_input("Layer", 0, trace.num_layers - 1, start["layer"], key=f"{widget}.layer")
        )
    with cols[1]:
        direction = 0
        if trace.num_directions > 1:
            direction = int(
                st.number_input("Direction", 0, 1, start["direction"], key=f"{widget}.direction")
            )
    with cols[2]:
        units = trace.cell.shape[-1]
        unit = int(
            st.number_input(
                f"Unit (0-{units - 1})", 0, units - 1, start["unit"], key=f"{widget}.unit"
            )
        )
    with cols[3]:
        step = int(
            st.number_input(
                f"Step t (0-{length - 1})",
                0,
                length - 1,
                length - 1,
                key=f"{widget}.step.{sequence}",
            )
        )
    ledger = cell_ledger(trace, unit, step, layer, direction, sequence)
    figure = ledger_figure(
        ledger,
        f"What survives in unit {unit} at step {step} ({display_token(ledger.tokens[-1])!r})",
    )
    st.plotly_chart(classroom.on_screen(figure), key=f"{widget}.bars", config=PLOTLY_CONFIG)
    st.markdown(
        f"Sum of the contributions **{ledger.total:.6f}**, recorded c_t **{ledger.cell:.6f}** "
        f"(difference {abs(ledger.total - ledger.cell):.1e})."
    )
    frame = ledger.to_frame()
    frame = frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index)
    st.dataframe(
        as_percent(frame.head(10), "share").assign(
            token=lambda f: f["token"].map(display_token)  # a space as ␣, as on every axis
        ),
        hide_index=True,
        key=f"{widget}.table",
        column_config={
            "written": st.column_config.NumberColumn("wrote i·g", format="%.4f"),
            "kept": st.column_config.NumberColumn("kept since", format="%.4f"),
            "contribution": st.column_config.NumberColumn("survives", format="%.4f"),
            "share": percent_column("share of |c|"),
        },
    )
    if st.button("🔍 Open this unit and sequence in Explore", key=f"{widget}.open"):
        open_in_explore(layer, direction, unit, sequence_text(corpus, sequence))
