"""The LSTM cell as a diagram with its live numbers: an SVG string, self-contained (no fonts,
scripts or anything fetched), so a page can show it with ``st.markdown(svg,
unsafe_allow_html=True)`` and a test can read every number back.

    svg = cell_diagram(input_gate=0.7, forget_gate=0.8, candidate=0.5, output_gate=0.6,
                       cell=0.9, hidden=0.43, cell_prev=0.7, hidden_prev=0.1, x=1.0)
    svg = trace_diagram(trace, step=3, unit=5)   # one unit of a recording at one step

Boxes are coloured with the scales every page uses (``lstm_viz.figures.colours``): gates on the
sequential 0..1 scale, candidate and hidden on the diverging -1..1 scale, the cell state on a
diverging scale symmetric around 0.
Each box is ``<g class="lv-node" data-name=... data-value=...>``.
"""

from __future__ import annotations

import html
import math

from plotly.colors import sample_colorscale

from lstm_viz.figures.colours import DIVERGING, SEQUENTIAL
from lstm_viz.quantities import display_token
from lstm_viz.trace import Trace

WIDTH, HEIGHT = 900, 410
BOX_W, BOX_H = 112, 58
CELL_Y, GATE_Y, BUS_Y = 70, 215, 330
_LINE = "#555"


def _rgb(scale, position: float) -> str:
    return sample_colorscale(scale, [min(1.0, max(0.0, position))])[0]


def _text_colour(rgb: str) -> str:
    r, g, b = (float(v) for v in rgb[rgb.index("(") + 1 : -1].split(","))
    luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255
    return "#111" if luminance > 0.55 else "#fff"


def _fill(kind: str, value: float | None, bound: float) -> str:
    if value is None or not math.isfinite(value):
        return "rgb(235, 235, 235)"
    if kind == "gate":
        return _rgb(SEQUENTIAL, value)
    if kind == "signed":
        return _rgb(DIVERGING, (value + 1) / 2)
    if kind == "cell":
        return _rgb(DIVERGING, (value / bound + 1) / 2)
    return "rgb(235, 235, 235)"


def _format(value: float | str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return display_token(value)
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.3g}"


def _node(name: str, label: str, value, cx: float, cy: float, kind: str, bound: float) -> str:
    numeric = value if isinstance(value, (int, float)) else None
    fill = _fill(kind, numeric, bound)
    ink = _text_colour(fill)
    data = f"{numeric:.6g}" if numeric is not None else html.escape(str(value or ""))
    x, y = cx - BOX_W / 2, cy - BOX_H / 2
    return (
        f'<g class="lv-node" data-name="{name}" data-value="{data}">'
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="9" fill="{fill}" '
        f'stroke="#333" stroke-width="1"/>'
        f'<text x="{cx}" y="{cy - 8}" fill="{ink}" font-size="13" text-anchor="middle">'
        f"{html.escape(label)}</text>"
        f'<text x="{cx}" y="{cy + 16}" fill="{ink}" font-size="19" font-weight="bold" '
        f'text-anchor="middle">{html.escape(_format(value))}</text></g>'
    )


def _op(symbol: str, cx: float, cy: float) -> str:
    return (
        f'<g class="lv-op"><circle cx="{cx}" cy="{cy}" r="15" fill="#fff" stroke="#333"/>'
        f'<text x="{cx}" y="{cy + 6}" font-size="20" text-anchor="middle" fill="#111">{symbol}'
        "</text></g>"
    )


def _line(points: list[tuple[float, float]], arrow: bool = True) -> str:
    path = " ".join(f"{x},{y}" for x, y in points)
    end = ' marker-end="url(#lv-arrow)"' if arrow else ""
    return f'<polyline points="{path}" fill="none" stroke="{_LINE}" stroke-width="2"{end}/>'


def _note(text: str, x: float, y: float, anchor: str = "middle") -> str:
    return (
        f'<text x="{x}" y="{y}" font-size="13" fill="#333" text-anchor="{anchor}">'
        f"{html.escape(text)}</text>"
    )


def cell_diagram(
    *,
    input_gate: float,
    forget_gate: float,
    candidate: float,
    output_gate: float,
    cell: float,
    hidden: float,
    cell_prev: float | None = None,
    hidden_prev: float | None = None,
    x: float | str | None = None,
    title: str = "",
    cell_bound: float | None = None,
    cell_scale: str = "",
) -> str:
    """One unit at one step as an SVG string: x_t and h_{t-1} enter at the bottom, the four
    gates sit in the middle, the cell state runs along the top from c_{t-1} to c_t, and h_t
    leaves at the bottom right. The six recorded values are keyword arguments named as in a
    Trace; ``cell_prev``/``hidden_prev``/``x`` may be unknown (None: shown as "–"), and ``x``
    may be a token. ``cell_bound``: the cell scale's range (default max(1, |c_prev|, |c|));
    ``cell_scale``: its words, e.g. "c ±13 (model)" (lstm_viz.figures.colours.scale_words),
    shown under the cell line; the ``<svg>`` carries ``data-cell-bound``."""
    values = dict(
        input_gate=input_gate,
        forget_gate=forget_gate,
        candidate=candidate,
        output_gate=output_gate,
        cell=cell,
        hidden=hidden,
    )
    values = {k: float(v) for k, v in values.items()}
    c_prev = None if cell_prev is None else float(cell_prev)
    h_prev = None if hidden_prev is None else float(hidden_prev)
    if x is not None and not isinstance(x, str):
        x = float(x)
    bound = cell_bound or max(1.0, abs(values["cell"]), abs(c_prev or 0.0))
    kept = None if c_prev is None else values["forget_gate"] * c_prev
    written = values["input_gate"] * values["candidate"]
    squashed = math.tanh(values["cell"])

    gate_x = {"forget_gate": 250, "input_gate": 385, "candidate": 500, "output_gate": 640}
    times_f, plus, times_ig, tanh_x, times_o = (250, CELL_Y), (500, CELL_Y), (442, 145), 760, 760
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" style="max-width:{WIDTH}px;font-family:sans-serif" role="img" '
        f'class="lv-cell-diagram" data-cell-bound="{bound:.6g}" '
        f'aria-label="{html.escape(title or "LSTM cell")}">',
        f"<title>{html.escape(title or 'An LSTM cell at one step')}</title>",
        '<defs><marker id="lv-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{_LINE}"/></marker></defs>',
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="{HEIGHT - 2}" rx="14" fill="#fbfbfb" '
        'stroke="#ddd"/>',
        '<rect x="170" y="28" width="650" height="330" rx="16" fill="none" stroke="#bbb" '
        'stroke-dasharray="6 5"/>',
        _note("the cell", 180, 48, "start"),
    ]
    if cell_scale:
        parts.append(_note(f"cell colours: {cell_scale}", 14, HEIGHT - 12, "start"))
    # The cell state line along the top: c_prev -> x f -> + -> c_t.
    parts += [
        _line([(70 + BOX_W / 2, CELL_Y), (times_f[0] - 15, CELL_Y)]),
        _line([(times_f[0] + 15, CELL_Y), (plus[0] - 15, CELL_Y)]),
        _line([(plus[0] + 15, CELL_Y), (840 - BOX_W / 2 - 10, CELL_Y)]),
        _line([(tanh_x, CELL_Y), (tanh_x, 145 - BOX_H / 2 + 6)]),
    ]
    if kept is not None:
        parts.append(_note(f"kept f·c = {kept:.3f}", (times_f[0] + plus[0]) / 2, CELL_Y - 10))
    # The bus: h_prev and x feed every gate.
    parts += [
        _line([(70 + BOX_W / 2, BUS_Y), (gate_x["output_gate"], BUS_Y)], arrow=False),
        _line([(70 + BOX_W / 2, 250), (180, 250), (180, BUS_Y)], arrow=False),
    ]
    for gx in gate_x.values():
        parts.append(_line([(gx, BUS_Y), (gx, GATE_Y + BOX_H / 2)]))
    # Gates up to their operations.
    parts += [
        _line([(gate_x["forget_gate"], GATE_Y - BOX_H / 2), (times_f[0], times_f[1] + 15)]),
        _line([(gate_x["input_gate"], GATE_Y - BOX_H / 2), (times_ig[0] - 11, times_ig[1] + 11)]),
        _line([(gate_x["candidate"], GATE_Y - BOX_H / 2), (times_ig[0] + 11, times_ig[1] + 11)]),
        _line([(times_ig[0], times_ig[1] - 15), (plus[0] - 10, plus[1] + 11)]),
        _note(f"written i·g = {written:.3f}", times_ig[0] - 20, times_ig[1] - 22, "end"),
        _line([(gate_x["output_gate"] + BOX_W / 2, GATE_Y), (times_o - 15, GATE_Y + 60)]),
        _line([(tanh_x, 145 + BOX_H / 2), (times_o, GATE_Y + 60 - 15)]),
        _line([(times_o + 15, GATE_Y + 60), (840 - BOX_W / 2 - 2, GATE_Y + 60)]),
        _op("×", *times_f),
        _op("+", *plus),
        _op("×", *times_ig),
        _op("×", times_o, GATE_Y + 60),
    ]
    parts += [
        _node("cell_prev", "old cell c_prev", c_prev, 70, CELL_Y, "cell", bound),
        _node("hidden_prev", "h_prev", h_prev, 70, BUS_Y, "signed", bound),
        _node("x", "input x", x, 70, 250, "input", bound),
        _node("forget_gate", "forget gate f", values["forget_gate"], 250, GATE_Y, "gate", bound),
        _node("input_gate", "input gate i", values["input_gate"], 385, GATE_Y, "gate", bound),
        _node("candidate", "candidate g", values["candidate"], 500, GATE_Y, "signed", bound),
        _node("output_gate", "output gate o", values["output_gate"], 640, GATE_Y, "gate", bound),
        _node("squashed", "tanh(c)", squashed, tanh_x, 145, "signed", bound),
        _node("cell", "new cell c", values["cell"], 840, CELL_Y, "cell", bound),
        _node("hidden", "output h", values["hidden"], 840, GATE_Y + 60, "signed", bound),
    ]
    parts.append("</svg>")
    return "".join(parts)


def trace_diagram(
    trace: Trace,
    step: int,
    unit: int,
    layer: int = 0,
    direction: int = 0,
    batch: int = 0,
    scales=None,
) -> str:
    """:func:`cell_diagram` of one LSTM unit of a recording at one step; c_prev and h_prev are
    the recorded states one step earlier in the direction's reading order (unknown at its first
    step, where the initial state was not recorded); x is the token read. The cell boxes are
    coloured as the layer's heatmap colours them (lstm_viz.figures.colours.layer_scale: the
    model's fixed range from ``scales`` when it has one, else this input's), and say so."""
    from lstm_viz.figures.colours import layer_scale, scale_words

    if trace.kind not in ("lstm", "peephole_lstm"):
        raise ValueError(f"the cell diagram draws an LSTM; this trace is a {trace.kind}")
    if trace.hidden.shape[-1] != trace.cell.shape[-1]:
        raise ValueError("the cell diagram needs hidden and cell of the same size (no proj_size)")
    steps = int(trace.lengths[batch])
    if not 0 <= step < steps:
        raise ValueError(f"step {step} is outside the input's {steps} steps")
    values = {n: float(trace[n][layer, direction, batch, step, unit]) for n in trace.names}
    scale = layer_scale(trace, "cell", layer, direction, scales, batch)
    previous = step - 1 if direction == 0 else step + 1
    known = 0 <= previous < steps
    token = None
    if trace.tokens is not None and step < len(trace.tokens[batch]):
        token = trace.tokens[batch][step]
    return cell_diagram(
        **values,
        cell_prev=float(trace.cell[layer, direction, batch, previous, unit]) if known else None,
        hidden_prev=float(trace.hidden[layer, direction, batch, previous, unit]) if known else None,
        x=token,
        title=f"layer {layer}, unit {unit}, step {step}",
        cell_bound=float(scale["zmax"]),
        cell_scale=scale_words(scale),
    )
