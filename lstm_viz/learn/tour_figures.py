"""Figures of a tour stop: the stop's heatmap window and the lines of the units it points at."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_viz.figures.heatmap import heatmap
from lstm_viz.learn.tours import LINE_COLOURS, WINDOW_UNITS, Stop, quantity_grid, token_labels
from lstm_viz.quantities import display_token, label, plotly_safe
from lstm_viz.trace import Trace


def stop_figure(trace: Trace, stop: Stop, height: int = 300, scales=None) -> go.Figure:
    """The figure of one stop: a heatmap of a few units around the stop's unit (the unit's row
    and the stop's steps outlined), or a line chart of the unit across the input.

    ``scales``: the model's fixed colour scales (lstm_viz.analysis.scales.Scales, or None): a
    cell-state heatmap then uses the model's range, as Explore does (its colour bar says
    "(model)"); without one, this input's ("(this input)")."""
    if stop.figure == "line":
        return unit_lines(trace, stop, height=height)
    if stop.figure == "ablation":
        return ablation_bars(stop, height=height)
    units = trace[stop.quantity].shape[-1]
    start = 0
    if stop.unit is not None:
        start = min(max(0, stop.unit - WINDOW_UNITS // 2), max(0, units - WINDOW_UNITS))
    shown = min(units, WINDOW_UNITS if stop.unit is not None else 64)
    figure = heatmap(
        trace,
        stop.quantity,
        layer=stop.layer,
        direction=stop.direction,
        max_units=shown,
        unit_start=start,
        height=max(height, 140 + 6 * shown),  # 64 units: 6 px a row, not 2.7 in 300 px
        bound=scales.bound(stop.quantity, stop.layer, stop.direction) if scales else None,
    )
    if stop.unit is not None:
        figure.add_shape(
            type="rect",
            x0=-0.5,
            x1=trace.num_steps - 0.5,
            y0=stop.unit - 0.5,
            y1=stop.unit + 0.5,
            line=dict(color="#e7298a", width=2),
        )
    for step in stop.steps:
        figure.add_shape(
            type="rect",
            x0=step - 0.5,
            x1=step + 0.5,
            y0=(stop.unit if stop.unit is not None else start) - 0.5,
            y1=(stop.unit if stop.unit is not None else min(units, start + 64) - 1) + 0.5,
            line=dict(color="#ff7f00", width=3),
        )
    figure.update_layout(meta={**figure.layout.meta, "unit": stop.unit, "steps": list(stop.steps)})
    return figure


def unit_lines(trace: Trace, stop: Stop, height: int = 300) -> go.Figure:
    """One unit's quantities (or the stop's comparison lines) across the input's tokens.

    A cell state drawn with gates gets a panel of its own above them (one y axis each: the
    cell's range, the gates' fixed 0..1), so neither is squeezed and no two scales share a
    panel; ``layout.meta["panels"]`` names the series of each panel."""
    tokens = token_labels(trace)
    x = [plotly_safe(f"{display_token(t)} · {i}") for i, t in enumerate(tokens)]
    series: dict[str, list[float]] = dict(stop.compare)
    for name in stop.quantities:
        series[label(name).split(" (")[0]] = quantity_grid(trace, name, stop.layer, stop.direction)[
            :, stop.unit
        ].tolist()
    cell_name = label("cell").split(" (")[0]
    split = len(series) > 1 and cell_name in series and not stop.compare
    if split:
        figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
        height = max(height, 380)
    else:
        figure = go.Figure()
    panels: dict[str, list[str]] = {"y": [], "y2": []}
    for k, (name, values) in enumerate(series.items()):
        row = 2 if split and name != cell_name else 1
        panels["y2" if row == 2 else "y"].append(name)
        trace_line = go.Scatter(
            x=x[: len(values)],
            y=values,
            name=name,
            mode="lines+markers",
            line=dict(color=LINE_COLOURS[k % len(LINE_COLOURS)], width=2),
            hovertemplate="%{x}<br>%{y:.3f}<extra>" + name + "</extra>",
        )
        if split:
            figure.add_trace(trace_line, row=row, col=1)
        else:
            figure.add_trace(trace_line)
    for step in stop.steps:
        figure.add_vrect(
            x0=step - 0.5, x1=step + 0.5, fillcolor="#ff7f00", opacity=0.15, line_width=0
        )
    figure.update_layout(
        title=dict(text=f"Unit {stop.unit}, layer {stop.layer}", x=0, xanchor="left"),
        height=height,
        margin=dict(l=60, r=10, t=50, b=40),
        legend=dict(orientation="h", y=-0.15 if split else -0.25),
        meta={
            "unit": stop.unit,
            "layer": stop.layer,
            "series": list(series),
            "panels": {k: v for k, v in panels.items() if v},
        },
    )
    figure.update_xaxes(
        type="category",
        tickmode="array",
        tickvals=x,
        ticktext=[plotly_safe(display_token(t)) for t in tokens],
        tickangle=0,
    )
    figure.update_yaxes(zeroline=True, zerolinecolor="#999")
    if split:
        figure.update_yaxes(title_text="cell c", row=1, col=1)
        figure.update_yaxes(title_text="gate", range=[-0.05, 1.05], tickvals=[0, 0.5, 1], row=2)
    return figure


def ablation_bars(stop: Stop, height: int = 300) -> go.Figure:
    """One bar per unit: the drop in agreement when it is zeroed (``stop.compare``, one list
    per layer, fractions), drawn in percentage points as the stop's text says it; the stop's
    unit in red."""
    many = len(stop.compare) > 1
    names, drops, colours = [], [], []
    for layer, row in enumerate(stop.compare.values()):
        for unit, drop in enumerate(row):
            names.append(f"{layer}:{unit}" if many else str(unit))
            drops.append(100 * drop)  # percentage points
            chosen = (layer, unit) == (stop.layer, stop.unit)
            colours.append("#d62728" if chosen else "#9ecae1")
    figure = go.Figure(
        go.Bar(
            x=names,
            y=drops,
            marker_color=colours,
            hovertemplate="unit %{x}<br>drop %{y:.1f} points<extra></extra>",
        )
    )
    figure.update_layout(
        title=dict(text="Drop in agreement when each unit is zeroed", x=0, xanchor="left"),
        height=height,
        margin=dict(l=60, r=10, t=50, b=40),
        xaxis=dict(title="unit (layer:unit)" if many else "unit", type="category"),
        yaxis=dict(title="drop in accuracy (percentage points)", range=[min(0.0, *drops) - 2, 100]),
        meta={"figure": "ablation", "unit": stop.unit, "layer": stop.layer},
    )
    return figure
