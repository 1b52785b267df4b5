"""Figure builders: a Trace in, a plotly figure out. No streamlit here (app/ calls this).

Every page colours a quantity through :func:`colour_scale`, so the same quantity looks the same
everywhere (STYLE.md, "Colour and units"):

- gates (input, forget, output; GRU reset and update) are in [0, 1]: sequential, fixed 0..1;
- candidate, hidden and GRU's new gate are in [-1, 1]: diverging, fixed -1..1, centred on 0;
- cell state and an RNN's pre-activation are unbounded: diverging, symmetric around 0, the range
  (+-max|value|) said in the colour bar's title.

:func:`heatmap` draws one quantity of one layer and direction: units down, time across, labelled
with the tokens. It never ships more than ``max_steps`` x ``max_units`` cells: longer inputs are
averaged over equal windows of steps, wider layers show a window of units, and the figure's title
says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lstm_viz.figures.colours import colour_scale, difference_scale, scale_source
from lstm_viz.quantities import (
    QUANTITY_SYMBOLS,
    display_order,
    display_token,
    label,
    plotly_safe,
)
from lstm_viz.trace import DIRECTION_NAMES, Trace

DEFAULT_MAX_STEPS = 300  # columns: about what a half-width chart shows legibly
DEFAULT_MAX_UNITS = 64  # rows
# The margins plotly's automatic margins settle on for these charts (measured in Chromium: the
# unit labels and title on the left, the colour bar and its title on the right, the step labels
# and title below; rotated token labels need more). Starting there, plotly draws a chart once:
# from 50/10/60/50 it drew every chart a second time when the margins moved (about a third of
# plotly's time in Explore). Wider labels still push the margins out: nothing is ever cut.
MARGIN = dict(l=80, r=105, t=60, b=80)
MARGIN_ROTATED_BOTTOM = 100  # for token labels drawn at -60 degrees
# The most hover values (cells x other quantities) a heatmap carries: the default sentence
# (23 steps x 128 units x 5) has 14,720; 300 columns x 64 units x 5 (96,000) took the browser
# about 0.6 s more for six heatmaps than without (benchmarks/explore_speed.py, 1,000 x 256).
HOVER_VALUES = 40_000


@dataclass(frozen=True)
class Window:
    """What a heatmap shows of a [time, unit] grid: step windows and a range of units."""

    steps: int  # recorded steps (time axis length)
    window: int  # steps averaged per column (1: every step its own column)
    unit_start: int
    unit_stop: int
    units: int  # units recorded

    @property
    def columns(self) -> int:
        return math.ceil(self.steps / self.window)

    @property
    def note(self) -> str:
        """What was averaged or left out; "" when every cell is shown."""
        return self.describe()

    def describe(self, ordered: bool = False) -> str:
        """``note``; ``ordered``: the units are in a chosen order, so the window is of rows
        ("rows 1-64 of 128 in this order"), not of unit numbers."""
        parts = []
        if self.window > 1:
            parts.append(
                f"mean over windows of {self.window} steps ({self.steps:,} steps in "
                f"{self.columns:,} columns)"
            )
        if self.unit_stop - self.unit_start < self.units and ordered:
            parts.append(
                f"rows {self.unit_start + 1}-{self.unit_stop} of {self.units} in this order"
            )
        elif self.unit_stop - self.unit_start < self.units:
            parts.append(f"units {self.unit_start}-{self.unit_stop - 1} of {self.units}")
        return "; ".join(parts)


def plan_window(
    steps: int,
    units: int,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_units: int = DEFAULT_MAX_UNITS,
    unit_start: int = 0,
) -> Window:
    """How to fit ``steps`` x ``units`` into at most ``max_steps`` x ``max_units`` cells."""
    if max_steps < 1 or max_units < 1:
        raise ValueError("max_steps and max_units must be >= 1")
    window = max(1, math.ceil(steps / max_steps))
    start = min(max(0, unit_start), max(0, units - max_units))
    return Window(steps, window, start, min(units, start + max_units), units)


def _windowed(grid: np.ndarray, window: int) -> np.ndarray:
    """[time, unit] -> [columns, unit]: the mean of each window of steps (NaN-aware)."""
    if window == 1:
        return grid
    steps, units = grid.shape
    columns = math.ceil(steps / window)
    padded = np.full((columns * window, units), np.nan, dtype=grid.dtype)
    padded[:steps] = grid
    blocks = padded.reshape(columns, window, units)
    counts = np.isfinite(blocks).sum(axis=1)
    sums = np.nansum(blocks, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).astype(grid.dtype)


def heatmap_grid(
    trace: Trace,
    quantity: str,
    layer: int = 0,
    direction: int | str = 0,
    batch: int = 0,
    window: Window | None = None,
    units: np.ndarray | None = None,
) -> np.ndarray:
    """The values a heatmap shows: [unit, column] float32, units of the window, steps averaged.

    ``units``: the unit indices to show, in order (see lstm_viz.figures.ordering); the window's
    unit range then counts positions in that list.
    """
    direction = _direction_index(trace, direction)
    grid = trace[quantity][layer, direction, batch].numpy()  # [time, unit], a view
    # Only the units shown are copied (5,000 steps x 1,024 units is 20 MB a quantity, and a
    # heatmap reads six quantities for its hover).
    if units is not None:
        order = np.asarray(units, dtype=np.int64)
        grid = grid[:, order if window is None else order[window.unit_start : window.unit_stop]]
    elif window is not None:
        grid = grid[:, window.unit_start : window.unit_stop]
    grid = grid.astype(np.float32, copy=False)  # may still be a view: copied below
    if window is None:
        return grid.T.copy()
    return _windowed(grid, window.window).T.copy()  # [unit, column], C order


def _direction_index(trace: Trace, direction: int | str) -> int:
    if isinstance(direction, str):
        return DIRECTION_NAMES.index(direction)
    return direction


def heatmap(
    trace: Trace,
    quantity: str,
    layer: int = 0,
    direction: int | str = 0,
    batch: int = 0,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_units: int = DEFAULT_MAX_UNITS,
    unit_start: int = 0,
    height: int | None = None,
    units: np.ndarray | list[int] | None = None,
    difference: bool = False,
    bound: float | None = None,
    numeric: bool = False,
    grids: dict[str, np.ndarray] | None = None,
) -> go.Figure:
    """One quantity of one layer, direction and batch element: units down, time across.

    ``units`` (optional): which units to show, in this order, e.g. ``order_units(...)`` from
    lstm_viz.figures.ordering; the y axis then labels each row with its unit index.
    ``difference``: the trace holds differences of two recordings (see lstm_viz.figures.compare):
    a diverging scale centred on 0 for every quantity, gates fixed to -1..1.
    ``bound``: the colour range's half-width for an unbounded quantity (the cell state): the
    model's stored scale (lstm_viz.analysis.scales), so every input of the model gets the same
    colours; None: this input's largest |value| (the colour bar says which).
    ``layout.meta["scale"]`` holds the (zmin, zmax) drawn and where they came from.
    ``numeric``: the model reads numbers, not tokens (``trace.tokens`` hold each step's values):
    the x axis is titled "step" and labelled with step numbers; hover still shows the values.
    A trace without tokens is labelled with step numbers too.

    x is the step (columns labelled with the tokens), y the unit (0 at the top); every row shown
    is labelled with its unit when the rows are tall enough for a label, else every k-th. Hover
    shows the token, step, unit, the value, and every other recorded quantity at that cell (on
    views of at most HOVER_VALUES / 5 cells: beyond, drawing them cost the browser more than the
    rest of the page, and hover says so). Padded
    steps (NaN) stay blank. More than ``max_steps`` steps are averaged over equal windows;
    more than ``max_units`` units show ``max_units`` of them from ``unit_start``; the title says
    so (``figure.layout.meta["note"]`` holds the same words, "" when nothing was left out).

    ``grids``: :func:`heatmap_grid` results for this window by quantity name, shared by the
    heatmaps of one panel (see :func:`heatmap_panel`); missing ones are computed.
    """
    direction = _direction_index(trace, direction)
    steps = trace.num_steps
    width = trace[quantity].shape[-1]
    order = None if units is None else np.asarray(units, dtype=np.int64)
    if order is not None and (order.size == 0 or order.min() < 0 or order.max() >= width):
        raise ValueError(f"units must be indices in [0, {width}), got {order.tolist()[:8]}...")
    shown = width if order is None else len(order)
    win = plan_window(steps, shown, max_steps, max_units, unit_start)
    grids = {} if grids is None else grids

    def grid_of(name: str) -> np.ndarray:
        if name not in grids:
            grids[name] = heatmap_grid(trace, name, layer, direction, batch, win, order)
        return grids[name]

    z = grid_of(quantity)  # [unit, column]

    # The other quantities at the same cells (only those with as many units, e.g. not a
    # projected hidden state next to the cell).
    others = [
        n for n in display_order(trace.names) if n != quantity and trace[n].shape[-1] == width
    ]
    cells = (win.unit_stop - win.unit_start) * win.columns
    hover_note = ""
    if others and cells * len(others) > HOVER_VALUES:  # the browser's cost grows with them
        others = []
        hover_note = f"other quantities: on views of up to {HOVER_VALUES // 5:,} cells"
    customdata = (
        np.stack(
            [grid_of(n) for n in others],
            axis=-1,
        )
        if others
        else None
    )  # [unit, column, len(others)]

    tokens = _tokens(trace, batch, steps)
    columns = win.columns
    starts = np.arange(columns) * win.window
    by_step = numeric or trace.tokens is None  # no tokens to label the columns with
    if win.window == 1:
        column_text = [
            plotly_safe(f"{display_token(tokens[t])!r} · step {t}") for t in range(steps)
        ]
        tick_text = (
            [str(t) for t in range(steps)]
            if by_step
            else [plotly_safe(display_token(t)) for t in tokens]
        )
    else:
        column_text = []
        tick_text = []
        for s in starts:
            stop = min(s + win.window, steps)
            shown = "".join(display_token(t) for t in tokens[s:stop])
            shown = shown if len(shown) <= 24 else shown[:23] + "…"
            column_text.append(plotly_safe(f"{shown!r} · steps {s}-{stop - 1} (mean)"))
            tick_text.append(f"{s:,}")  # single tokens would mislead here: label steps
    symbol = QUANTITY_SYMBOLS.get(quantity, quantity)
    delta = "Δ" if difference else ""
    hover = ["%{x}", "unit %{y}", f"<b>{delta}{symbol} = %{{z:.3f}}</b>"]
    hover += [
        f"{delta}{QUANTITY_SYMBOLS.get(n, n)} = %{{customdata[{k}]:.3f}}"
        for k, n in enumerate(others)
    ] + ([f"<i>{hover_note}</i>"] if hover_note else [])
    scale = difference_scale(quantity, z, bound) if difference else colour_scale(quantity, z, bound)
    colour_title = scale.pop("title")
    source = scale_source({"title": colour_title})
    if order is None:
        y = np.arange(win.unit_start, win.unit_stop, dtype=np.int32)
    else:  # a category axis: rows in the given order, labelled with their unit index
        y = [str(u) for u in order[win.unit_start : win.unit_stop]]
    figure_height = height or _height(win.unit_stop - win.unit_start)

    every = _tick_stride(tick_text, columns) if win.window == 1 else math.ceil(columns / 8)
    title = ("Difference: " if difference else "") + label(quantity)
    note = win.describe(ordered=order is not None)
    where = f"layer {layer}"
    if trace.num_directions > 1:
        where += f", {DIRECTION_NAMES[direction]}"
    subtitle = where + (f" · {note}" if note else "")
    yaxis = dict(title=dict(text="unit"), autorange="reversed", showgrid=False, zeroline=False)
    rows = win.unit_stop - win.unit_start
    rotated = win.window == 1 and max(map(len, tick_text), default=1) > 2
    margin = {**MARGIN, "b": MARGIN_ROTATED_BOTTOM} if rotated else MARGIN
    row_every = _row_stride(rows, figure_height - margin["t"] - margin["b"])
    if order is not None:
        yaxis["type"] = "category"
        yaxis.update(tickmode="array", tickvals=y[::row_every], ticktext=y[::row_every])
    elif rows <= 40 or row_every == 1:  # plotly's own ticks skip rows: label every k-th
        shown_units = list(range(win.unit_start, win.unit_stop, row_every))
        yaxis.update(tickmode="array", tickvals=shown_units, ticktext=[str(u) for u in shown_units])
    # One constructor call with plain dicts: plotly validates the figure once (three update_*
    # calls validated it three times, about half of the page's time per heatmap).
    return go.Figure(
        dict(
            data=[
                dict(
                    type="heatmap",
                    z=z,
                    x=column_text,  # unique per column: a category axis keeps repeats apart
                    y=y,
                    customdata=customdata,
                    hovertemplate="<br>".join(hover) + "<extra></extra>",
                    hoverongaps=False,
                    colorbar=dict(title=dict(text=colour_title, side="top"), thickness=12, len=1.0),
                    **scale,
                )
            ],
            layout=dict(
                title=dict(text=title, subtitle=dict(text=subtitle), x=0, xanchor="left"),
                height=figure_height,
                margin=margin,
                meta={
                    "note": note,
                    "quantity": quantity,
                    "window": win.window,
                    "scale": {"zmin": scale["zmin"], "zmax": scale["zmax"], "source": source},
                },
                xaxis=dict(
                    title=dict(
                        text=("step" if by_step else "token")
                        if win.window == 1
                        else f"step (mean over {win.window}-step windows; hover for the "
                        + ("values)" if numeric else "tokens)")
                    ),
                    tickmode="array",
                    type="category",
                    tickvals=column_text[::every],
                    ticktext=tick_text[::every],
                    tickangle=-60 if rotated else 0,
                    showgrid=False,
                    zeroline=False,
                ),
                yaxis=yaxis,
            ),
        )
    )


def heatmap_panel(
    trace: Trace,
    names: list[str] | tuple[str, ...],
    layer: int = 0,
    direction: int | str = 0,
    grids: dict[str, np.ndarray] | None = None,
    **options,
) -> dict[str, go.Figure]:
    """:func:`heatmap` of each of ``names`` (same layer, direction and options), the windowed
    grids computed once for all of them (each heatmap's hover shows every other quantity, so
    heatmaps built one by one compute every grid once per heatmap). Returns name -> figure.

    ``grids``: a dict that receives the grids by name (a quantity always has its own width, so
    its window is the same in every heatmap of the panel): pass it to :func:`heatmap` to build
    another figure of the panel (e.g. on another colour scale) without computing them again."""
    grids = {} if grids is None else grids
    return {name: heatmap(trace, name, layer, direction, grids=grids, **options) for name in names}


def _tokens(trace: Trace, batch: int, steps: int) -> list[str]:
    if trace.tokens is None:
        return [str(t) for t in range(steps)]
    tokens = list(trace.tokens[batch])
    return tokens + [""] * (steps - len(tokens))


def _tick_stride(labels: list[str], columns: int, width_px: int = 560) -> int:
    """Label every k-th column so the labels do not overlap (about 7 px per character)."""
    if not labels:
        return 1
    longest = max(len(t) for t in labels)
    # One character (a text's tokens, which may touch: they read as the text) fits in 9 px;
    # steps 10-99 are drawn flat and need a gap: about 32 of these px each (Explore draws two
    # heatmaps side by side, about 320 real px wide); longer labels are rotated and take about
    # a line's height.
    per_label = 9 if longest <= 1 else 32 if longest == 2 else 14
    fits = max(1, width_px // per_label)
    return max(1, math.ceil(columns / fits))


def _row_stride(rows: int, plot_px: float, min_px: float = 11) -> int:
    """Label every k-th of ``rows`` rows so that labels are at least ``min_px`` apart."""
    if rows <= 0:
        return 1
    fits = max(1, int(plot_px // min_px))
    return max(1, math.ceil(rows / fits))


def _height(units: int) -> int:
    """Pixels for ``units`` rows: tall enough to label every row up to about 30 rows."""
    return int(min(520, max(260, MARGIN["t"] + MARGIN["b"] + 13 * units)))
