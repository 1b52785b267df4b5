"""One unit at one step: the cell's equations with the recorded numbers, in plain words, and a
small diagram of the cell (plotly). Used by Explore's step-through; no streamlit here.

The numbers come from the Trace alone. The state before step t is the state after the previous
step the direction read: t-1 going forward, t+1 going backward (a backward direction reads from
the end); before the first step read it is the zero initial state, as ``record`` runs with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lstm_viz.figures import layout
from lstm_viz.figures.colours import colour, ink, scale_words
from lstm_viz.quantities import plotly_safe
from lstm_viz.trace import Trace

# Kinds whose unit follows the LSTM's elementwise step (a ConvLSTM's unit is one pixel of a map).
LSTM_LIKE = ("lstm", "peephole_lstm", "conv_lstm")


@dataclass(frozen=True)
class StepNumbers:
    """Every number of one unit's step: ``values`` maps a name (the trace's names, plus
    ``cell_before`` and ``hidden_before``) to a float. ``first`` is True when the state before
    was the zero initial state."""

    kind: str
    step: int
    unit: int
    token: str
    values: dict[str, float]
    first: bool
    backward: bool

    def __getitem__(self, name: str) -> float:
        return self.values[name]


def step_numbers(
    trace: Trace, layer: int, direction: int, unit: int, step: int, batch: int = 0
) -> StepNumbers:
    """The recorded numbers of ``unit`` at ``step`` (and the state it started from)."""
    steps = int(trace.lengths[batch])
    if not 0 <= step < steps:
        raise ValueError(f"step {step} is outside the input (0-{steps - 1})")
    backward = direction == 1
    before = step + 1 if backward else step - 1
    first = before < 0 or before >= steps
    values = {n: float(trace[n][layer, direction, batch, step, unit]) for n in trace.names}
    for name in ("cell", "hidden"):
        if name in trace.names:
            previous = 0.0 if first else float(trace[name][layer, direction, batch, before, unit])
            values[f"{name}_before"] = previous
    tokens = trace.tokens[batch] if trace.tokens else None
    token = tokens[step] if tokens and step < len(tokens) else str(step)
    return StepNumbers(trace.kind, step, unit, token, values, first, backward)


def _n(x: float) -> str:
    return f"{x:.3f}"


def _sum(a: float, b: float) -> str:
    """ "0.250 + 0.104", or "0.000 − 0.104" for a negative b (not "0.000 + -0.104")."""
    return f"{_n(a)} + {_n(b)}" if _n(b)[0] != "-" else f"{_n(a)} − {_n(-b)}"


def _shown(x: float) -> float:
    """``x`` as _n writes it."""
    return float(_n(x))


def _eq(from_shown: float, exact: float) -> str:
    """ "=" when the numbers written before it give the number written after it, else "≈" (each
    is rounded to 3 decimals: 0.750 + 0.736 is written next to c = 1.485 when c is 1.4854)."""
    return "=" if _n(from_shown) == _n(exact) else "≈"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _gru_values(v: dict[str, float]) -> tuple[float, ...]:
    """r, z, n, h[t-1], h[t] of a GRU step."""
    names = ("reset_gate", "update_gate", "new_gate", "hidden_before", "hidden")
    return tuple(v[name] for name in names)


def step_equations(numbers: StepNumbers) -> list[str]:
    """The equations of the step with the numbers put in, one string per line (plain text)."""
    v = numbers.values
    prev = "t+1" if numbers.backward else "t-1"
    if numbers.kind in LSTM_LIKE:
        f, i, g, o = v["forget_gate"], v["input_gate"], v["candidate"], v["output_gate"]
        c0, c, h = v["cell_before"], v["cell"], v["hidden"]
        kept, written = f * c0, i * g
        return [
            f"c[t] = f·c[{prev}] + i·g = {_n(f)} × {_n(c0)} + {_n(i)} × {_n(g)} "
            f"{_eq(_shown(f) * _shown(c0) + _shown(i) * _shown(g), kept + written)} "
            f"{_sum(kept, written)} {_eq(_shown(kept) + _shown(written), c)} {_n(c)}",
            f"h[t] = o·tanh(c[t]) = {_n(o)} × tanh({_n(c)}) = {_n(o)} × {_n(np.tanh(c))} "
            f"{_eq(_shown(o) * _shown(np.tanh(c)), h)} {_n(h)}",
        ]
    if numbers.kind == "gru":
        r, z, n, h0, h = _gru_values(v)
        return [
            f"h[t] = (1 - z)·n + z·h[{prev}] = {_n(1 - z)} × {_n(n)} + {_n(z)} × {_n(h0)} "
            f"{_eq(_shown(1 - z) * _shown(n) + _shown(z) * _shown(h0), h)} {_n(h)}",
            f"(the reset gate r = {_n(r)} scaled what the proposal n saw of h[{prev}])",
        ]
    a, h = v["pre_activation"], v["hidden"]
    f_name = "relu" if numbers.kind == "rnn_relu" else "tanh"
    return [f"h[t] = {f_name}(a) = {f_name}({_n(a)}) = {_n(h)}"]


def step_sentences(numbers: StepNumbers) -> list[str]:
    """The step in plain words, one sentence per gate (Markdown-free text)."""
    v = numbers.values
    token = numbers.token.replace("\n", "⏎")
    reads = f"At step {numbers.step} the model reads {token!r}."
    if numbers.first:
        reads += " This is the first step it reads: the memory before it is 0."
    if numbers.kind in LSTM_LIKE:
        f, i, g, o = v["forget_gate"], v["input_gate"], v["candidate"], v["output_gate"]
        c0, c, h = v["cell_before"], v["cell"], v["hidden"]
        return [
            reads,
            f"The forget gate keeps {_pct(f)} of the old memory ({_n(c0)} → {_n(f * c0)}).",
            f"The input gate writes {_pct(i)} of the candidate {_n(g)} ({_n(i * g)}).",
            f"The new memory is {_sum(f * c0, i * g)} "
            f"{_eq(_shown(f * c0) + _shown(i * g), c)} {_n(c)}.",
            f"The output gate exposes {_pct(o)} of tanh(memory) = {_n(np.tanh(c))}: "
            f"the unit outputs {_n(h)}.",
        ]
    if numbers.kind == "gru":
        r, z, n, h0, h = _gru_values(v)
        return [
            reads,
            f"The reset gate lets the proposal see {_pct(r)} of the old state.",
            f"The update gate keeps {_pct(z)} of the old state {_n(h0)} and takes "
            f"{_pct(1 - z)} of the proposal {_n(n)}.",
            f"The unit outputs {_n(h)}.",
        ]
    return [
        reads,
        f"Input and old state add up to {_n(v['pre_activation'])}; "
        f"squashed, the unit outputs {_n(v['hidden'])}.",
    ]


def step_diagram(numbers: StepNumbers, scale: dict | None = None) -> go.Figure:
    """The cell at one step as a small diagram: boxes coloured like the heatmaps, with the
    numbers. LSTM: c[t-1] -(×f)-> + -> c[t] -> tanh -(×o)-> h[t], and i×g joining at the +.
    GRU and RNN: the inputs and the output of their one update.

    ``scale``: the colour scale of the unbounded quantity (an LSTM's cell state, an RNN's
    pre-activation) as the heatmaps draw it (lstm_viz.figures.colours.layer_scale: the model's
    fixed range, else this input's); the title says its range and source, and
    ``layout.meta["scale"]`` holds them. None: max(1, |this step's values|) ("this step")."""
    v = numbers.values
    if scale is not None:
        bound, words = float(scale["zmax"]), scale_words(scale)
    else:
        bound = max(1.0, abs(v.get("cell", 0.0)), abs(v.get("cell_before", 0.0)))
        if numbers.kind not in ("lstm", "peephole_lstm"):
            bound = max(1.0, abs(v.get("pre_activation", 0.0)))
        symbol = "c" if numbers.kind in ("lstm", "peephole_lstm") else "a"
        words = f"{symbol} ±{bound:.3g} (this step)"
    if numbers.kind == "gru":
        words = ""  # no unbounded quantity: every box on a fixed scale
    boxes: list[tuple[str, float, float, float, bool, float]] = []  # label, value, x, y, gate, b
    arrows: list[tuple[float, float, float, float]] = []
    if numbers.kind in LSTM_LIKE:
        boxes = [
            ("c before", v["cell_before"], 0, 2, False, bound),
            ("forget f", v["forget_gate"], 1.5, 3, True, 1),
            ("× keeps", v["forget_gate"] * v["cell_before"], 1.5, 2, False, bound),
            ("input i", v["input_gate"], 3, 0, True, 1),
            ("candidate g", v["candidate"], 4.5, 0, False, 1),
            ("× writes", v["input_gate"] * v["candidate"], 3.75, 1, False, bound),
            ("+ memory c", v["cell"], 4.5, 2, False, bound),
            ("tanh(c)", float(np.tanh(v["cell"])), 6, 2, False, 1),
            ("output o", v["output_gate"], 6, 0.5, True, 1),
            ("hidden h", v["hidden"], 7.5, 2, False, 1),
        ]
        arrows = [
            (0, 2, 1.5, 2),
            (1.5, 3, 1.5, 2),
            (3, 0, 3.75, 1),
            (4.5, 0, 3.75, 1),
            (1.5, 2, 4.5, 2),
            (3.75, 1, 4.5, 2),
            (4.5, 2, 6, 2),
            (6, 0.5, 7.5, 2),
            (6, 2, 7.5, 2),
        ]
    elif numbers.kind == "gru":
        boxes = [
            ("h before", v["hidden_before"], 0, 2, False, 1),
            ("reset r", v["reset_gate"], 1.5, 0, True, 1),
            ("new n", v["new_gate"], 3, 0, False, 1),
            ("update z", v["update_gate"], 3, 3, True, 1),
            ("hidden h", v["hidden"], 4.5, 2, False, 1),
        ]
        arrows = [(0, 2, 4.5, 2), (1.5, 0, 3, 0), (3, 0, 4.5, 2), (3, 3, 4.5, 2)]
    else:
        a = v["pre_activation"]
        boxes = [
            ("h before", v["hidden_before"], 0, 2, False, max(1.0, abs(v["hidden_before"]))),
            ("pre-act. a", a, 1.5, 2, False, bound),
            ("hidden h", v["hidden"], 3, 2, False, max(1.0, abs(v["hidden"]))),
        ]
        arrows = [(0, 2, 1.5, 2), (1.5, 2, 3, 2)]

    figure = go.Figure()
    for x0, y0, x1, y1 in arrows:
        figure.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=2,
            arrowwidth=1.5,
            arrowcolor="#888888",
            text="",
            standoff=22,
            startstandoff=22,
        )
    for name, value, x, y, gate, b in boxes:
        fill = colour(value, gate, b)
        figure.add_shape(
            type="rect",
            x0=x - 0.6,
            x1=x + 0.6,
            y0=y - 0.35,
            y1=y + 0.35,
            fillcolor=fill,
            line=dict(color="#555555", width=1),
            layer="below",
        )
        figure.add_annotation(
            x=x,
            y=y,
            text=f"{name}<br><b>{value:.3f}</b>",
            showarrow=False,
            font=dict(color=ink(fill), size=12),
        )
    xs = [b[2] for b in boxes]
    figure.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=60 if words else 40, b=10),
        title=layout.title(
            plotly_safe(f"Unit {numbers.unit} at step {numbers.step} ({numbers.token!r})"),
            subtitle=f"colours: {words}" if words else None,
        ),
        meta={
            "values": numbers.values,
            "step": numbers.step,
            "unit": numbers.unit,
            "scale": {"zmax": bound, "words": words} if words else None,
        },
        showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)",
    )
    figure.update_xaxes(visible=False, range=[min(xs) - 0.8, max(xs) + 0.8])
    figure.update_yaxes(visible=False, range=[-0.6, 3.6])
    return figure
