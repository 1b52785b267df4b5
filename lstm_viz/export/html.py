"""One self-contained HTML page of a recording: it opens anywhere, offline, with no server.

    page = export_html(trace, model="english-char-lstm", text="The cat sat on the mat.")
    Path("page.html").write_text(page, encoding="utf-8")

The page holds, in one file:
- plotly.js, embedded from the installed plotly package (``plotly.offline.get_plotlyjs()``, about
  4.8 MB); no network, no CDN: the page makes no request at all;
- every quantity's heatmap for every layer (and direction), built by the app's own
  :func:`lstm_viz.figures.heatmap.heatmap` with all units shown (hover shows token, step, unit and
  value; the app's hover of the other quantities is left out to keep the file small);
- the unit view, drawn in the browser by plain JavaScript from embedded data: pick a layer and a
  unit (or click a heatmap cell) and see its gates (0..1) and states over time as lines, and the
  text coloured by one quantity on the house colour scale;
- a note of the model and the input (escaped).

Data: every quantity as little-endian float32 [time, unit] per layer and direction, base64 in a
JSON block (``<script type="application/json">``, with ``<``, ``>`` and ``&`` escaped so no text
can end the block). Size: about 4.9 MB for the shipped English model on a sentence, plus about
0.1 MB per 10 steps (2 layers x 6 quantities x 128 units); at most ``MAX_STEPS`` steps.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any

import numpy as np

from lstm_viz.analysis.scales import scale_note
from lstm_viz.export.page_js import PAGE_CSS, PAGE_JS
from lstm_viz.export.text import ExportError
from lstm_viz.figures.colours import DIVERGING, SEQUENTIAL, colour_scale, scale_words
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.quantities import GATES, QUANTITY_SYMBOLS, display_order, label
from lstm_viz.trace import DIRECTION_NAMES, Trace

MAX_STEPS = 2_000
PALETTE_SIZE = 101  # colours sampled from each scale; the page indexes them by value


def export_html(
    trace: Trace,
    *,
    model: str = "",
    text: str | None = None,
    batch: int = 0,
    max_steps: int = MAX_STEPS,
    scales=None,
) -> str:
    """The whole page as a string (write it with encoding="utf-8").

    Args:
        trace: any Trace; one batch element (``batch``) is shown.
        model: what recorded it (a name or folder), shown in the note.
        text: the input as typed, shown in the note (default: the tokens joined).
        max_steps: refuse longer recordings (the file grows about 10 KB per step here).
        scales: the model's fixed colour scales (lstm_viz.analysis.scales.read_scales of its
            folder, or None): the cell state's heatmaps and coloured text then use the model's
            range, as the app does, and say so ("(model)"); without, this input's
            ("(this input)"), and the page says the colours differ between inputs.

    Raises:
        ExportError: a batch element out of range or more than ``max_steps`` steps.
    """
    from plotly.colors import sample_colorscale
    from plotly.offline import get_plotlyjs

    if not 0 <= batch < trace.batch_size:
        raise ExportError(f"batch {batch} is out of range: the trace has {trace.batch_size}")
    steps = int(trace.lengths[batch])
    if steps > max_steps:
        raise ExportError(
            f"the recording has {steps:,} steps; a page holds at most {max_steps:,}: "
            "shorten the input"
        )
    tokens = list(trace.tokens[batch][:steps]) if trace.tokens else [str(t) for t in range(steps)]
    names = display_order(trace.names)
    one = trace.select(batch=batch)
    values: dict[str, str] = {}
    bounds: dict[str, float] = {}
    legends: dict[str, str] = {}  # the colour range in the colour bar's words, e.g. "c ±13 (model)"
    notes: dict[str, str] = {}  # layer|direction -> the scale sentence the app shows
    figures: list[dict[str, Any]] = []
    for layer in range(trace.num_layers):
        for direction in range(trace.num_directions):
            for name in names:
                key = f"{name}|{layer}|{direction}"
                grid = one[name][layer, direction, 0, :steps].numpy().astype("<f4")  # [T, U]
                values[key] = base64.b64encode(np.ascontiguousarray(grid).tobytes()).decode()
                bound = scales.bound(name, layer, direction) if scales is not None else None
                scale = colour_scale(name, grid, bound)
                bounds[key] = float(scale["zmax"])
                legends[key] = scale_words(scale)
                figure = heatmap(
                    one,
                    name,
                    layer,
                    direction,
                    0,
                    max_units=grid.shape[1],
                    max_steps=300,
                    bound=bound,
                )
                spec = json.loads(figure.to_json())
                trace_spec = spec["data"][0]
                trace_spec.pop("customdata", None)  # the app's hover of the other quantities
                lines = trace_spec["hovertemplate"].split("<br>")
                trace_spec["hovertemplate"] = "<br>".join(
                    line for line in lines if "customdata" not in line
                )
                spec["layout"].pop("template", None)  # the page sets one plain template
                figures.append({"key": key, "layer": layer, "direction": direction, **spec})
            notes[f"{layer}|{direction}"] = scale_note(names, layer, direction, scales)
    ramp = [k / (PALETTE_SIZE - 1) for k in range(PALETTE_SIZE)]
    data = {
        "steps": steps,
        "tokens": tokens,
        "layers": trace.ids("layer"),
        "directions": [DIRECTION_NAMES[d] for d in trace.ids("direction")],
        "quantities": names,
        "units": {n: int(trace[n].shape[-1]) for n in names},
        "gates": [n for n in names if n in GATES],
        "symbols": {n: QUANTITY_SYMBOLS.get(n, n) for n in names},
        "labels": {n: label(n) for n in names},
        "values": values,
        "bounds": bounds,
        "legends": legends,
        "notes": notes,
        "palettes": {
            "sequential": sample_colorscale(SEQUENTIAL, ramp),
            "diverging": sample_colorscale(DIVERGING, ramp),
        },
        "figures": figures,
    }
    shown_text = text if text is not None else "".join(tokens)
    note = (
        f"Model: <b>{html.escape(model or 'unnamed')}</b> · {html.escape(trace.kind)}, "
        f"{trace.num_layers} layer(s), {steps} steps · input: "
        f"<q class='lv-input'>{html.escape(shown_text)}</q>"
    )
    plotly_js = get_plotlyjs()
    if "</script" in plotly_js.lower():  # never seen; would end the script element early
        raise ExportError("the installed plotly.js cannot be embedded (it contains </script>)")
    return PAGE.format(
        title=html.escape(f"lstm-viz: {model or trace.kind}"),
        css=PAGE_CSS,
        note=note,
        plotly=plotly_js,
        data=_script_json(data),
        js=PAGE_JS,
    )


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no text can close it or open a comment."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline';
 img-src data: blob:; font-src data:">
<title>{title}</title><style>{css}</style></head>
<body>
<h1>Inside the recurrent network</h1>
<p class="lv-note">{note}</p>
<p class="lv-help">Written by lstm-viz. Everything is in this file; it needs no network. Pick a
layer and a unit, or click a cell of a heatmap.</p>
<section id="lv-unit-view"><h2 id="lv-unit-title">Unit view</h2>
<div class="lv-controls">
<label>layer <select id="lv-layer"></select></label>
<label id="lv-direction-label">direction <select id="lv-direction"></select></label>
<label>unit <select id="lv-unit"></select></label>
<label>colour the text by <select id="lv-colour-by"></select></label>
</div>
<div id="lv-unit-gates" class="lv-chart"></div>
<div id="lv-unit-states" class="lv-chart"></div>
<p id="lv-unit-legend" class="lv-help"></p>
<div id="lv-unit-text" class="lv-coloured"></div>
</section>
<section id="lv-heatmaps"></section>
<script>{plotly}</script>
<script type="application/json" id="lv-data">{data}</script>
<script>{js}</script>
</body></html>
"""
