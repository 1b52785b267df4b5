"""Why a gate opened: each gate's pre-activation split into where it came from.

For every gate, unit and step, the argument of the gate's nonlinearity is a sum of terms:

    LSTM      input  W_i x_t          recurrent  W_h h_{t-1}      bias  b_i + b_h
    peephole  as LSTM, plus peephole p * c_{t-1} (input and forget gates) or p * c_t (output)
    GRU       reset and update gates as LSTM; the new gate n = tanh(input + recurrent + bias)
              with input W_in x_t, recurrent r_t * (W_hn h_{t-1}), bias b_in + r_t * b_hn
    RNN       pre_activation = input + recurrent + bias

x_t is the layer's input (the embedding for layer 0, the layer below's h_t otherwise),
h_{t-1} the layer's previous hidden state (zero before the first step; the backward direction's
previous step is t + 1). The terms are computed in float64 from the model's weights and the
recorded states, and sum to the pre-activation exactly: the recorded gate is its sigmoid/tanh
(a test checks 1e-5 on every kind).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lstm_viz.recording.recorder import record

from ..trace import Trace
from .stepping import core_kind, layer_weights

GATES = {
    "lstm": ("input_gate", "forget_gate", "candidate", "output_gate"),
    "peephole_lstm": ("input_gate", "forget_gate", "candidate", "output_gate"),
    "gru": ("reset_gate", "update_gate", "new_gate"),
    "rnn_tanh": ("pre_activation",),
    "rnn_relu": ("pre_activation",),
}
TERMS = ("input", "recurrent", "bias", "peephole")
SQUASH = {  # the gate's nonlinearity, applied to the pre-activation
    "input_gate": torch.sigmoid,
    "forget_gate": torch.sigmoid,
    "output_gate": torch.sigmoid,
    "reset_gate": torch.sigmoid,
    "update_gate": torch.sigmoid,
    "candidate": torch.tanh,
    "new_gate": torch.tanh,
    "pre_activation": lambda v: v,
}


@dataclass(frozen=True)
class PreactivationSplit:
    """terms[gate][term]: float64 [layer, direction, batch, time, unit]; ``trace`` the recording
    whose gates they explain. Terms a cell does not have (peephole outside PeepholeLSTM) are
    left out of its dict."""

    kind: str
    terms: dict[str, dict[str, np.ndarray]]
    trace: Trace

    @property
    def gates(self) -> tuple[str, ...]:
        return tuple(self.terms)

    def preactivation(self, gate: str) -> np.ndarray:
        """The sum of the terms [L, D, B, T, U]: the argument of the gate's nonlinearity."""
        return sum(self.terms[self._gate(gate)].values())

    def squashed(self, gate: str) -> np.ndarray:
        """sigmoid/tanh of the pre-activation: equals the recorded gate."""
        return SQUASH[gate](torch.from_numpy(self.preactivation(gate))).numpy()

    def unit(self, gate: str, unit: int, layer: int = 0, direction: int = 0, batch: int = 0):
        """{term: [T]} for one unit, plus "total"."""
        terms = self.terms[self._gate(gate)]
        if not 0 <= unit < next(iter(terms.values())).shape[-1]:
            raise ValueError(f"unit {unit} out of range")
        out = {n: v[layer, direction, batch, :, unit] for n, v in terms.items()}
        out["total"] = sum(out.values())
        return out

    def _gate(self, gate: str) -> str:
        if gate not in self.terms:
            raise ValueError(f"a {self.kind} cell has gates {', '.join(self.terms)}, not {gate!r}")
        return gate


def split_preactivations(rnn: nn.Module, x: torch.Tensor) -> PreactivationSplit:
    """Record ``rnn`` reading ``x`` [B, T, I] (batch first, every sequence full length, zero
    initial state) and split every gate's pre-activation. ValueError for anything else."""
    kind = core_kind(rnn)
    if x.dim() != 3 or x.shape[-1] != rnn.input_size:
        raise ValueError(f"x must be [batch, time, {rnn.input_size}], got {list(x.shape)}")
    batch_first = rnn.batch_first
    _, trace = record(rnn, x if batch_first else x.transpose(0, 1))
    dirs = trace.num_directions
    hidden = trace.hidden.double()  # [L, D, B, T, P]
    terms: dict[str, dict[str, list]] = {g: {} for g in GATES[kind]}
    layer_in = x.detach().double()
    for layer in range(rnn.num_layers):
        per_dir: dict[str, dict[str, list]] = {g: {} for g in GATES[kind]}
        for d in range(dirs):
            w = {
                k: (v.detach().double() if v is not None else None)
                for k, v in layer_weights(rnn, layer, d).items()
            }
            h_prev = _previous(hidden[layer, d], d)  # [B, T, P]
            split = _split(kind, w, layer_in, h_prev, trace, layer, d)
            for gate, parts in split.items():
                for term, value in parts.items():
                    per_dir[gate].setdefault(term, []).append(value)
        for gate, parts in per_dir.items():
            for term, values in parts.items():
                terms[gate].setdefault(term, []).append(torch.stack(values))  # [D, B, T, U]
        layer_in = torch.cat([hidden[layer, d] for d in range(dirs)], dim=-1)
    stacked = {
        g: {t: torch.stack(v).numpy() for t, v in parts.items()} for g, parts in terms.items()
    }
    return PreactivationSplit(kind, stacked, trace)


def split_model(model: nn.Module, inputs: torch.Tensor) -> PreactivationSplit:
    """The split for a SequenceModel reading ``inputs`` ([B, T] ids or [B, T, F] numbers)."""
    with torch.no_grad():
        x = model.embedding(inputs)
    return split_preactivations(model.rnn, x)


def _previous(values: torch.Tensor, direction: int) -> torch.Tensor:
    """[B, T, U] -> the value before each step in reading order (zero before the first)."""
    zero = torch.zeros_like(values[:, :1])
    if direction == 0:
        return torch.cat([zero, values[:, :-1]], dim=1)
    return torch.cat([values[:, 1:], zero], dim=1)


def _split(kind, w, x, h_prev, trace, layer, d) -> dict[str, dict[str, torch.Tensor]]:
    gates = GATES[kind]
    rows = w["w_ih"].shape[0]
    size = rows // len(gates)
    blocks_in = (x @ w["w_ih"].t()).split(size, dim=-1)
    blocks_rec = (h_prev @ w["w_hh"].t()).split(size, dim=-1)
    no_bias = torch.zeros(rows, dtype=torch.float64)
    b_ih = (w["b_ih"] if w["b_ih"] is not None else no_bias).split(size)
    b_hh = (w["b_hh"] if w["b_hh"] is not None else no_bias).split(size)
    out = {}
    for k, gate in enumerate(gates):
        out[gate] = {
            "input": blocks_in[k],
            "recurrent": blocks_rec[k],
            "bias": (b_ih[k] + b_hh[k]).expand_as(blocks_in[k]),
        }
    if kind == "gru":
        r = trace.reset_gate[layer, d].double()
        new = out["new_gate"]
        new["recurrent"] = r * blocks_rec[2]
        new["bias"] = b_ih[2] + r * b_hh[2]
    if kind == "peephole_lstm":
        cell = trace.cell[layer, d].double()
        c_prev = _previous(cell, d)
        p = w["peephole"]
        out["input_gate"]["peephole"] = p[0] * c_prev
        out["forget_gate"]["peephole"] = p[1] * c_prev
        out["output_gate"]["peephole"] = p[2] * cell
    return out
