"""Figures for notebooks: ``lstm_viz.show(trace)`` returns the figures the app draws.

    output, trace = lstm_viz.record(model, inputs, tokens=[list("hello world")])
    lstm_viz.show(trace)                 # every quantity's heatmap, every layer
    lstm_viz.show(trace, unit=5)         # + the unit view of unit 5 (lines and coloured text)
    figures = lstm_viz.show(trace, quantities=["forget_gate"], layer=1)
    figures[0].write_html("forget.html") # each item is a plotly/altair figure
    lstm_viz.show(trace, scales=read_scales(folder))  # the cell on the model's fixed range, as
                                         # the app colours it (scales.json); else this input's

The heatmaps are :func:`lstm_viz.figures.heatmap.heatmap` (plotly), the unit view is
:func:`lstm_viz.figures.unit.unit_lines` (altair) and :func:`coloured_text_html`: the same
builders the Explore page calls, so a notebook and the app show the same thing. No streamlit here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from lstm_viz.figures.heatmap import heatmap
from lstm_viz.quantities import display_order
from lstm_viz.trace import Trace


class HTML:
    """A piece of safe HTML (already escaped) that notebooks render inline."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_html_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"HTML({len(self.text):,} characters)"


class Figures(list):
    """A list of figures (plotly, altair, :class:`HTML`) that a notebook shows one after another.

    Index it for one figure; ``names`` says what each is (e.g. "heatmap forget_gate layer 0")."""

    def __init__(self, items: Sequence[Any] = (), names: Sequence[str] = ()) -> None:
        super().__init__(items)
        self.names = list(names)

    def _ipython_display_(self) -> None:
        from IPython.display import display  # only in a notebook: IPython is not a dependency

        for item in self:
            display(item)

    def __repr__(self) -> str:
        return f"Figures({self.names})"


def show(
    trace: Trace,
    quantities: Sequence[str] | None = None,
    layer: int | Sequence[int] | None = None,
    direction: int | str = 0,
    batch: int = 0,
    unit: int | None = None,
    unit_quantity: str = "hidden",
    scales=None,
    **heatmap_options: Any,
) -> Figures:
    """The app's figures for ``trace``: one heatmap per quantity per layer, then the unit view.

    Args:
        trace: any Trace (a recording, a loaded file, an LSTMVis import).
        quantities: which to draw (default: all the trace records, in the app's order).
        layer: a layer position or a list of them (default: every layer).
        direction: 0 / "forward" or 1 / "backward".
        batch: which batch element.
        unit: when given, add the unit view: its gates and states over time (altair line charts)
            and the text coloured by ``unit_quantity`` (HTML), as the Explore page shows them.
        scales: the model's fixed colour scales (``lstm_viz.analysis.scales.read_scales(folder)``):
            the cell state is then coloured on the model's range in every figure, as in the
            app ("(model)"); None: on this input's ("(this input)").
        heatmap_options: passed to :func:`lstm_viz.figures.heatmap.heatmap` (max_steps,
            max_units, unit_start, units, height).

    Returns:
        :class:`Figures`, a list: plotly heatmaps [units x steps], then the unit view's charts.

    Raises:
        ValueError: an unknown quantity, or a unit/layer/batch out of range (one line).
    """
    from lstm_viz.figures.colours import layer_scale
    from lstm_viz.figures.heatmap import _direction_index
    from lstm_viz.figures.unit import coloured_text_html, unit_lines

    names = list(display_order(trace.names) if quantities is None else quantities)
    unknown = [n for n in names if n not in trace.names]
    if unknown:
        raise ValueError(f"this {trace.kind} trace has no {unknown}; it has {list(trace.names)}")
    layers = (
        list(range(trace.num_layers))
        if layer is None
        else [layer]
        if isinstance(layer, int)
        else list(layer)
    )
    for value, size, what in [(b, trace.batch_size, "batch") for b in [batch]] + [
        (lay, trace.num_layers, "layer") for lay in layers
    ]:
        if not 0 <= value < size:
            raise ValueError(f"{what} {value} is out of range: the trace has {size}")
    direction = _direction_index(trace, direction)
    if not 0 <= direction < trace.num_directions:
        raise ValueError(f"direction {direction} out of range: {trace.num_directions} direction(s)")
    items: list[Any] = []
    labels: list[str] = []
    for lay in layers:
        for name in names:
            bound = scales.bound(name, lay, direction) if scales is not None else None
            options = {"bound": bound, **heatmap_options}
            items.append(heatmap(trace, name, lay, direction, batch, **options))
            labels.append(f"heatmap {name} layer {lay}")
    if unit is not None:
        width = trace[unit_quantity].shape[-1]
        if not 0 <= unit < width:
            raise ValueError(f"unit {unit} is out of range: {unit_quantity} has {width} units")
        for lay in layers:
            for chart in unit_lines(trace, lay, direction, unit, batch):
                items.append(chart)
                labels.append(f"unit {unit} lines layer {lay}")
            steps = int(trace.lengths[batch])
            tokens = trace.tokens[batch][:steps] if trace.tokens else [str(t) for t in range(steps)]
            values = trace[unit_quantity][lay, direction, batch, :steps, unit].numpy()
            scale = layer_scale(trace, unit_quantity, lay, direction, scales, batch)
            items.append(HTML(coloured_text_html(tokens, values, unit_quantity, scale=scale)))
            labels.append(f"unit {unit} text layer {lay}")
    return Figures(items, labels)


def trace_html(trace: Trace, max_tokens: int = 80) -> str:
    """A short HTML summary of a Trace (its ``_repr_html_``): kind, shape, quantities with their
    unit counts, lengths and the first tokens. Everything from the trace is escaped."""
    rows = [
        ("kind", trace.kind),
        (
            "shape",
            f"{trace.num_layers} layer(s) x {trace.num_directions} direction(s) x "
            f"{trace.batch_size} sequence(s) x {trace.num_steps} steps",
        ),
        ("quantities", ", ".join(f"{n} [{v.shape[-1]} units]" for n, v in trace.values.items())),
        (
            "lengths",
            ", ".join(str(n) for n in trace.lengths.tolist()[:8])
            + (" ..." if trace.batch_size > 8 else ""),
        ),
    ]
    if trace.tokens:
        first = trace.tokens[0]
        joiner = "" if all(len(t) == 1 for t in first[:max_tokens]) else " "
        text = joiner.join(first[:max_tokens]) + (" ..." if len(first) > max_tokens else "")
        rows.append(("tokens", repr(text)))
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<div class='lstm-viz-trace'><b>lstm_viz.Trace</b><table>{body}</table></div>"
