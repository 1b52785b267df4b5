"""Explore's heatmaps as figures: a panel (the six heatmaps of one layer, direction and window,
their grids computed once), a figure of it on a fixed colour scale, and the followed unit's
outline on a copy. No caching here: app/resources/ caches and shares these per recording."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from lstm_viz.trace import Trace


@dataclass(frozen=True)
class HeatmapPanel:
    """The heatmaps of one layer, direction and window (name -> figure, on each quantity's
    own colour range) and the grids they show (name -> [unit, column]), to build another
    figure of the panel (a fixed colour scale) without computing them again."""

    figures: dict
    grids: dict
    window: tuple


def panel_names(trace: Trace, units: tuple[int, ...] | None) -> list[str]:
    """The quantities a panel with ``units`` shows: all of them without an order; with one,
    those as wide as the order needs (not a projected hidden state next to the cell)."""
    from lstm_viz.quantities import display_order

    names = display_order(trace.names)
    return [n for n in names if units is None or trace[n].shape[-1] > max(units)]


def build_heatmap_panel(
    trace: Trace,
    layer: int,
    direction: int,
    max_steps: int,
    max_units: int,
    unit_start: int,
    units: tuple[int, ...] | None,
    numeric: bool = False,
) -> HeatmapPanel:
    """lstm_viz.figures.heatmap.heatmap_panel of panel_names(trace, units)."""
    from lstm_viz.figures.heatmap import heatmap_panel

    grids: dict = {}
    figures = heatmap_panel(
        trace,
        panel_names(trace, units),
        layer,
        direction,
        grids=grids,
        max_steps=max_steps,
        max_units=max_units,
        unit_start=unit_start,
        units=units,
        numeric=numeric,
    )
    window = (layer, direction, max_steps, max_units, unit_start, units, numeric)
    return HeatmapPanel(figures, grids, window)


def panel_figure(trace: Trace, panel: HeatmapPanel, name: str, bound: float | None) -> go.Figure:
    """The panel's heatmap of ``name``; with ``bound`` (a fixed colour range for an unbounded
    quantity) built again on that scale from the panel's grids (no grid computed again)."""
    if bound is None:
        return panel.figures[name]
    from lstm_viz.figures.heatmap import heatmap

    layer, direction, max_steps, max_units, unit_start, units, numeric = panel.window
    return heatmap(
        trace,
        name,
        layer,
        direction,
        max_steps=max_steps,
        max_units=max_units,
        unit_start=unit_start,
        units=units,
        bound=bound,
        numeric=numeric,
        grids=panel.grids,
    )


def outlined(figure: go.Figure, highlight: int | None, row: float | None) -> go.Figure:
    """``figure`` with ``highlight``'s row (at ``row``) outlined in red: a copy (the heatmap's
    arrays are not recomputed, nor validated again); ``figure`` itself when ``row`` is None."""
    if row is None:
        return figure
    spec = figure.to_dict()
    spec["layout"]["shapes"] = [
        *spec["layout"].get("shapes", ()),
        dict(
            type="rect",
            xref="paper",
            x0=0,
            x1=1,
            y0=row - 0.5,
            y1=row + 0.5,
            line=dict(color="#d62728", width=2),
            name=f"unit {highlight}",
        ),
    ]
    return go.Figure(spec, _validate=False)


def split_choice(choice: tuple) -> tuple:
    """(name, window, highlight, row, bound) from build_heatmap_figure's arguments after the
    trace: name, layer, direction, max_steps, max_units, unit_start, units, highlight, row
    [, bound, numeric]; window as build_heatmap_panel takes it."""
    name, layer, direction, max_steps, max_units, unit_start, units, highlight, row, *rest = choice
    bound, numeric = (*rest, None, False)[:2] if len(rest) < 2 else rest[:2]
    window = (layer, direction, max_steps, max_units, unit_start, units, bool(numeric))
    return name, window, highlight, row, bound


def build_heatmap_figure(trace: Trace, *choice) -> go.Figure:
    """lstm_viz.figures.heatmap.heatmap of one quantity, the followed unit's row outlined in
    red. ``choice``: name, layer, direction, max_steps, max_units, unit_start, units,
    highlight, row (None: off screen)[, bound (the model's fixed colour range for an unbounded
    quantity; None: this input's), numeric]."""
    from lstm_viz.figures.heatmap import heatmap

    name, window, highlight, row, bound = split_choice(choice)
    layer, direction, max_steps, max_units, unit_start, units, numeric = window
    figure = heatmap(
        trace,
        name,
        layer=layer,
        direction=direction,
        max_steps=max_steps,
        max_units=max_units,
        unit_start=unit_start,
        units=units,
        bound=bound,
        numeric=numeric,
    )
    return outlined(figure, highlight, row)
