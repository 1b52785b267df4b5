"""Figures for numeric series: an autoencoder's anomalies and a forecaster's forecasts, each with
gate heatmaps under the signal on the same step axis (one plotly figure, shared x)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_viz.figures.colours import colour_scale
from lstm_viz.figures.layout import title, top_legend
from lstm_viz.quantities import QUANTITY_LABELS

SIGNAL, RECONSTRUCTION, FLAG, EVENT = "#444444", "#1f77b4", "#d62728", "rgba(214,39,40,0.12)"


def _label(quantity: str) -> str:
    return QUANTITY_LABELS.get(quantity, quantity.replace("_", " "))


def anomaly_figure(
    value: np.ndarray,
    reconstruction: np.ndarray,
    error: np.ndarray,
    anomaly: np.ndarray,
    threshold: float,
    grids: dict[str, np.ndarray],
    quantity: str,
    events: Sequence[tuple[str, int, int]] = (),
    selected: int | None = None,
    bound: float | None = None,
) -> go.Figure:
    """Input and reconstruction overlaid (flagged steps marked), the per-step error with the
    threshold, then one heatmap per entry of ``grids`` (title -> [unit, step] of ``quantity``),
    all on one step axis. ``events``: (kind, start, stop) spans shaded (known injected
    anomalies); ``selected``: a step marked by a vertical line. The heatmaps share one colour
    scale and its one colour bar: an unbounded quantity (the cell state) spans the model's
    stored ``bound`` (lstm_viz.analysis.scales), else the largest |value| of all the grids."""
    steps = np.arange(len(value))
    rows = 2 + len(grids)
    heights = [0.3, 0.16] + [0.54 / max(1, len(grids))] * len(grids)
    names = ["input and reconstruction", "reconstruction error"] + [
        f"{name}: {_label(quantity)}" for name in grids
    ]
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=heights,
        subplot_titles=names,
    )
    fig.add_trace(
        go.Scatter(x=steps, y=value, name="input", line=dict(color=SIGNAL, width=1)), 1, 1
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=reconstruction,
            name="reconstruction",
            line=dict(color=RECONSTRUCTION, width=1, dash="dot"),
        ),
        1,
        1,
    )
    flagged = np.flatnonzero(anomaly)
    fig.add_trace(
        go.Scatter(
            x=flagged,
            y=value[flagged],
            mode="markers",
            name="anomalous step",
            marker=dict(color=FLAG, size=6, symbol="x"),
        ),
        1,
        1,
    )
    fig.add_trace(go.Scatter(x=steps, y=error, name="error", line=dict(color=FLAG, width=1)), 2, 1)
    fig.add_trace(
        go.Scatter(
            x=[0, len(value) - 1],
            y=[threshold, threshold],
            name=f"threshold {threshold:.3g}",
            mode="lines",
            line=dict(color="#000000", width=1, dash="dash"),
        ),
        2,
        1,
    )
    every = np.concatenate([np.ravel(grid) for grid in grids.values()]) if grids else None
    shared = colour_scale(quantity, every, bound)  # one colour bar is shown: it fits them all
    bar = shared.pop("title")
    for row, grid in enumerate(grids.values(), start=3):
        scale = dict(shared)
        fig.add_trace(
            go.Heatmap(
                z=grid,
                x=steps,
                colorbar=dict(title=dict(text=bar), len=0.25, y=0.25),
                showscale=row == 3,
                hovertemplate="step %{x}, unit %{y}: %{z:.3f}<extra></extra>",
                **scale,
            ),
            row,
            1,
        )
        fig.update_yaxes(title_text="unit", row=row, col=1)
    for _kind, start, stop in events:
        fig.add_vrect(x0=start - 0.5, x1=stop - 0.5, fillcolor=EVENT, line_width=0, row=1, col=1)
    if selected is not None:
        for row in range(1, rows + 1):
            fig.add_vline(x=selected, line=dict(color=FLAG, width=1), row=row, col=1)
    fig.update_xaxes(title_text="step", row=rows, col=1)
    fig.update_layout(
        title=title(
            "Where the autoencoder fails to reconstruct",
            f"{len(flagged)} of {len(value)} steps over the threshold",
        ),
        legend=top_legend(1.04),
        height=260 + 170 * rows,
        margin=dict(t=110, l=60, r=20, b=40),
    )
    return fig


def forecast_figure(
    values: np.ndarray,
    predictions: np.ndarray,
    start: int,
    forecast: np.ndarray,
    grid: np.ndarray,
    quantity: str,
    first_step: int = 0,
) -> go.Figure:
    """The truth, the one-step predictions (entry t predicts step t + 1), a free-running forecast
    from ``start`` (forecast[j] predicts step start + 1 + j), and a heatmap of ``quantity``
    ([unit, step] over steps first_step .. first_step + columns - 1) on the same step axis."""
    steps = np.arange(len(values))
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.45, 0.55],
        subplot_titles=["truth, one-step prediction, free-running forecast", _label(quantity)],
    )
    fig.add_trace(go.Scatter(x=steps, y=values, name="truth", line=dict(color=SIGNAL)), 1, 1)
    fig.add_trace(
        go.Scatter(
            x=steps[1:] if len(predictions) else steps,
            y=predictions[: len(values) - 1],
            name="one-step prediction",
            line=dict(color=RECONSTRUCTION, dash="dot"),
        ),
        1,
        1,
    )
    ahead = np.arange(start + 1, start + 1 + len(forecast))
    fig.add_trace(
        go.Scatter(
            x=ahead, y=forecast, name=f"forecast, {len(forecast)} steps", line=dict(color=FLAG)
        ),
        1,
        1,
    )
    scale = colour_scale(quantity, grid)
    bar = scale.pop("title")
    fig.add_trace(
        go.Heatmap(
            z=grid,
            x=np.arange(first_step, first_step + grid.shape[1]),
            colorbar=dict(title=dict(text=bar), len=0.5, y=0.25),
            hovertemplate="step %{x}, unit %{y}: %{z:.3f}<extra></extra>",
            **scale,
        ),
        2,
        1,
    )
    for row in (1, 2):
        fig.add_vline(x=start + 0.5, line=dict(color=FLAG, width=1, dash="dash"), row=row, col=1)
    fig.update_yaxes(title_text="unit", row=2, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    fig.update_layout(
        title=title(
            "One step ahead, and on its own",
            f"after step {start} the model reads its own forecasts (right of the dashed line)",
        ),
        legend=top_legend(1.06),
        height=620,
        margin=dict(t=110, l=60, r=20, b=40),
    )
    return fig
