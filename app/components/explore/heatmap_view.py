"""Explore's Heatmaps view: every quantity of one layer, units in the chosen order."""

from __future__ import annotations

import numpy as np

from app.components.explore.export import plotly_config
from app.components.heatmaps import render_heatmaps
from lstm_viz import Trace
from lstm_viz.figures.ordering import ORDERING_LABELS
from lstm_viz.quantities import label


def order_note(
    method: str, quantity: str, order: np.ndarray, trace: Trace, followed: int | None = None
) -> str:
    """What the heatmaps' rows are, in words, and where the ``followed`` unit (the red outline)
    is among them: its row, or that it is not shown."""
    units, shown = trace[quantity].shape[-1], len(order)
    which = f"the first {shown} of {units} units" if shown < units else f"all {units} units"
    how = ORDERING_LABELS[method]
    of = "" if method in ("index",) else f" of their {label(quantity).split(' (')[0].lower()}"
    note = f"Rows: {which}, {how}{of}; the same order in every heatmap (y: unit number)."
    if followed is not None:
        rows = np.flatnonzero(np.asarray(order) == followed)
        if rows.size:
            note += f" The followed unit {followed} is row {int(rows[0]) + 1}."
        else:
            note += (
                f" The followed unit {followed} is not among them (Show the top k: 0 shows all)."
            )
    return note


def render_heatmap_view(
    trace: Trace,
    layer: int,
    direction: int,
    units: np.ndarray | None,
    unit: int,
    key: str,
    recording: str | None = None,
    scales=None,
    hints: dict[str, str] | None = None,
    numeric: bool = False,
    hidden: bool = False,
) -> None:
    """The heatmaps, the chosen unit's row outlined in each; ``recording`` names the recording
    (app.resources.recording_key): its figures are shared by every session (None: not cached).
    ``numeric``: the model reads numbers (the x axis counts steps); ``hidden``: a classroom link
    hides the controls (no unit-window picker: the first units are shown)."""
    render_heatmaps(
        trace,
        layer,
        direction,
        key=key,
        units=units,
        config=plotly_config(key),
        highlight=unit,
        recording=recording,
        scales=scales,
        hints=hints,
        numeric=numeric,
        window_picker=not hidden,
    )
