"""One unit over time: its gates and states as lines (altair), and the input text coloured by
the unit's value, as in Karpathy, Johnson and Fei-Fei (2015), "Visualizing and understanding
recurrent networks". No streamlit here.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from lstm_viz.figures.colours import colour, colour_scale, ink, legend_html
from lstm_viz.quantities import GATES, QUANTITY_SYMBOLS, display_order, display_token, label
from lstm_viz.trace import Trace


def unit_frame(trace: Trace, layer: int, direction: int, unit: int, batch: int = 0) -> pd.DataFrame:
    """Long form: one row per (step, quantity) of one unit; padded steps left out.

    Columns: step, token, quantity (the trace's name), label (e.g. "f forget gate"),
    panel ("gates, 0 to 1" or "states"), value.
    """
    steps = int(trace.lengths[batch])
    tokens = trace.tokens[batch] if trace.tokens else [str(t) for t in range(steps)]
    rows = []
    for name in display_order(trace.names):
        if unit >= trace[name].shape[-1]:
            continue
        values = trace[name][layer, direction, batch, :steps, unit].numpy()
        panel = "gates (0 to 1)" if name in GATES else "states"
        symbol = QUANTITY_SYMBOLS.get(name, name)
        rows.append(
            pd.DataFrame(
                {
                    "step": np.arange(steps),
                    "token": [display_token(t) for t in tokens[:steps]],
                    "quantity": name,
                    "label": f"{symbol}: {label(name).split(' (')[0]}",
                    "panel": panel,
                    "value": values.astype(np.float64),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def unit_lines(
    trace: Trace,
    layer: int,
    direction: int,
    unit: int,
    batch: int = 0,
    step: int | None = None,
    numeric: bool = False,
    width_px: int = 900,
) -> list[alt.LayerChart]:
    """Line charts of one unit over time: the gates (0..1), then the states (for GRU and RNN
    traces, whichever they have). Hover shows the token and value; ``step`` draws a vertical
    rule at that step. Separate charts, so a page can give each the full width.

    The x axis spans exactly the input's steps (no padding past the last one) and is labelled
    with the tokens read there (every k-th when they would not fit in about ``width_px``
    pixels); ``numeric`` (the model reads numbers) or a trace without tokens labels step
    numbers instead, under the title "step"."""
    frame = unit_frame(trace, layer, direction, unit, batch)
    steps = int(trace.lengths[batch])
    by_step = numeric or not trace.tokens
    x_axis = _step_axis(list(frame["token"][:steps]), steps, by_step, width_px)
    charts = []
    for panel in ("gates (0 to 1)", "states"):
        part = frame[frame["panel"] == panel]
        if part.empty:
            continue
        y = alt.Y(
            "value:Q",
            title=panel,
            scale=alt.Scale(domain=[0, 1]) if panel.startswith("gates") else alt.Undefined,
        )
        base = alt.Chart(part).encode(
            x=alt.X(
                "step:Q",
                title="step" if by_step else "token",
                scale=alt.Scale(domain=[0, max(steps - 1, 1)], nice=False, zero=False),
                axis=x_axis,
            ),
            y=y,
            color=alt.Color("label:N", title=None, legend=alt.Legend(orient="right")),
            tooltip=[
                "step:Q",
                "token:N",
                alt.Tooltip("label:N", title="quantity"),
                alt.Tooltip("value:Q", format=".3f"),
            ],
        )
        layers = [base.mark_line(point=len(part) <= 6 * 60)]
        if step is not None:
            rule = (
                alt.Chart(pd.DataFrame({"step": [step]}))
                .mark_rule(color="#444444", strokeDash=[4, 3])
                .encode(x="step:Q")
            )
            layers.append(rule)
        where = f"unit {unit}, layer {layer}" + (", backward" if direction == 1 else "")
        title = f"{panel.split(' (')[0].capitalize()} of {where}"
        # Streamlit fits the whole chart (title and axes included) into this height.
        charts.append(alt.layer(*layers).properties(height=240, title=title))
    return charts


def _step_axis(tokens: list[str], steps: int, by_step: bool, width_px: int) -> alt.Axis:
    """The unit view's x axis: a tick at every k-th step, labelled with the token read there
    (or the step number), k chosen so the labels fit in ``width_px``."""
    longest = max((len(t) for t in tokens), default=1)
    per_label = 8 * (len(str(steps)) if by_step else max(1, min(longest, 12))) + 10
    every = max(1, math.ceil(steps / max(1, width_px // per_label)))
    ticks = list(range(0, steps, every))
    if by_step:
        return alt.Axis(values=ticks, format="d", labelAngle=0)
    labels = [t if len(t) <= 12 else t[:11] + "…" for t in (tokens[k] for k in ticks)]
    # Vega's expression language: the label of the tick at datum.value, by its position.
    expression = f"{json.dumps(labels)}[indexof({json.dumps(ticks)}, datum.value)]"
    angle = 0 if longest <= 2 else -45
    return alt.Axis(values=ticks, labelExpr=expression, labelAngle=angle, labelOverlap=False)


def coloured_text_html(
    tokens: Sequence[str],
    values: Sequence[float] | np.ndarray,
    quantity: str,
    max_tokens: int = 2_000,
    scale: dict | None = None,
) -> str:
    """The tokens, each on a background coloured by ``values`` on ``quantity``'s house scale
    (the heatmaps' colours), under a small colour bar that says the range and where it comes
    from (lstm_viz.figures.colours.legend_html). Safe HTML: tokens are escaped; the tooltip
    gives step and value. Line breaks break the line; spaces are kept.

    ``scale``: a :func:`~lstm_viz.figures.colours.colour_scale` dict, e.g. from
    :func:`~lstm_viz.figures.colours.layer_scale` (the model's fixed range for the cell, as
    the layer's heatmap uses); default: the range of ``values`` themselves ("this input")."""
    values = np.asarray(values, dtype=np.float64)
    if scale is None:
        scale = colour_scale(quantity, values)
    gate = quantity in GATES
    bound = float(scale["zmax"])
    spans = []
    for step, (token, value) in enumerate(zip(tokens[:max_tokens], values, strict=False)):
        fill = colour(float(value), gate, bound)
        text_colour = ink(fill) if fill.startswith(("rgb", "#")) else "#111111"
        tip = html.escape(f"step {step} · {token!r} · {value:.3f}")
        # No raw line ending may reach the Markdown around this HTML: a blank line would end
        # the HTML block and let the next tokens be read as Markdown.
        text = html.escape(token).replace("\r", "␍").replace("\n", "⏎<br>") if token else "∅"
        spans.append(
            f'<span class="lv-char" style="background:{fill};color:{text_colour};'
            "white-space:pre-wrap;"
            f'font-family:monospace;padding:1px 0" title="{tip}">{text}</span>'
        )
    if len(tokens) > max_tokens:
        spans.append(f"<span> … and {len(tokens) - max_tokens:,} more</span>")
    return legend_html(scale) + (
        '<div class="lv-coloured" style="line-height:1.8;font-size:1rem;word-break:break-all">'
        + "".join(spans)
        + "</div>"
    )
