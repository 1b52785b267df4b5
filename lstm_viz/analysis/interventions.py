"""Interventions: clamp a gate or set a unit's cell over a span of steps, and re-run.

The recorder replays whole layers from the fused kernel's outputs; an intervention changes
every step after it, so here an nn.LSTM is run step by step with its own weights (the
equations below), with the chosen value forced in at the chosen steps:

    i, f, g, o = sigmoid(.), sigmoid(.), tanh(.), sigmoid(.)   of W_ih x_t + b + W_hh h_{t-1}
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)   (projected by W_hr when proj_size > 0)

Clamping a gate replaces its value before c_t is computed; setting the cell replaces c_t before
h_t is computed. Layers above see the changed h. Without interventions the loop equals
``record()`` (a test checks it), so original and intervened runs differ only by the intervention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import nn

from lstm_viz.figures import layout
from lstm_viz.quantities import plotly_safe
from lstm_viz.recording.recorder import recurrent_config

from ..trace import Trace
from ._common import KEEP_GATE
from .stepping import core_kind, run_core

TARGETS = ("input_gate", "forget_gate", "candidate", "output_gate", "cell")
# What can be forced, per kind of core (LSTM's list is TARGETS, kept for the app).
TARGETS_BY_KIND = {
    "lstm": TARGETS,
    "peephole_lstm": TARGETS,
    "gru": ("reset_gate", "update_gate", "new_gate", "hidden"),
    "rnn_tanh": ("hidden",),
    "rnn_relu": ("hidden",),
}
GATES = ("input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate")


@dataclass(frozen=True)
class Intervention:
    """Force ``quantity`` of ``unit`` (layer, direction) to ``value`` at steps start..stop-1."""

    quantity: str  # one of TARGETS
    unit: int
    value: float
    start: int
    stop: int  # exclusive
    layer: int = 0
    direction: int = 0

    def check(self, rnn: nn.Module, steps: int) -> None:
        kind = core_kind(rnn)
        targets = TARGETS_BY_KIND[kind]
        if self.quantity not in targets:
            raise ValueError(
                f"on a {kind} core one can intervene on {', '.join(targets)}, not {self.quantity!r}"
            )
        dirs = 2 if rnn.bidirectional else 1
        if not 0 <= self.layer < rnn.num_layers:
            raise ValueError(f"layer {self.layer} out of range ({rnn.num_layers} layers)")
        if not 0 <= self.direction < dirs:
            raise ValueError(f"direction {self.direction} out of range ({dirs})")
        if not 0 <= self.unit < rnn.hidden_size:
            raise ValueError(f"unit {self.unit} out of range ({rnn.hidden_size} units)")
        if not 0 <= self.start < self.stop <= steps:
            raise ValueError(
                f"steps {self.start}..{self.stop - 1} are not a span of the {steps} steps read"
            )
        if not np.isfinite(self.value):
            raise ValueError("the value must be a finite number")
        if self.quantity in GATES and not (0.0 <= self.value <= 1.0):
            raise ValueError(f"a gate is in [0, 1]; {self.value} is not")
        if self.quantity in ("candidate", "new_gate") and not -1.0 <= self.value <= 1.0:
            raise ValueError(f"the {self.quantity} is in [-1, 1]; {self.value} is not")


def run_lstm(
    rnn: nn.Module,
    x: torch.Tensor,
    interventions: Sequence[Intervention] = (),
    tokens: Sequence[Sequence[str]] | None = None,
) -> tuple[torch.Tensor, Trace]:
    """Run ``rnn`` (nn.LSTM, PeepholeLSTM, nn.GRU or nn.RNN; the name is historical) step by
    step on ``x`` [B, T, I] (batch first, whatever rnn.batch_first says; every sequence T steps
    long, zero initial state), forcing ``interventions`` in (see stepping.py for where).

    Returns (output [B, T, D*P], as the module's output; the Trace of every gate and state).
    """
    kind = core_kind(rnn)
    if x.dim() != 3 or x.shape[-1] != rnn.input_size:
        raise ValueError(f"x must be [batch, time, {rnn.input_size}], got {list(x.shape)}")
    batch, steps, _ = x.shape
    for intervention in interventions:
        intervention.check(rnn, steps)

    def edit(layer: int, direction: int, t: int, values: dict[str, torch.Tensor]) -> None:
        for v in interventions:
            if (
                v.quantity in values
                and (v.layer, v.direction) == (layer, direction)
                and v.start <= t < v.stop
            ):
                changed = values[v.quantity].clone()
                changed[:, v.unit] = v.value
                values[v.quantity] = changed

    out, values = run_core(rnn, x, edit if interventions else None)
    lengths = torch.full((batch,), steps, dtype=torch.int64)
    values = {n: v.cpu() for n, v in values.items()}
    names = [list(t) for t in tokens] if tokens is not None else None
    return out, Trace(kind, values, lengths, names, recurrent_config(rnn, "rnn"))


@dataclass(frozen=True)
class InterventionResult:
    """The same input read twice: as the model reads it, and with the intervention forced in."""

    original: Trace
    intervened: Trace
    original_output: torch.Tensor  # [B, T, O] per step, or [B, O] per sequence
    intervened_output: torch.Tensor
    probabilities: bool  # outputs are probability distributions (softmax of the head)

    def change(self) -> np.ndarray:
        """Per step (or per sequence): total variation distance between the two next-token
        distributions (half the L1 distance: 0 same, 1 disjoint), or |difference| of values
        summed over outputs. [B, T] or [B]."""
        diff = (self.intervened_output - self.original_output).abs().sum(-1)
        return (diff / 2 if self.probabilities else diff).numpy()


def intervene(
    model: nn.Module,
    inputs: torch.Tensor,
    interventions: Sequence[Intervention],
    tokens: Sequence[Sequence[str]] | None = None,
) -> InterventionResult:
    """Read ``inputs`` ([B, T] ids or [B, T, F] numbers) with a SequenceModel (any core: LSTM,
    peephole LSTM, GRU, RNN), with and without ``interventions``; both runs use the same step
    loop. ValueError (one line) for an intervention the core does not have."""
    rnn = getattr(model, "rnn", None)
    core_kind(rnn)
    if not interventions:
        raise ValueError("say what to change: no intervention was given")
    with torch.no_grad():
        x = model.embedding(inputs)  # [B, T, E]
    outputs, traces = [], []
    for forced in ((), interventions):
        out, trace = run_lstm(rnn, x, forced, tokens)
        outputs.append(_head(model, out))
        traces.append(trace)
    objective = getattr(getattr(model, "config", None), "objective", "next_token")
    probabilities = objective in ("next_token", "step_class", "sequence_class")
    if probabilities:
        outputs = [torch.softmax(o, dim=-1) for o in outputs]
    return InterventionResult(traces[0], traces[1], outputs[0], outputs[1], probabilities)


def _head(model: nn.Module, out: torch.Tensor) -> torch.Tensor:
    """The head's output, as SequenceModel.forward reads it (every sequence full length)."""
    from lstm_viz.models.sequence import PER_STEP

    with torch.no_grad():
        config = model.config
        if config.objective in PER_STEP:
            return model.head(out).cpu()  # [B, T, O]
        summary = out[:, -1, : config.hidden_size]
        if config.bidirectional:
            summary = torch.cat([summary, out[:, 0, config.hidden_size :]], dim=-1)
        return model.head(summary).cpu()  # [B, O]


def top_predictions(
    result: InterventionResult, step: int, labels: Sequence[str], count: int = 5, batch: int = 0
):
    """A table of the ``count`` most likely outputs at ``step`` before and after: label,
    original probability, intervened probability (pandas DataFrame)."""
    import pandas as pd

    if not result.probabilities:
        raise ValueError("the model predicts values, not a distribution")
    before, after = result.original_output[batch], result.intervened_output[batch]
    if before.dim() == 2:
        before, after = before[step], after[step]
    order = torch.argsort(torch.maximum(before, after), descending=True)[:count].tolist()
    return pd.DataFrame(
        {
            "output": [labels[k] if k < len(labels) else str(k) for k in order],
            "original": before[order].numpy(),
            "intervened": after[order].numpy(),
        }
    )


def intervention_figure(
    result: InterventionResult, intervention: Intervention, batch: int = 0, height: int = 520
) -> go.Figure:
    """The unit's cell and hidden state, original (grey) and intervened (colour), with the
    span shaded; below, how much the prediction changed at each step."""
    v = intervention
    per_step = result.original_output.dim() == 3
    rows = 3 if per_step else 2
    names = result.original.names
    if "cell" in names:
        first = "cell"
    elif v.quantity != "hidden":
        first = v.quantity
    else:  # the GRU's update gate (what it keeps), an RNN's pre-activation
        first = KEEP_GATE.get(result.original.kind, names[0])
    label = "cell c" if first == "cell" else first.replace("_", " ")
    titles = [f"{label} of unit {v.unit}", f"hidden h of unit {v.unit}"]
    if per_step:
        titles.append(
            "change in the predicted distribution (total variation)"
            if result.probabilities
            else "change in the predicted value"
        )
    figure = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.08
    )
    steps = np.arange(result.original.num_steps)
    tokens = result.original.tokens[batch] if result.original.tokens else None
    hover = (
        [plotly_safe(f"{t!r} · step {k}") for k, t in enumerate(tokens)]
        if tokens
        else [str(k) for k in steps]
    )
    unit_out = min(v.unit, result.original.hidden.shape[-1] - 1)
    for row, (name, unit) in enumerate(((first, v.unit), ("hidden", unit_out)), start=1):
        for which, trace, colour in (
            ("original", result.original, "#888888"),
            ("intervened", result.intervened, "#d62728"),
        ):
            figure.add_trace(
                go.Scatter(
                    x=steps,
                    y=trace[name][v.layer, v.direction, batch, :, unit].numpy(),
                    mode="lines+markers",
                    marker=dict(size=4),
                    line=dict(color=colour, width=2 if which == "intervened" else 3),
                    name=which,
                    legendgroup=which,
                    showlegend=row == 1,
                    customdata=hover,
                    hovertemplate=f"%{{customdata}}<br>{which}: %{{y:.4f}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    if per_step:
        figure.add_trace(
            go.Bar(
                x=steps,
                y=result.change()[batch],
                marker_color="#9467bd",
                name="change",
                showlegend=False,
                customdata=hover,
                hovertemplate="%{customdata}<br>change %{y:.3f}<extra></extra>",
            ),
            row=3,
            col=1,
        )
    for row in range(1, rows + 1):
        figure.add_vrect(
            x0=v.start - 0.5,
            x1=v.stop - 0.5,
            fillcolor="rgba(255,200,0,0.18)",
            line_width=0,
            row=row,
            col=1,
        )
    figure.update_layout(
        title=layout.title(
            "Intervention",
            f"{v.quantity.replace('_', ' ')} of unit {v.unit} set to {v.value:g} "
            f"at steps {v.start}-{v.stop - 1} (shaded) · layer {v.layer}",
        ),
        height=height,
        margin=dict(l=50, r=10, t=90, b=40),
        legend=layout.top_legend(),
        meta={"figure": "intervention"},
    )
    figure.update_xaxes(title_text="step", row=rows, col=1)
    return figure
