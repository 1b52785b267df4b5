"""The house layout of a figure: a left-aligned title with a subtitle saying what is shown, and a
horizontal legend above the plot on the right. One place, so every figure reads the same."""

from __future__ import annotations


def title(text: str, subtitle: str | None = None) -> dict:
    """A plotly ``layout.title``: ``text`` left-aligned, ``subtitle`` below it (if any)."""
    spec: dict = dict(text=text, x=0, xanchor="left")
    if subtitle is not None:
        spec["subtitle"] = dict(text=subtitle)
    return spec


def top_legend(y: float = 1.02) -> dict:
    """A plotly ``layout.legend``: one row above the plot (at ``y`` in paper units), right."""
    return dict(orientation="h", yanchor="bottom", y=y, xanchor="right", x=1)


# ---- larger type (a projector: the app's present=1) ---------------------------------------------
PLOTLY_FONT = 12  # plotly's default font size (px)
# The sizes (px) a figure shows with Streamlit's plotly theme (1.67, measured in Chromium) where
# the figure sets none: scale_type sets each explicitly, times its factor.
THEME_FONTS = {
    "text": PLOTLY_FONT,
    "ticks": 12,
    "axis_title": 14,
    "title": 16,
    "subtitle": 12,
    "legend": 12,
}
VEGA_FONTS = {"label": 10, "title": 11, "chart_title": 13}  # Vega-Lite's defaults (px)
_FONT_KEYS = frozenset(
    ("font", "tickfont", "textfont", "titlefont", "insidetextfont", "outsidetextfont")
)


def _scale_font_sizes(node, factor: float) -> None:
    """Multiply every explicit font size under ``node`` (a plotly figure's dict) by ``factor``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _FONT_KEYS and isinstance(value, dict):
                size = value.get("size")
                if isinstance(size, (int, float)) and not isinstance(size, bool):
                    value["size"] = size * factor
            if isinstance(value, (dict, list, tuple)):
                _scale_font_sizes(value, factor)
    elif isinstance(node, (list, tuple)):
        for item in node:
            if isinstance(item, (dict, list, tuple)):
                _scale_font_sizes(item, factor)


def scale_type(figure, factor: float):
    """A copy of the plotly ``figure`` with all its type ``factor`` times larger: the base font
    (ticks, axis titles, legend, colour bars and the title follow it), every explicitly sized font
    (annotations, a title's or legend's own size), and the height and margins by the same factor,
    so the plot keeps its proportions. Set in the layout, so it holds wherever the figure is drawn.
    ``figure`` is not changed. Returns a ``plotly.graph_objects.Figure``."""
    import plotly.graph_objects as go

    if factor <= 0:
        raise ValueError(f"factor must be positive, got {factor}")
    spec = figure.to_dict() if hasattr(figure, "to_dict") else dict(figure)
    _scale_font_sizes(spec, factor)
    layout = spec.setdefault("layout", {})
    # Sizes not set in the figure are set here, explicitly: Streamlit's plotly theme gives ticks,
    # titles and legends sizes of its own, which a larger base font alone does not change.
    sizes = {part: size * factor for part, size in THEME_FONTS.items()}

    def at_least(node: dict, part: str) -> None:
        node.setdefault("font", {}).setdefault("size", sizes[part])

    at_least(layout, "text")  # an explicit size was scaled above
    title = layout.setdefault("title", {})
    at_least(title, "title")
    at_least(title.setdefault("subtitle", {}), "subtitle")
    legend = layout.setdefault("legend", {})
    at_least(legend, "legend")
    at_least(legend.setdefault("title", {}), "legend")
    axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
    for name in {*axes, "xaxis", "yaxis"}:
        axis = layout.setdefault(name, {})
        axis.setdefault("tickfont", {}).setdefault("size", sizes["ticks"])
        at_least(axis.setdefault("title", {}), "axis_title")
    for annotation in layout.get("annotations") or []:
        at_least(annotation, "text")
    for trace in spec.get("data") or []:
        for bar in (trace.get("colorbar"), (trace.get("marker") or {}).get("colorbar")):
            if isinstance(bar, dict) or (bar is None and trace.get("type") == "heatmap"):
                bar = trace.setdefault("colorbar", {}) if bar is None else bar
                bar.setdefault("tickfont", {}).setdefault("size", sizes["ticks"])
                at_least(bar.setdefault("title", {}), "axis_title")
    if isinstance(layout.get("height"), (int, float)):
        layout["height"] = round(layout["height"] * factor)
    margin = layout.get("margin") or {}
    for side in ("l", "r", "t", "b"):
        if isinstance(margin.get(side), (int, float)):
            margin[side] = round(margin[side] * factor)
    # Not validated again: the figure was, and only sizes were added (validating a 64 x 300
    # heatmap again costs 0.5-0.7 s; this copy about 0.04 s).
    return go.Figure(spec, _validate=False)


def scale_altair_type(chart, factor: float):
    """The altair ``chart`` (top level) with its axis, legend and title type ``factor`` times
    Vega-Lite's defaults, and its height (if set) scaled the same. Returns a new chart."""
    if factor <= 0:
        raise ValueError(f"factor must be positive, got {factor}")
    label, title = VEGA_FONTS["label"] * factor, VEGA_FONTS["title"] * factor
    scaled = (
        chart.configure_axis(labelFontSize=label, titleFontSize=title)
        .configure_legend(labelFontSize=label, titleFontSize=title)
        .configure_title(fontSize=VEGA_FONTS["chart_title"] * factor)
    )
    height = getattr(chart, "height", None)
    if isinstance(height, (int, float)):
        scaled = scaled.properties(height=round(height * factor))
    return scaled
