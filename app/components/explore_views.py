"""Explore's views beyond the heatmaps: one unit over time, predictions, step-through, compare,
export. The figures come from lstm_viz.figures (unit, predictions, step, compare, export);
this module lays them out. Every function takes a ``key`` and prefixes its widget keys with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import streamlit as st

from app import links
from app.components.heatmaps import PLOTLY_CONFIG, render_heatmaps
from app.resources import ModelRef, _load_checkpoint, _read_input, model_version, record_text
from app.text import escape_markdown
from lstm_viz import Trace
from lstm_viz.figures.compare import difference, mismatch
from lstm_viz.figures.export import FORMATS, MIME, trace_bytes
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.figures.ordering import order_units
from lstm_viz.figures.step import step_diagram, step_equations, step_numbers, step_sentences
from lstm_viz.quantities import display_order, label

# lstm_viz.figures.predictions and lstm_viz.figures.unit (altair, pandas) are imported by the views
# that draw them: the heatmaps, where a class starts, do without, and the first page run of a new
# server is shorter (pandas' import alone holds the GIL about 0.35 s: every session waits).

PLAY_DELAY_S = 0.6  # seconds per step while playing
PLAY_DELAY_KEY = "explore.play_delay"  # tests set it to 0 to play without waiting
MAX_CSV_VALUES = 5_000_000  # a CSV row per value: beyond this, offer npz and parquet only
FIGURE_FORMATS = ("png", "svg")


def plotly_config(key: str) -> dict[str, Any]:
    """The plotly config of Explore's charts: the modebar's camera saves PNG or SVG (chosen in
    Export) in the browser, offline."""
    fmt = st.session_state.get(f"{key}.figure_format", "png")
    return {
        **PLOTLY_CONFIG,
        "toImageButtonOptions": {"format": fmt, "filename": "lstm-viz", "scale": 2},
    }


# ---- cached work --------------------------------------------------------------------------------


def unit_order(
    ref: ModelRef,
    text: str,
    device: str,
    layer: int,
    direction: int,
    method: str,
    quantity: str,
    top_k: int | None,
) -> np.ndarray:
    """The units to show, in order (lstm_viz.figures.ordering), cached per recording and choice."""
    return _unit_order(
        ref.path, model_version(ref), text, device, layer, direction, method, quantity, top_k
    )


@st.cache_data(max_entries=64, show_spinner=False)
def _unit_order(path, version, text, device, layer, direction, method, quantity, top_k):
    from app.resources import _record_text

    trace = _record_text(path, version, text, device).trace
    values = trace[quantity][layer, direction, 0].numpy()  # [time, unit]
    return order_units(values, method, quantity, top_k)


def order_note(method: str, quantity: str, shown: int, trace: Trace) -> str:
    """What the heatmaps' rows are, in words."""
    from lstm_viz.figures.ordering import ORDERING_LABELS

    units = trace[quantity].shape[-1]
    which = f"the first {shown} of {units} units" if shown < units else f"all {units} units"
    how = ORDERING_LABELS[method]
    of = "" if method in ("index",) else f" of their {label(quantity).split(' (')[0].lower()}"
    return f"Rows: {which}, {how}{of}; the same order in every heatmap (y: unit number)."


def language_model(ref: ModelRef) -> bool:
    checkpoint = _load_checkpoint(ref.path, model_version(ref))
    vocab, config = checkpoint.vocab, checkpoint.model.config
    # lstm_viz.figures.predictions.is_language_model, without importing that module on every page
    return (
        vocab is not None
        and getattr(config, "objective", None) == "next_token"
        and getattr(config, "num_outputs", None) == len(vocab)
    )


def predictions(ref: ModelRef, text: str, k: int):
    """The top-k table (lstm_viz.figures.predictions.top_k_table) of ``ref`` reading ``text``."""
    return _predictions(ref.path, model_version(ref), text, k)


@st.cache_data(max_entries=16, show_spinner="Predicting...")
def _predictions(path: str, version: int, text: str, k: int):
    checkpoint = _load_checkpoint(path, version)
    inputs, tokens, _ = _read_input(checkpoint, text)
    from lstm_viz.figures.predictions import next_token_probabilities, top_k_table

    probabilities = next_token_probabilities(checkpoint.model, inputs)
    return top_k_table(probabilities, tokens, checkpoint.vocab, k)


# ---- one unit -----------------------------------------------------------------------------------


def render_unit(trace: Trace, layer: int, direction: int, unit: int, key: str) -> None:
    """The unit's gates and states over time (lines), and the input coloured by its value."""
    from lstm_viz.figures.unit import coloured_text_html, unit_lines

    step = st.session_state.get(f"{key}.step")
    for k, chart in enumerate(unit_lines(trace, layer, direction, unit, step=step)):
        st.altair_chart(chart, key=f"{key}.unit_lines.{k}", width="stretch")
    names = display_order(trace.names)
    quantity = st.radio(
        "Colour the text by",
        names,
        index=names.index("hidden") if "hidden" in names else 0,
        format_func=label,
        horizontal=True,
        key=f"{key}.colour_by",
        persist_state="session",
    )
    steps = int(trace.lengths[0])
    tokens = trace.tokens[0] if trace.tokens else [str(t) for t in range(steps)]
    values = trace[quantity][layer, direction, 0, :steps, unit].numpy()
    st.caption(
        f"The input as unit {unit} sees it: each token on the colour of its "
        f"{label(quantity).split(' (')[0].lower()} after reading it (hover for the value)."
    )
    with st.container(key=f"{key}.coloured", height="content" if steps <= 600 else 300):
        st.markdown(coloured_text_html(tokens, values, quantity), unsafe_allow_html=True)


# ---- predictions --------------------------------------------------------------------------------


def render_predictions(ref: ModelRef, text: str, key: str) -> None:
    from lstm_viz.figures.predictions import top_k_chart

    if not language_model(ref):
        st.info(
            "This model does not predict the next token (it is not a language model over its "
            "vocabulary), so there are no next-token predictions to show.",
            icon="ℹ️",
        )
        return
    k = st.slider(
        "How many guesses per step (k)", 1, 10, 5, key=f"{key}.pred_k", persist_state="session"
    )
    table = predictions(ref, text, k)
    mean_p = table["p(next)"].mean()
    first = (table["rank of next"] == 1).mean() if len(table) > 1 else float("nan")
    st.caption(
        f"After each step, the model's {k} most likely next tokens with their probabilities; "
        f"✓ marks the token that actually comes next. Mean p(next) {mean_p:.2f}; the first "
        f"guess is right at {first:.0%} of the steps."
    )
    shown = table.drop(columns=["top_tokens", "top_probs", "next_token"])
    st.dataframe(
        shown,
        key=f"{key}.pred_table",
        hide_index=True,
        height=min(420, 38 + 35 * len(shown)),
        column_config={
            "p(next)": st.column_config.ProgressColumn(
                "p(next)", min_value=0.0, max_value=1.0, format="%.2f"
            )
        },
    )
    step = st.slider("Step", 0, len(table) - 1, 0, key=f"{key}.pred_step", persist_state="session")
    st.altair_chart(top_k_chart(table, step), key=f"{key}.pred_chart", width="stretch")


# ---- step-through -------------------------------------------------------------------------------


def render_step_through(
    trace: Trace, layer: int, direction: int, unit: int, key: str, delay: float | None = None
) -> None:
    """A time slider, a step button and a play button; the cell at step t with its numbers."""
    steps = int(trace.lengths[0])
    step_key = f"{key}.step"
    if st.session_state.get(step_key, 0) >= steps:
        st.session_state[step_key] = steps - 1

    def advance(by: int) -> None:
        st.session_state[step_key] = (st.session_state.get(step_key, 0) + by) % steps

    def play() -> None:
        st.session_state[f"{key}.playing"] = True

    _step_fragment(trace, layer, direction, unit, key, steps, advance, play, delay)


def _render_step(trace, layer, direction, unit, step, key, slot) -> None:
    numbers = step_numbers(trace, layer, direction, unit, step)
    with slot.container():
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(
                step_diagram(numbers), key=f"{key}.diagram.{step}", config=plotly_config(key)
            )
        with right:
            st.markdown("\n".join(f"- {escape_markdown(s)}" for s in step_sentences(numbers)))
            st.code("\n".join(step_equations(numbers)), language=None, wrap_lines=True)


@st.fragment
def _step_fragment(
    trace: Trace,
    layer: int,
    direction: int,
    unit: int,
    key: str,
    steps: int,
    advance: Callable[[int], None],
    play: Callable[[], None],
    delay: float | None,
) -> None:
    step_key = f"{key}.step"
    controls = st.container()  # drawn after a walk, so the slider can end where the walk did
    slot = st.empty()
    if st.session_state.pop(f"{key}.playing", False):
        start = min(int(st.session_state.get(step_key, 0)), steps - 1)
        start = 0 if start >= steps - 1 else start  # at the end: play from the start
        # At most about 30 s for the whole walk: long inputs step faster.
        pause = min(PLAY_DELAY_S, 30 / (steps - start)) if delay is None else delay
        for t in range(start, steps):  # a click on any widget stops the walk (it reruns)
            _render_step(trace, layer, direction, unit, t, f"{key}.play.{t}", slot)
            time.sleep(pause)
        st.session_state[step_key] = steps - 1
        played = True
    else:
        played = False
    with controls:
        if steps == 1:
            st.session_state[step_key] = 0
            st.caption("One step: nothing to step through.")
        else:
            st.slider(
                "Step t",
                0,
                steps - 1,
                key=step_key,
                help="The step whose numbers the cell shows (also marked on the unit's lines).",
                persist_state="session",
            )
        buttons = st.columns([1, 1, 1, 5])
        buttons[0].button("◀ Back", key=f"{key}.step_back", on_click=advance, args=(-1,))
        buttons[1].button("Step ▶", key=f"{key}.step_next", on_click=advance, args=(1,))
        buttons[2].button(
            "⏯ Play", key=f"{key}.play", on_click=play, help="Walk through the steps to the end."
        )
    if not played:
        step = int(st.session_state.get(step_key, 0))
        _render_step(trace, layer, direction, unit, step, key, slot)


# ---- compare ------------------------------------------------------------------------------------


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
                st.plotly_chart(figure, key=f"{key}.compare.{name[:1]}", config=plotly_config(key))
            else:
                st.info(f"This model records no {label(quantity)}.")
    if why:
        return
    comparison = difference(trace, other)
    if comparison.note:
        st.info(f"Aligned by step: {escape_markdown(comparison.note)}.", icon="📏")
    st.markdown("**Difference b − a**")
    st.plotly_chart(
        heatmap(comparison.trace, quantity, layer=layer, direction=direction, difference=True),
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


# ---- export -------------------------------------------------------------------------------------


def render_export(ref: ModelRef, trace: Trace, layer: int, direction: int, key: str) -> None:
    """Downloads of the trace (npz, parquet, csv) and the format charts are saved in."""
    st.markdown("**The recording**")
    scope = st.radio(
        "What to download",
        ["view", "all"],
        format_func={
            "view": f"this layer{' and direction' if trace.num_directions > 1 else ''}",
            "all": "every layer and direction",
        }.get,
        horizontal=True,
        key=f"{key}.export_scope",
        persist_state="session",
    )
    chosen = trace.select(layer=layer, direction=direction) if scope == "view" else trace
    cells = sum(v.numel() for v in chosen.values.values())
    stem = f"{ref.name}-trace" + (f"-layer{layer}" if scope == "view" else "")
    columns = st.columns(3)
    for column, fmt in zip(columns, FORMATS, strict=True):
        with column:
            if fmt == "csv" and cells > MAX_CSV_VALUES:
                st.caption(
                    f"CSV: {cells:,} rows is too many for a spreadsheet; use .npz or .parquet, "
                    "or download one layer."
                )
                continue
            st.download_button(
                f"⬇️ .{fmt}",
                data=lambda fmt=fmt: trace_bytes(chosen, fmt),  # made on click, not every run
                file_name=f"{stem}.{fmt}",
                mime=MIME[fmt],
                key=f"{key}.download.{fmt}",
                on_click="ignore",
                width="stretch",
            )
    st.caption(
        f"{cells:,} values. .npz and .parquet load back with `lstm_viz.Trace.load`; the .csv is "
        "the long table (quantity, layer, direction, batch, time, unit, token, value)."
    )
    st.markdown("**Figures**")
    st.radio(
        "Save charts as",
        FIGURE_FORMATS,
        format_func=str.upper,
        horizontal=True,
        key=f"{key}.figure_format",
        persist_state="session",
        help="Hover a chart and click the camera in its toolbar: the browser saves it, offline.",
    )
    st.caption("Hover any chart and click 📷 in its toolbar to save it in this format.")


def share_link(link: dict[str, Any]) -> str:
    """The page's address (when a browser is connected) followed by ``link``'s query string."""
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # no browser behind this run (AppTest)
        base = ""
    if base and urlsplit(base).path == "":
        base += "/"  # http://host:8501 -> http://host:8501/
    text = link.get("text")
    if text is not None and len(text) > links.MAX_TEXT:
        link = {**link, "text": text[: links.MAX_TEXT]}
    return base + links.query_string(**link)


def render_share(link: dict[str, Any], key: str) -> None:
    """A shareable link that reopens Explore on this model, input, layer, direction and view."""
    with st.expander("🔗 Share this view", expanded=False, key=f"{key}.share"):
        st.code(share_link(link), language=None, wrap_lines=True)
        note = ""
        if len(link.get("text") or "") > links.MAX_TEXT:
            note = f" The link keeps the first {links.MAX_TEXT:,} characters of the input."
        st.caption("Opens Explore on this model, input, layer, direction, unit and view." + note)


def render_heatmap_view(
    trace: Trace,
    layer: int,
    direction: int,
    units: np.ndarray | None,
    unit: int,
    key: str,
    recording: str | None = None,
) -> None:
    """The heatmaps, the chosen unit's row outlined in each; ``recording`` names the recording
    (app.resources.recording_key): its figures are shared by every session (None: not cached)."""
    render_heatmaps(
        trace,
        layer,
        direction,
        key=key,
        units=units,
        config=plotly_config(key),
        highlight=unit,
        recording=recording,
    )
