"""Explore on a recording made elsewhere (app/components/opened.py): the heatmaps and the unit
view of an LSTMVis project, of a trace exported as .npz, or of a window of a corpus store. There
is no model, so no input box, predictions, comparison or step-through: the views that need only
recorded states."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import corpora, state
from app.components.explore.controls import VIEW_LABELS, render_unit_picker
from app.components.explore.heatmap_view import render_heatmap_view
from app.components.explore.unit import render_unit
from app.components.heatmaps import render_pickers, render_tokens
from lstm_viz import Trace

MAX_SHOWN = 2_000  # steps Explore shows of a recording made elsewhere at a time
VIEWS = {v: VIEW_LABELS[v] for v in ("heatmaps", "unit")}  # the views without a model


def window(trace: Trace, batch: int, start: int, steps: int) -> Trace:
    """Steps start..start+steps-1 of sequence ``batch`` as a one-sequence Trace."""
    stop = min(int(trace.lengths[batch]), start + steps)
    values = {n: v[:, :, batch : batch + 1, start:stop] for n, v in trace.values.items()}
    tokens = [list(trace.tokens[batch][start:stop])] if trace.tokens else None
    return Trace(
        trace.kind,
        values,
        trace.lengths.new_tensor([stop - start]),
        tokens,
        trace.config,
        trace.origin,
    )


def _pick_steps(trace: Trace, key: str) -> Trace:
    """A sequence (when there are several) and a window of at most MAX_SHOWN of its steps."""
    batch = 0
    columns = st.columns(2)
    if trace.batch_size > 1:
        with columns[0]:
            batch = int(
                st.number_input(
                    f"Sequence (0-{trace.batch_size - 1})",
                    0,
                    trace.batch_size - 1,
                    0,
                    key=f"{key}.sequence",
                )
            )
    length = int(trace.lengths[batch])
    start = 0
    if length > MAX_SHOWN:
        with columns[1]:
            start = int(
                st.number_input(
                    f"From step (of {length:,}; {MAX_SHOWN:,} shown)",
                    0,
                    length - 1,
                    0,
                    step=MAX_SHOWN,
                    key=f"{key}.start",
                )
            )
    return window(trace, batch, start, MAX_SHOWN)


def opened_trace(current: dict[str, Any], key: str) -> Trace:
    """The recording's Trace: the LSTMVis project's, the .npz trace, or a window of the store
    (picked here)."""
    path = current["path"]
    if current["kind"] == "lstmvis":
        return corpora.lstmvis_project(path).trace
    if current["kind"] == "trace":
        return corpora.trace_file(path)
    total = corpora.store_meta(path)["steps"]
    start = int(
        st.number_input(
            f"From step (of the store's {total:,}; {MAX_SHOWN:,} read)",
            0,
            max(total - 1, 0),
            0,
            step=MAX_SHOWN,
            key=f"{key}.store_start",
        )
    )
    return corpora.store_window(path, start, min(MAX_SHOWN, total - start))


def render_opened_explore(current: dict[str, Any]) -> None:
    """Explore's page body for an opened recording."""
    key = f"{state.EXPLORE_PREFIX}.{state.OPENED_PREFIX}.{current['path']}"
    handed = state.take(state.EXPLORE_UNIT)  # a unit picked in Analyze: show it
    if handed:
        st.session_state[f"{key}.layer"] = handed["layer"]
        st.session_state[f"{key}.unit"] = handed["unit"]
        st.session_state[f"{key}.view"] = "unit"
    trace = _pick_steps(opened_trace(current, key), key)
    steps = int(trace.lengths[0])
    render_tokens(
        trace.tokens[0] if trace.tokens else [str(t) for t in range(steps)],
        [False] * steps,
        numeric=False,
        key=f"{key}.tokens",
        heading="The recorded tokens",
    )
    top = st.columns([4, 1], vertical_alignment="bottom")
    with top[0]:
        layer, direction = render_pickers(trace, key=key)
    with top[1]:
        unit = render_unit_picker(trace, key=key)
    view = st.radio(
        "View",
        list(VIEWS),
        format_func=VIEWS.get,
        horizontal=True,
        key=f"{key}.view",
        label_visibility="collapsed",
    )
    if view == "unit":
        render_unit(trace, layer, direction, unit, key=key)
    else:
        render_heatmap_view(trace, layer, direction, None, unit, key=key)
    st.caption(
        "Recorded states only: no gates"
        + (", " if "cell" in trace.names else ", no cell state, ")
        + "and no model, so nothing can be re-run on a new input. Close it (above) to explore "
        "the sidebar's model."
        if trace.kind in ("lstm_states", "hidden_states")
        else "Recorded by a model that is not run here: a new input needs the model itself."
    )
