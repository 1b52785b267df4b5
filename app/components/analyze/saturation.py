"""Saturation: how often each gate sits nearly shut or nearly open (Karpathy et al., 2015)."""

from __future__ import annotations

import streamlit as st

from app import classroom, corpora
from app.components.analyze.common import (
    as_percent,
    clicked_unit,
    columns_for,
    direction_picker,
    open_in_explore,
    percent_column,
    render_open_buttons,
)
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import CorpusKey
from app.text import escape_markdown
from lstm_viz.analysis import (
    saturation_figure,
    saturation_finding,
    saturation_summary,
)
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.quantities import label


def render_saturation(key: CorpusKey, corpus: Corpus, widget: str) -> None:
    st.markdown(
        "How often each gate sits **nearly shut** (< 0.1, left) or **nearly open** (> 0.9, "
        "right), as in Karpathy et al. (2015). A unit in a corner is a switch; one near the "
        "origin works in the soft middle. **Click a point** to open that unit in Explore."
    )
    try:
        table = corpora.cached_saturation(*key.args())
    except ValueError as error:
        st.info(f"No saturation to show: {escape_markdown(error)}.", icon="ℹ️")
        return
    direction = direction_picker(corpus, widget)
    figure = saturation_figure(table, direction)
    event = st.plotly_chart(
        classroom.on_screen(figure),
        key=f"{widget}.scatter",
        on_select="rerun",
        selection_mode="points",
        config=PLOTLY_CONFIG,
    )
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    clicked = [unit for unit in map(clicked_unit, points) if unit is not None]
    if clicked:
        open_in_explore(*clicked[0])
    summary = saturation_summary(table)
    summary = summary[summary["direction"] == direction]
    finding = saturation_finding(summary, direction=direction)
    if finding:
        st.markdown(
            f"**{escape_markdown(finding)}** Karpathy et al. found more right-saturated "
            "forget gates in the upper layers: units that keep their memory for long."
        )
    st.markdown(
        "**Per gate and layer**: units mostly open or shut (on more than half of the steps)"
    )
    st.dataframe(
        as_percent(
            summary[
                columns_for(
                    corpus, ["gate", "layer", "direction", "units", "open", "shut", "left", "right"]
                )
            ].assign(gate=summary["gate"].map(lambda g: label(g).split(" (")[0])),
            "left",
            "right",
        ),
        hide_index=True,
        key=f"{widget}.summary",
        column_config={
            "open": st.column_config.NumberColumn("mostly open (units)"),
            "shut": st.column_config.NumberColumn("mostly shut (units)"),
            "left": percent_column("mean shut (< 0.1)"),
            "right": percent_column("mean open (> 0.9)"),
        },
    )
    table = table.assign(saturated=table["left"] + table["right"])
    top = (
        table[table["direction"] == direction]
        .sort_values("saturated", ascending=False, kind="stable")
        .head(10)
        .reset_index(drop=True)
    )
    st.markdown("**Most saturated units**")
    st.dataframe(
        as_percent(
            top[columns_for(corpus, ["gate", "layer", "direction", "unit", "left", "right"])],
            "left",
            "right",
        ).assign(gate=top["gate"].map(lambda g: label(g).split(" (")[0])),
        hide_index=True,
        key=f"{widget}.table",
        column_config={
            "left": percent_column("shut (< 0.1)"),
            "right": percent_column("open (> 0.9)"),
        },
    )
    render_open_buttons(top, corpus.trace.num_directions > 1, f"{widget}.open")
