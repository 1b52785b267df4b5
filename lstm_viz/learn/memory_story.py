"""Why the cell state keeps gradients alive: a 1-unit LSTM and a 1-unit RNN read the same short
sequence (a signal at step 0, then a long gap); we measure how much each still depends on that
first input, and (with autograd) how much gradient flows back from the last step.

- memory: the LSTM's cell c_t and the RNN's hidden state h_t (their only memory) at each step.
- influence: d c_t / d x_0 (LSTM) and d h_t / d x_0 (RNN), carried forward with the states
  (checked against autograd in the tests): how strongly step t still feels the
  first input. An RNN multiplies by w_h * tanh'(a) at every step, which is below 1 unless
  w_h > 1, so this shrinks geometrically; the LSTM's cell path multiplies by the forget gate only,
  which can stay near 1 for as long as the cell must remember.
- gradient: d c_T / d c_t (LSTM) and d h_T / d h_t (RNN): the gradient of the last state that
  reaches step t on the way back; next to them the textbook products, prod f_k (the cell path)
  and prod w_h tanh'(a_k) (the RNN's only path). The RNN's is exact for one unit; the LSTM's is
  exact when its recurrent weights are zero (a test checks both against autograd).

No streamlit here; float64 throughout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from lstm_viz.learn.cell_step import GATE_ORDER, CellParams, RNNParams

# The story's cells: the LSTM's input gate opens and its candidate writes +0.96 when x = 1,
# and both stay shut when x = 0, so after step 0 only the forget gate decides what stays.
STORY_LSTM = CellParams(
    input_x=6.0,
    input_h=0.0,
    input_bias=-3.0,
    forget_x=0.0,
    forget_h=0.0,
    forget_bias=3.0,
    candidate_x=2.0,
    candidate_h=0.0,
    candidate_bias=0.0,
    output_x=0.0,
    output_h=0.0,
    output_bias=1.0,
)
STORY_RNN = RNNParams(x=1.0, h=0.9, bias=0.0)


@dataclass(frozen=True)
class MemoryStory:
    """Both cells on one input sequence; every array is [T] float64, step t = after reading x_t."""

    inputs: np.ndarray
    lstm_cell: np.ndarray
    lstm_hidden: np.ndarray
    forget_gate: np.ndarray
    rnn_hidden: np.ndarray
    lstm_influence: np.ndarray  # d c_t / d x_0
    rnn_influence: np.ndarray  # d h_t / d x_0
    lstm_gradient: np.ndarray  # d c_T / d c_t  (T = the last step)
    rnn_gradient: np.ndarray  # d h_T / d h_t
    forget_product: np.ndarray  # prod_{k=t+1..T} f_k
    rnn_product: np.ndarray  # prod_{k=t+1..T} w_h (1 - h_k^2)

    @property
    def steps(self) -> int:
        return len(self.inputs)


def signal_then_gap(gap: int, signal: float = 1.0) -> np.ndarray:
    """[gap + 1]: the signal at step 0, then ``gap`` zeros."""
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}")
    inputs = np.zeros(gap + 1)
    inputs[0] = signal
    return inputs


def _gate_rows(params: CellParams) -> list[tuple[float, float, float]]:
    return [
        (params.weight(g, "x"), params.weight(g, "h"), params.weight(g, "bias")) for g in GATE_ORDER
    ]


def memory_story(inputs, lstm: CellParams = STORY_LSTM, rnn: RNNParams = STORY_RNN) -> MemoryStory:
    """Run both 1-unit cells on ``inputs`` (a sequence of numbers, from zero states) and measure
    memory, influence and gradient with autograd (see the module docstring)."""
    values = np.asarray(inputs, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("the sequence needs at least one step")
    if not np.all(np.isfinite(values)):
        raise ValueError("the sequence must be finite numbers")
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    cells, hiddens, forgets, rnn_states = _run(x, lstm, rnn)
    lstm_gradient = _gradient_from_last(cells)
    rnn_gradient = _gradient_from_last(rnn_states)

    lstm_influence, rnn_influence = _influence(values, lstm, rnn)

    forget = np.array([f.item() for f in forgets])
    rnn_h = np.array([s.item() for s in rnn_states])
    forget_product = _suffix_products(forget)
    rnn_product = _suffix_products(rnn.h * (1.0 - rnn_h**2))
    return MemoryStory(
        inputs=values,
        lstm_cell=np.array([s.item() for s in cells]),
        lstm_hidden=np.array([s.item() for s in hiddens]),
        forget_gate=forget,
        rnn_hidden=rnn_h,
        lstm_influence=lstm_influence,
        rnn_influence=rnn_influence,
        lstm_gradient=lstm_gradient,
        rnn_gradient=rnn_gradient,
        forget_product=forget_product,
        rnn_product=rnn_product,
    )


def _run(x: torch.Tensor, lstm: CellParams, rnn: RNNParams):
    """Both cells over x [T] from zero states: (cells, hiddens, forget gates, rnn states), each
    a list of T scalar tensors (in the autograd graph of x)."""
    rows = _gate_rows(lstm)
    h = torch.zeros((), dtype=torch.float64)
    c = torch.zeros((), dtype=torch.float64)
    cells, hiddens, forgets = [], [], []
    for t in range(x.shape[0]):
        z = [wx * x[t] + wh * h + b for wx, wh, b in rows]
        i, f = torch.sigmoid(z[0]), torch.sigmoid(z[1])
        g, o = torch.tanh(z[2]), torch.sigmoid(z[3])
        c = f * c + i * g
        h = o * torch.tanh(c)
        cells.append(c)
        hiddens.append(h)
        forgets.append(f)
    r = torch.zeros((), dtype=torch.float64)
    rnn_states = []
    for t in range(x.shape[0]):
        r = torch.tanh(rnn.x * x[t] + rnn.h * r + rnn.bias)
        rnn_states.append(r)
    return cells, hiddens, forgets, rnn_states


def _influence(values: np.ndarray, lstm: CellParams, rnn: RNNParams):
    """d c_t / d x_0 (LSTM) and d h_t / d x_0 (RNN) for every t, in one forward pass that carries
    each state's derivative along (forward-mode differentiation by hand: the chain rule through
    each gate; the tests check it against autograd and finite differences). torch's own forward
    mode costs seconds on its first use, too slow for a slider."""
    rows = _gate_rows(lstm)
    h = c = dh = dc = 0.0
    lstm_out = np.zeros(values.size)
    for t, x in enumerate(values):
        dx = 1.0 if t == 0 else 0.0
        z = [wx * x + wh * h + b for wx, wh, b in rows]
        dz = [wx * dx + wh * dh for wx, wh, _ in rows]
        i, f, o = (1.0 / (1.0 + math.exp(-z[k])) for k in (0, 1, 3))
        g = math.tanh(z[2])
        di, df, do = i * (1 - i) * dz[0], f * (1 - f) * dz[1], o * (1 - o) * dz[3]
        dg = (1 - g * g) * dz[2]
        c, dc = f * c + i * g, df * c + f * dc + di * g + i * dg
        squashed = math.tanh(c)
        h, dh = o * squashed, do * squashed + o * (1 - squashed**2) * dc
        lstm_out[t] = dc
    r = dr = 0.0
    rnn_out = np.zeros(values.size)
    for t, x in enumerate(values):
        dx = 1.0 if t == 0 else 0.0
        r = math.tanh(rnn.x * x + rnn.h * r + rnn.bias)
        dr = (1 - r * r) * (rnn.x * dx + rnn.h * dr)
        rnn_out[t] = dr
    return lstm_out, rnn_out


def _gradient_from_last(states: list[torch.Tensor]) -> np.ndarray:
    """[T]: d states[-1] / d states[t] (total derivative, every path) for every t."""
    grads = torch.autograd.grad(states[-1], states, retain_graph=True, allow_unused=True)
    return np.array([0.0 if g is None else g.item() for g in grads])


def _suffix_products(factors: np.ndarray) -> np.ndarray:
    """out[t] = prod factors[t+1:] (1 for the last step)."""
    out = np.ones_like(factors)
    for t in range(len(factors) - 2, -1, -1):
        out[t] = out[t + 1] * factors[t + 1]
    return out


LSTM_COLOUR, RNN_COLOUR = "#b2182b", "#2166ac"


def memory_figure(story: MemoryStory, upto: int | None = None, height: int = 330):
    """Two panels over the steps read so far (0..``upto``): left, what each cell holds (the
    LSTM's cell c_t, the RNN's hidden state h_t); right, how much each still depends on the
    first input (|d state_t / d x_0|, log scale). A plotly figure."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    last = story.steps - 1 if upto is None else min(max(0, upto), story.steps - 1)
    steps = np.arange(last + 1)
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            "Memory: LSTM cell c vs RNN hidden h",
            "Influence of the first input: |d state / d x₀| (log)",
        ),
        horizontal_spacing=0.1,
    )
    tiny = 1e-12  # |0| on a log axis
    for name, memory, influence, colour in (
        ("LSTM (cell c)", story.lstm_cell, story.lstm_influence, LSTM_COLOUR),
        ("RNN (hidden h)", story.rnn_hidden, story.rnn_influence, RNN_COLOUR),
    ):
        figure.add_trace(
            go.Scatter(
                x=steps,
                y=memory[: last + 1],
                name=name,
                mode="lines+markers",
                line=dict(color=colour, width=2),
                legendgroup=name,
                hovertemplate="step %{x}<br>%{y:.4f}<extra>" + name + "</extra>",
            ),
            row=1,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=steps,
                y=np.maximum(np.abs(influence[: last + 1]), tiny),
                name=name,
                mode="lines+markers",
                line=dict(color=colour, width=2),
                legendgroup=name,
                showlegend=False,
                hovertemplate="step %{x}<br>%{y:.3g}<extra>" + name + "</extra>",
            ),
            row=1,
            col=2,
        )
    figure.update_xaxes(title_text="step", range=[-0.5, story.steps - 0.5])
    figure.update_yaxes(range=[-1.05, 1.05], row=1, col=1)
    floor = max(tiny, min(np.abs(story.rnn_influence).min(), np.abs(story.lstm_influence).min()))
    figure.update_yaxes(type="log", range=[np.log10(floor) - 0.3, 0.2], row=1, col=2)
    figure.update_layout(
        height=height,
        margin=dict(l=50, r=10, t=50, b=40),
        legend=dict(orientation="h", y=1.22, x=0),
        meta={"upto": last},
    )
    return figure


def story_sentence(story: MemoryStory, step: int) -> str:
    """What the figures show after ``step`` steps, in words (markdown)."""
    step = min(max(0, step), story.steps - 1)
    lstm, rnn = story.lstm_influence[step], story.rnn_influence[step]
    ratio = abs(lstm) / max(abs(rnn), 1e-300)
    text = (
        f"**Step {step}.** The LSTM's cell holds {story.lstm_cell[step]:+.3f} and still feels the "
        f"first input with a strength of **{abs(lstm):.3g}** (∂c/∂x₀: how far the cell moves "
        f"per unit change of that input); the RNN's hidden state holds "
        f"{story.rnn_hidden[step]:+.3f} and feels it with **{abs(rnn):.3g}** (∂h/∂x₀)"
    )
    if step > 0:
        text += f" ({_times(ratio)} less)" if ratio >= 1 else f" ({_times(1 / ratio)} more)"
    return text + "."


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _times(ratio: float) -> str:
    """23 -> "23×"; 8.2e17 -> "about 10¹⁸×" (an order of magnitude is all that matters there)."""
    if ratio < 10_000:
        return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"
    return f"about 10{str(round(math.log10(ratio))).translate(_SUPERSCRIPT)}×"
