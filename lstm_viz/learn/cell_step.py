"""One step of an LSTM cell (and of a vanilla RNN), every number of it, in plain words.

The Learn page's playground is one unit reading one number: ``CellParams`` holds its twelve
weights (an input weight, a recurrent weight and a bias per gate), ``lstm_step`` computes

    i = sigmoid(w_ix x + w_ih h_prev + b_i)       input gate: how much of the candidate is written
    f = sigmoid(w_fx x + w_fh h_prev + b_f)       forget gate: how much old memory stays
    g = tanh(w_gx x + w_gh h_prev + b_g)          candidate: what could be written
    o = sigmoid(w_ox x + w_oh h_prev + b_o)       output gate: how much memory is shown
    c = f c_prev + i g                            the new cell state (memory)
    h = o tanh(c)                                 the new hidden state (output)

exactly as ``torch.nn.LSTM`` does (``CellParams.to_lstm`` builds that module: a test checks the
numbers against ``lstm_viz.record`` of it), and ``sentences`` says each line in words. The same
for a vanilla RNN step (``rnn_step``: h = tanh(w_x x + w_h h_prev + b)).

``lstm_step`` also takes vectors: weights in PyTorch's layout (gates i, f, g, o stacked).
Computed in float64; no streamlit here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch

GATE_ORDER = ("input", "forget", "candidate", "output")  # PyTorch's order: i, f, g, o
SYMBOLS = {"input": "i", "forget": "f", "candidate": "g", "output": "o"}
TRACE_NAMES = {  # the names lstm_viz.record uses
    "input": "input_gate",
    "forget": "forget_gate",
    "candidate": "candidate",
    "output": "output_gate",
}


@dataclass(frozen=True)
class CellParams:
    """The weights of a 1-unit LSTM reading one number per step: per gate, the weight on the
    input x, the weight on the previous hidden state h_prev, and the bias."""

    input_x: float = 1.0
    input_h: float = 0.0
    input_bias: float = 0.0
    forget_x: float = 0.0
    forget_h: float = 0.0
    forget_bias: float = 1.5
    candidate_x: float = 1.0
    candidate_h: float = 0.0
    candidate_bias: float = 0.0
    output_x: float = 0.0
    output_h: float = 0.0
    output_bias: float = 1.0

    def weight(self, gate: str, part: str) -> float:
        """``part``: "x" (input weight), "h" (recurrent weight) or "bias"."""
        return float(getattr(self, f"{gate}_{part}"))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """PyTorch's layout: (weight_ih [4, 1], weight_hh [4, 1], bias [4]), gates i, f, g, o."""
        w_x = np.array([[self.weight(g, "x")] for g in GATE_ORDER], dtype=np.float64)
        w_h = np.array([[self.weight(g, "h")] for g in GATE_ORDER], dtype=np.float64)
        b = np.array([self.weight(g, "bias") for g in GATE_ORDER], dtype=np.float64)
        return w_x, w_h, b

    def to_lstm(self, dtype: torch.dtype = torch.float32) -> torch.nn.LSTM:
        """A ``torch.nn.LSTM(1, 1)`` with these weights (bias_hh zero: the bias is bias_ih)."""
        lstm = torch.nn.LSTM(1, 1, batch_first=True).to(dtype)
        w_x, w_h, b = self.arrays()
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(torch.from_numpy(w_x))
            lstm.weight_hh_l0.copy_(torch.from_numpy(w_h))
            lstm.bias_ih_l0.copy_(torch.from_numpy(b))
            lstm.bias_hh_l0.zero_()
        return lstm

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class RNNParams:
    """A 1-unit vanilla (tanh) RNN reading one number per step: h = tanh(w_x x + w_h h + b)."""

    x: float = 1.0
    h: float = 0.9
    bias: float = 0.0

    def to_rnn(self, dtype: torch.dtype = torch.float32) -> torch.nn.RNN:
        """A ``torch.nn.RNN(1, 1)`` (tanh) with these weights (bias_hh zero)."""
        rnn = torch.nn.RNN(1, 1, batch_first=True).to(dtype)
        with torch.no_grad():
            rnn.weight_ih_l0.fill_(self.x)
            rnn.weight_hh_l0.fill_(self.h)
            rnn.bias_ih_l0.fill_(self.bias)
            rnn.bias_hh_l0.zero_()
        return rnn


@dataclass(frozen=True)
class LSTMStep:
    """Every number of one LSTM step. Arrays are [units] float64 (shape [1] for the playground).

    pre: gate -> its pre-activation (what enters the sigmoid or tanh), gates as in GATE_ORDER.
    """

    x: np.ndarray  # [input_size]
    hidden_prev: np.ndarray
    cell_prev: np.ndarray
    pre: dict[str, np.ndarray]
    input_gate: np.ndarray
    forget_gate: np.ndarray
    candidate: np.ndarray
    output_gate: np.ndarray
    cell: np.ndarray
    hidden: np.ndarray

    @property
    def kept(self) -> np.ndarray:
        """f * c_prev: the part of the old memory that stays."""
        return self.forget_gate * self.cell_prev

    @property
    def written(self) -> np.ndarray:
        """i * g: what is written into the memory."""
        return self.input_gate * self.candidate

    @property
    def squashed(self) -> np.ndarray:
        """tanh(c): the memory squashed to [-1, 1] before the output gate."""
        return np.tanh(self.cell)

    def value(self, name: str, unit: int = 0) -> float:
        """One number of one unit by its trace name ("forget_gate", "cell", ...)."""
        return float(getattr(self, name)[unit])


@dataclass(frozen=True)
class RNNStep:
    """Every number of one vanilla RNN step, [units] float64."""

    x: np.ndarray
    hidden_prev: np.ndarray
    pre_activation: np.ndarray
    hidden: np.ndarray


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _vector(value, name: str) -> np.ndarray:
    array = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if array.ndim != 1:
        raise ValueError(f"{name} must be a number or a vector, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array.tolist()}")
    return array


def lstm_step(
    x,
    hidden_prev,
    cell_prev,
    weight_ih: np.ndarray | None = None,
    weight_hh: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    params: CellParams | None = None,
) -> LSTMStep:
    """One LSTM step: from x [I], h_prev [H], c_prev [H] and either ``params`` (one unit, one
    input) or PyTorch-layout weights weight_ih [4H, I], weight_hh [4H, H], bias [4H] (the sum
    of nn.LSTM's bias_ih and bias_hh; gates i, f, g, o)."""
    if params is not None:
        weight_ih, weight_hh, bias = params.arrays()
    if weight_ih is None or weight_hh is None:
        raise ValueError("give params, or weight_ih and weight_hh")
    x = _vector(x, "x")
    h = _vector(hidden_prev, "hidden_prev")
    c = _vector(cell_prev, "cell_prev")
    w_ih = np.asarray(weight_ih, dtype=np.float64)
    w_hh = np.asarray(weight_hh, dtype=np.float64)
    units = h.shape[0]
    if c.shape != h.shape:
        raise ValueError(f"cell_prev has {c.shape[0]} units, hidden_prev {units}")
    if w_ih.shape != (4 * units, x.shape[0]):
        raise ValueError(f"weight_ih must be [{4 * units}, {x.shape[0]}], got {w_ih.shape}")
    if w_hh.shape != (4 * units, units):
        raise ValueError(f"weight_hh must be [{4 * units}, {units}], got {w_hh.shape}")
    b = np.zeros(4 * units) if bias is None else _vector(bias, "bias")
    z = w_ih @ x + w_hh @ h + b  # [4H], gates i, f, g, o
    pre = {gate: z[k * units : (k + 1) * units] for k, gate in enumerate(GATE_ORDER)}
    i, f, o = sigmoid(pre["input"]), sigmoid(pre["forget"]), sigmoid(pre["output"])
    g = np.tanh(pre["candidate"])
    cell = f * c + i * g
    hidden = o * np.tanh(cell)
    return LSTMStep(x, h, c, pre, i, f, g, o, cell, hidden)


def rnn_step(x, hidden_prev, params: RNNParams) -> RNNStep:
    """One vanilla RNN step of one unit: h = tanh(w_x x + w_h h_prev + b)."""
    x = _vector(x, "x")
    h = _vector(hidden_prev, "hidden_prev")
    a = params.x * x.sum() + params.h * h + params.bias
    return RNNStep(x, h, a, np.tanh(a))


# ---- In plain words -------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _num(value: float) -> str:
    return f"{value:+.2f}" if value != 0 else "0.00"


def sentences(step: LSTMStep, unit: int = 0) -> dict[str, str]:
    """One plain sentence per gate and state of ``unit``: keys "forget", "input", "candidate",
    "output", "cell", "hidden" (numbers rounded as the page shows them)."""
    f, i, g, o = (
        step.value(n, unit) for n in ("forget_gate", "input_gate", "candidate", "output_gate")
    )
    c_prev, c, h = step.cell_prev[unit], step.cell[unit], step.hidden[unit]
    kept, written, squashed = f * c_prev, i * g, math.tanh(c)
    forget = f"The forget gate is {f:.2f}: the cell keeps {_pct(f)} of its old memory"
    forget += (
        f" ({_num(c_prev)} becomes {_num(kept)})." if c_prev != 0 else " (the old memory is 0)."
    )
    if f < 0.1:
        forget += " It almost wipes the memory clean."
    elif f > 0.9:
        forget += " It holds on to almost everything."
    direction = "up" if g > 0 else "down" if g < 0 else "nowhere"
    candidate = (
        f"The candidate is {_num(g)}: the new content the cell could write, which would push "
        f"the memory {direction}."
    )
    inp = (
        f"The input gate is {i:.2f}: {_pct(i)} of the candidate is written, adding {_num(written)}."
    )
    if i < 0.1:
        inp += " Almost nothing new gets in."
    cell = (
        f"The new memory is what was kept ({_num(kept)}) plus what was written "
        f"({_num(written)}): c = {_num(c)}."
    )
    output = (
        f"The output gate is {o:.2f}: {_pct(o)} of the squashed memory tanh(c) = "
        f"{_num(squashed)} is shown."
    )
    hidden = f"The unit outputs h = {o:.2f} × {_num(squashed)} = {_num(h)}, also its next h_prev."
    return {
        "forget": forget,
        "input": inp,
        "candidate": candidate,
        "output": output,
        "cell": cell,
        "hidden": hidden,
    }


def rnn_sentence(step: RNNStep, params: RNNParams) -> str:
    """The vanilla RNN step in one sentence."""
    a, h = float(step.pre_activation[0]), float(step.hidden[0])
    return (
        f"A vanilla RNN has no separate memory: it squashes {params.x:.2f}·x + "
        f"{params.h:.2f}·h_prev + {params.bias:.2f} = {_num(a)} through tanh, so h = {_num(h)} "
        "is both its output and all it remembers."
    )


# ---- The equations with the numbers in them ---------------------------------------------------


def _t(value: float) -> str:
    """A number for LaTeX: 2 decimals, negative numbers in parentheses when multiplied."""
    return f"{value:.2f}"


def _times(weight: float, value: float) -> str:
    inner = f"({value:.2f})" if value < 0 else f"{value:.2f}"
    return f"{weight:.2f}\\cdot{inner}"


def _plus(value: float) -> str:
    return f"- {abs(value):.2f}" if value < 0 else f"+ {value:.2f}"


def equations(step: LSTMStep, params: CellParams) -> dict[str, str]:
    """The playground's equations as LaTeX with its current numbers (one unit, one input):
    keys "input", "forget", "candidate", "output", "cell", "hidden"."""
    x, h, c_prev = float(step.x[0]), float(step.hidden_prev[0]), float(step.cell_prev[0])
    out = {}
    for gate in GATE_ORDER:
        s = SYMBOLS[gate]
        squash = "\\tanh" if gate == "candidate" else "\\sigma"
        z = float(step.pre[gate][0])
        value = step.value(TRACE_NAMES[gate])
        w, u, b = (params.weight(gate, part) for part in ("x", "h", "bias"))
        out[gate] = (
            f"{s} = {squash}({_times(w, x)} + {_times(u, h)} {_plus(b)}) "
            f"= {squash}({z:.2f}) = \\mathbf{{{value:.3f}}}"
        )
    f, i, g = step.value("forget_gate"), step.value("input_gate"), step.value("candidate")
    o, c = step.value("output_gate"), step.value("cell")
    out["cell"] = (
        f"c = f\\,c_{{prev}} + i\\,g = {_times(f, c_prev)} + {_times(i, g)} = \\mathbf{{{c:.3f}}}"
    )
    out["hidden"] = (
        f"h = o\\,\\tanh(c) = {o:.2f}\\cdot\\tanh({_t(c)}) = \\mathbf{{{step.value('hidden'):.3f}}}"
    )
    return out


def rnn_equation(step: RNNStep, params: RNNParams) -> str:
    """h = tanh(w x + u h_prev + b) with the numbers, as LaTeX."""
    x, h = float(step.x[0]), float(step.hidden_prev[0])
    return (
        f"\\begin{{aligned}} h &= \\tanh({_times(params.x, x)} + {_times(params.h, h)} "
        f"{_plus(params.bias)}) \\\\ &= \\tanh({float(step.pre_activation[0]):.2f}) "
        f"= \\mathbf{{{float(step.hidden[0]):.3f}}} \\end{{aligned}}"
    )


# ---- A playground setting as text (for a shareable link) -------------------------------------

SETTING_NAMES = ("x", "h_prev", "c_prev", *CellParams.names())


def setting_to_text(values: dict[str, float]) -> str:
    """{"x": 1.0, "forget_bias": 3.0, ...} -> "x:1,forget_bias:3" (names in SETTING_NAMES order;
    unknown names refused)."""
    unknown = set(values) - set(SETTING_NAMES)
    if unknown:
        raise ValueError(f"not a playground setting: {', '.join(sorted(unknown))}")
    return ",".join(f"{name}:{values[name]:g}" for name in SETTING_NAMES if name in values)


def setting_from_text(text: str, limit: float = 6.0) -> dict[str, float]:
    """The inverse of :func:`setting_to_text`, forgiving: unknown names, malformed pairs and
    non-finite numbers are dropped, values are clipped to [-limit, limit]."""
    values: dict[str, float] = {}
    for pair in text.split(","):
        name, _, number = pair.partition(":")
        name = name.strip()
        if name not in SETTING_NAMES:
            continue
        try:
            value = float(number)
        except ValueError:
            continue
        if math.isfinite(value):
            values[name] = min(max(value, -limit), limit)
    return values
