"""Colours in one place: every page colours a quantity through :func:`colour_scale`.

STYLE.md, "Colour and units": gates in [0, 1] on a sequential scale fixed to 0..1; candidate and
hidden in [-1, 1] on a diverging scale centred on 0; the cell state (unbounded) diverging,
symmetric around 0, with its range said in the colour bar's title.
"""

from __future__ import annotations

import numpy as np
from plotly.colors import sample_colorscale

from lstm_viz.quantities import BOUNDED, GATES, QUANTITY_SYMBOLS

# Sequential for [0, 1] (dark = closed, bright = open); diverging blue-white-red for signed values.
SEQUENTIAL = "Viridis"
DIVERGING = [
    [0.0, "#2166ac"],
    [0.25, "#92c5de"],
    [0.5, "#f7f7f7"],
    [0.75, "#f4a582"],
    [1.0, "#b2182b"],
]


def colour_scale(
    quantity: str, values: np.ndarray | None = None, bound: float | None = None
) -> dict:
    """The colour scale of ``quantity``, the same on every page.

    Returns dict(colorscale, zmin, zmax, title) plus zmid for diverging scales; pass it to a
    plotly heatmap (``title`` goes to the colour bar). Unbounded quantities (cell,
    pre_activation) take ``bound``, the model's stored range (lstm_viz.analysis.scales: the
    same for every input; the title says "model"), else ``values`` set their symmetric range
    +-max|value| (the title says "this input"); a hidden state outside [-1, 1] (a ReLU RNN's)
    is treated as unbounded too.
    """
    symbol = QUANTITY_SYMBOLS.get(quantity, quantity)
    if quantity in GATES:
        return dict(colorscale=SEQUENTIAL, zmin=0.0, zmax=1.0, title=f"{symbol}<br>0 to 1")
    if bound is not None and quantity not in BOUNDED:
        return symmetric_scale(symbol, bound, "model")
    if values is None and quantity not in BOUNDED:
        raise ValueError(f"the colour range of {quantity!r} depends on its values: pass them")
    bound = max_abs(values)
    if quantity in BOUNDED and bound <= 1.0 + 1e-6:
        return dict(
            colorscale=DIVERGING, zmin=-1.0, zmax=1.0, zmid=0.0, title=f"{symbol}<br>-1 to 1"
        )
    # Unbounded (or a bounded name whose values left [-1, 1]): symmetric, the range said.
    return symmetric_scale(symbol, bound if bound > 0 else 1.0, "this input")


SCALE_SOURCES = {  # what a symmetric range was taken from, as the colour bar says it
    "model": "the model's fixed scale, from its validation data",
    "this input": "this input's largest |value| (no fixed scale stored for this model)",
    "shared": "one scale for every pane",
}


def symmetric_scale(symbol: str, bound: float, source: str | None = None) -> dict:
    """A diverging scale over [-bound, bound], centred on 0, the range said in the title, with
    ``source`` (a key of SCALE_SOURCES: "model", "this input", "shared") under it."""
    title = f"{symbol}<br>±{short_number(bound)}"
    if source:
        title += f"<br>({source})"
    return dict(colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0.0, title=title)


def difference_scale(
    quantity: str, values: np.ndarray | None = None, bound: float | None = None
) -> dict:
    """The colour scale of a difference of ``quantity`` between two recordings: diverging,
    centred on 0; a gate difference is fixed to -1..1, a tanh output's to -2..2, others
    symmetric around 0: over ``bound`` when given (the scale the two panes share, so a
    difference reads in the same units as the panes), else the range said (like
    :func:`colour_scale`)."""
    fixed = 1.0 if quantity in GATES else 2.0 if quantity in BOUNDED else None
    source = None
    if fixed is None and bound is not None:
        fixed, source = bound, "shared"
    value = fixed if fixed is not None else (max_abs(values) or 1.0)
    return symmetric_scale("Δ" + QUANTITY_SYMBOLS.get(quantity, quantity), value, source)


def scale_source(scale: dict) -> str:
    """Where a :func:`colour_scale` range came from, as its colour bar says it: "model",
    "this input", "shared", or "fixed" (gates, tanh outputs: the same for every model)."""
    title = str(scale.get("title", ""))
    return title.split("<br>(")[1].rstrip(")") if "<br>(" in title else "fixed"


def scale_words(scale: dict) -> str:
    """A colour scale in the colour bar's words on one line, e.g. "c ±13 (model)", for places
    without a colour bar (coloured text, diagrams)."""
    return str(scale.get("title", "")).replace("<br>", " ")


def layer_scale(trace, quantity: str, layer: int, direction: int = 0, scales=None, batch=0):
    """The colour scale of ``quantity`` in one layer and direction of ``trace`` (one batch
    element), as Explore's heatmap of that layer draws it: the model's stored range when
    ``scales`` (lstm_viz.analysis.scales.Scales, or None) has one ("model"), else this input's
    largest |value| over every unit of the layer ("this input"); gates and tanh outputs fixed.
    Returns :func:`colour_scale`'s dict."""
    bound = scales.bound(quantity, layer, direction) if scales is not None else None
    steps = int(trace.lengths[batch])
    values = trace[quantity][layer, direction, batch, :steps].numpy()  # [T, U]
    return colour_scale(quantity, values, bound)


def legend_html(scale: dict, width_px: int = 180) -> str:
    """A small horizontal colour bar for coloured text: the scale's ends and its words
    (e.g. "c ±13 (model)"); ``data-zmin``/``data-zmax``/``data-source`` hold the range drawn."""
    import html

    low, high = float(scale["zmin"]), float(scale["zmax"])
    stops = scale["colorscale"]
    if isinstance(stops, str):
        stops = [
            [k / 4, c] for k, c in enumerate(sample_colorscale(stops, [0, 0.25, 0.5, 0.75, 1]))
        ]
    gradient = ", ".join(f"{c} {100 * float(p):.0f}%" for p, c in stops)
    return (
        f'<div class="lv-legend" data-zmin="{low:g}" data-zmax="{high:g}" '
        f'data-source="{html.escape(scale_source(scale))}" style="display:flex;gap:6px;'
        'align-items:center;font-size:0.8rem;margin:2px 0 6px">'
        f"<span>{short_number(low)}</span>"
        f'<span style="display:inline-block;width:{width_px}px;height:10px;border:1px solid #999;'
        f'background:linear-gradient(to right, {gradient})"></span>'
        f"<span>{short_number(high)}</span>"
        f"<span>{html.escape(_legend_words(scale))}</span></div>"
    )


def _legend_words(scale: dict) -> str:
    """scale_words without a fixed range, which the bar's two ends already say ("h -1 to 1" ->
    "h"); a range with a source keeps its words ("c ±13 (model)")."""
    fixed = scale_source(scale) == "fixed"
    return str(scale.get("title", "")).partition("<br>")[0] if fixed else scale_words(scale)


def max_abs(values: np.ndarray | None) -> float:
    if values is None:
        return 0.0
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    return float(np.abs(finite).max()) if finite.size else 0.0


def short_number(x: float) -> str:
    return f"{x:.3g}"


def colour(value: float, gate: bool, bound: float = 1.0) -> str:
    """The colour of one value: sequential 0..1 for a gate, else diverging over +-bound."""
    if not np.isfinite(value):
        return "#cccccc"
    if gate:
        return sample_colorscale(SEQUENTIAL, [float(np.clip(value, 0, 1))])[0]
    position = float(np.clip(0.5 + 0.5 * value / bound, 0, 1))
    return sample_colorscale(DIVERGING, [position])[0]


def ink(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour`` ('rgb(r, g, b)' or '#rrggbb')."""
    if colour.startswith("#"):
        r, g, b = (int(colour[k : k + 2], 16) for k in (1, 3, 5))
    else:
        r, g, b = (float(x) for x in colour[colour.index("(") + 1 : -1].split(",")[:3])
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"
