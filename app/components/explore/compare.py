"""Explore's Compare view: two inputs through this model, or this input through two models."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import classroom
from app.components.explore.export import plotly_config
from app.components.heatmaps import render_unit_window
from app.resources import ModelRef, model_scales, record_text
from app.text import escape_markdown
from lstm_viz import Trace
from lstm_viz.figures.colours import max_abs
from lstm_viz.figures.compare import difference, mismatch
from lstm_viz.figures.heatmap import DEFAULT_MAX_UNITS, heatmap
from lstm_viz.quantities import QUANTITY_SYMBOLS, UNBOUNDED, display_order, label


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
        other_ref, b_label, a_label = ref, f"b: {quoted(other_text)}", f"a: {quoted(text)}"
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
        other_recording = record_text(other_ref, other_text or "", device)
    except ValueError as error:
        st.error(f"The second recording failed: {escape_markdown(error)}", icon="🚫")
        return
    other = other_recording.trace
    unread = unknown_share(other_recording.unknown)
    if unread >= UNKNOWN_WARNING:
        st.warning(
            f"b reads **{unread:.0%}** of this input as unknown tokens (`<unk>`): its "
            "vocabulary lacks them, so its states show what it does with `<unk>`, not with "
            "this text.",
            icon="⚠️",
        )
    if mode == "models" and other_ref.path != ref.path:
        st.info(
            "Units of two independently trained models do not correspond: unit 5 of one has no "
            "relation to unit 5 of the other, so a unit-by-unit difference compares unrelated "
            "units. It means something only when one model was made from the other (e.g. "
            "fine-tuned from it); otherwise compare what each pane shows on its own.",
            icon="🔀",
        )
    why = mismatch(trace, other)
    if why:
        st.warning(
            f"These two cannot be compared unit by unit: {escape_markdown(why)}. "
            "Both are shown; no difference.",
            icon="⚠️",
        )
    other_layer = min(layer, other.num_layers - 1)
    other_direction = min(direction, other.num_directions - 1)
    places = ((trace, layer, direction), (other, other_layer, other_direction))
    scales = [model_scales(ref), model_scales(other_ref)]
    if why:  # no difference to draw: each pane on its own model's scale, as Explore shows it
        bounds = [
            s.bound(quantity, lay, d) if s is not None and quantity in UNBOUNDED else None
            for s, (_, lay, d) in zip(scales, places, strict=True)
        ]
        how = "Each pane on its own scale (its colour bar says which): no difference is drawn."
        bound = None
    else:
        bound, how = compare_bound(quantity, places, scales, other_ref.path == ref.path)
        bounds = [bound, bound]
    widest = max((t[quantity].shape[-1] for t, _, _ in places if quantity in t.names), default=0)
    start = 0  # a wide layer: which units both panes and the difference show
    if widest > DEFAULT_MAX_UNITS:
        start = render_unit_window(widest, DEFAULT_MAX_UNITS, f"{key}.compare_units")
    figures = [
        heatmap(t, quantity, layer=lay, direction=d, bound=b, unit_start=start)
        if quantity in t.names
        else None
        for (t, lay, d), b in zip(places, bounds, strict=True)
    ]
    if how:
        st.caption("🎨 " + how)
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
    figure = heatmap(
        comparison.trace,
        quantity,
        layer=layer,
        direction=direction,
        difference=True,
        bound=bound,
        unit_start=start,
    )
    st.plotly_chart(
        classroom.on_screen(figure), key=f"{key}.compare.diff", config=plotly_config(key)
    )
    st.caption(difference_caption(comparison.trace, quantity, layer, direction, figure))


UNKNOWN_WARNING = 0.5  # b reads at least this share of the input as <unk>: warn


def unknown_share(unknown) -> float:
    """The share of steps read as <unk> (0 for none or a numeric model)."""
    return sum(map(bool, unknown)) / len(unknown) if len(unknown) else 0.0


def compare_bound(
    quantity: str, places, scales: list, one_model: bool = False
) -> tuple[float | None, str]:
    """One colour range for both panes and the difference of an unbounded quantity, and the
    sentence that says it: the larger of the two models' fixed scales, or, without them, the
    larger |value| of the two recordings. (None, "") for gates and tanh outputs, whose scales
    are fixed anyway."""
    if quantity not in UNBOUNDED:
        return None, ""
    symbol = QUANTITY_SYMBOLS.get(quantity, quantity)
    stored = [
        s.bound(quantity, lay, d) if s is not None else None
        for s, (_, lay, d) in zip(scales, places, strict=True)
    ]
    if all(b is not None for b in stored):
        bound = max(stored)
        whose = (
            "the model's fixed scale (from its validation data)"
            if one_model
            else "the larger of the models' fixed scales (from their validation data)"
        )
        how = (
            f"One scale for both panes and the difference: {symbol} ±{bound:.3g}, {whose}; "
            "larger values take the end colour."
        )
        return bound, how
    values = [
        max_abs(t[quantity][lay, d, 0].numpy()) for t, lay, d in places if quantity in t.names
    ]
    bound = max(values, default=0.0) or 1.0
    return bound, (
        f"One scale for both panes and the difference: {symbol} ±{bound:.3g}, the largest "
        f"|{symbol}| of the two recordings (no fixed scale stored for "
        + ("both models" if all(b is None for b in stored) else "one of the models")
        + ")."
    )


def difference_caption(diff: Trace, quantity: str, layer: int, direction: int, figure) -> str:
    """The numbers under the difference heatmap, from the values it draws, and its colour range
    as its colour bar states it (issue 16: they disagreed)."""
    shown = np.asarray(figure.data[0].z, dtype=np.float64)
    every = diff[quantity][layer, direction, 0].numpy()
    scale = figure.layout.meta["scale"]
    text = (
        f"Largest |difference| shown: {np.nanmax(np.abs(shown)):.3g}; mean |difference|: "
        f"{np.nanmean(np.abs(shown)):.3g}; colour range ±{scale['zmax']:.3g}"
    )
    if np.nanmax(np.abs(shown)) > scale["zmax"]:
        text += " (larger differences take the end colour)"
    note = figure.layout.meta["note"]
    if note:
        text += f". Shown: {note}; over all {every.shape[-1]} units and "
        text += f"{int(diff.lengths[0]):,} steps the largest is {np.nanmax(np.abs(every)):.3g}"
    return text + "."


def quoted(text: str, limit: int = 40) -> str:
    """An input as a pane's title: in quotes, cut to ``limit`` characters with "…" (not Python's
    repr, whose quotes changed with the text and which said nothing of a cut)."""
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"
