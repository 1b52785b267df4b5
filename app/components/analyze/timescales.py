"""Timescales: how long each unit remembers (the half-life of its forget gate)."""

from __future__ import annotations

import streamlit as st

from app import classroom, corpora
from app.components.analyze.common import (
    columns_for,
    render_open_buttons,
)
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import CorpusKey
from app.text import escape_markdown
from lstm_viz.analysis import (
    half_life_figure,
)
from lstm_viz.analysis.corpus import Corpus


def render_timescales(key: CorpusKey, corpus: Corpus, widget: str) -> None:
    st.markdown(
        "How long each unit remembers: with nothing written, a cell keeps f̄ⁿ of its memory "
        "after n steps (f̄: the geometric mean of its forget gate over the corpus), so it "
        "halves after **ln 0.5 / ln f̄** steps."
    )
    try:
        table = corpora.cached_half_lives(*key.args())
    except ValueError as error:
        st.info(f"No timescales to show: {escape_markdown(error)}.", icon="ℹ️")
        return
    gate = "update gate" if corpus.trace.kind == "gru" else "forget gate"
    st.plotly_chart(
        classroom.on_screen(half_life_figure(table, gate)),
        key=f"{widget}.histogram",
        config=PLOTLY_CONFIG,
    )
    st.markdown("**Longest memories first**")
    shown = table.head(20)
    st.dataframe(
        shown[columns_for(corpus, ["layer", "direction", "unit", "keep", "half_life"])],
        hide_index=True,
        key=f"{widget}.table",
        column_config={
            "keep": st.column_config.NumberColumn(f"mean {gate} f̄", format="%.4f"),
            "half_life": st.column_config.NumberColumn("half-life (steps)", format="%.1f"),
        },
    )
    render_open_buttons(shown, corpus.trace.num_directions > 1, f"{widget}.open")
