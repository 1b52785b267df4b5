"""Explore's Compare view: two inputs through this model, or this input through two models."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import classroom
from app.components.explore.export import plotly_config
from app.resources import ModelRef, record_text
from app.text import escape_markdown
from lstm_viz import Trace
from lstm_viz.figures.compare import difference, mismatch
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.quantities import display_order, label


def render_compare(
    ref: ModelRef,
    text: str,
    trace: Trace,
    layer: int,
    direction: int,
    models: dict[str, ModelRef],
    device: str,
    key: str,
) -> None:
    """Two inputs through this model, or this input through two models: side by side, and the
    difference (b - a) on a diverging scale."""
    settings = st.columns(2, vertical_alignment="bottom")
    mode = settings[0].radio(
        "Compare",
        ["inputs", "models"],
        format_func={"inputs": "two inputs, this model", "models": "two models, this input"}.get,
        horizontal=True,
        key=f"{key}.compare_mode",
        persist_state="session",
    )
    names = display_order(trace.names)
    quantity = settings[1].selectbox(
        "Quantity",
        names,
        index=names.index("cell") if "cell" in names else 0,
        format_func=label,
        key=f"{key}.compare_quantity",
        persist_state="session",
    )
    if mode == "inputs":
        other_key = f"{key}.compare_text"
        if other_key not in st.session_state:
            # A first b to look at: the same words in reverse order.
            st.session_state[other_key] = " ".join(reversed(text.split())) or text
        other_text = st.text_input(
            "Second input (b), then press Enter", key=other_key, persist_state="session"
        )
        other_ref, b_label, a_label = ref, f"b: {other_text[:40]!r}", f"a: {text[:40]!r}"
    else:
        others = [m for m in models if m != ref.id]
        if not others:
            st.info("There is only one model: train or upload another to compare.", icon="ℹ️")
            return
        chosen = st.selectbox(
            "Second model (b)",
            others,
            format_func=lambda i: models[i].label,
            key=f"{key}.compare_model",
            persist_state="session",
        )
        other_ref, other_text = models[chosen], text
        a_label, b_label = f"a: {ref.name}", f"b: {other_ref.name}"
    try:
        other = record_text(other_ref, other_text or "", device).trace
    except ValueError as error:
        st.error(f"The second recording failed: {escape_markdown(error)}", icon="🚫")
        return
    why = mismatch(trace, other)
    if why:
        st.warning(
            f"These two cannot be compared unit by unit: {escape_markdown(why)}. "
            "Both are shown; no difference.",
            icon="⚠️",
        )
    other_layer = min(layer, other.num_layers - 1)
    other_direction = min(direction, other.num_directions - 1)
    figures = [
        heatmap(t, quantity, layer=lay, direction=d) if quantity in t.names else None
        for t, lay, d in ((trace, layer, direction), (other, other_layer, other_direction))
    ]
    shared_scale(figures)
    for column, figure, name in zip(st.columns(2), figures, (a_label, b_label), strict=True):
        with column:
            st.markdown(f"**{escape_markdown(name)}**")
            if figure is not None:
                st.plotly_chart(
                    classroom.on_screen(figure),
                    key=f"{key}.compare.{name[:1]}",
                    config=plotly_config(key),
                )
            else:
                st.info(f"This model records no {label(quantity)}.")
    if why:
        return
    comparison = difference(trace, other)
    if comparison.note:
        st.info(f"Aligned by step: {escape_markdown(comparison.note)}.", icon="📏")
    st.markdown("**Difference b − a**")
    st.plotly_chart(
        classroom.on_screen(
            heatmap(comparison.trace, quantity, layer=layer, direction=direction, difference=True)
        ),
        key=f"{key}.compare.diff",
        config=plotly_config(key),
    )
    grid = comparison.trace[quantity][layer, direction, 0].numpy()
    st.caption(
        f"Largest |difference|: {np.nanmax(np.abs(grid)):.3f}; mean |difference|: "
        f"{np.nanmean(np.abs(grid)):.3f} over {comparison.steps:,} steps."
    )


def shared_scale(figures: list) -> None:
    """Give side-by-side heatmaps of an unbounded quantity one colour range (the wider one), so
    equal colours mean equal values; fixed scales are already shared."""
    shown = [f for f in figures if f is not None]
    bounds = [float(f.data[0].zmax) for f in shown]
    if len(shown) < 2 or len(set(bounds)) == 1:
        return
    widest = max(bounds)
    for figure in shown:
        bar = figure.data[0].colorbar.title.text
        symbol = bar.split("<br>")[0]
        figure.update_traces(
            zmin=-widest, zmax=widest, colorbar_title_text=f"{symbol}<br>±{widest:.3g}"
        )
