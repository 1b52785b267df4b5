"""Slow, obviously correct references: each cell's equations, one sequence and one step at a time,
in float64. The recorder must agree with these on every gate and state."""

from __future__ import annotations

import math

import torch
from torch import nn

from lstm_viz import RECORDED_NAMES


def _weights(module: nn.Module, layer: int, direction: int) -> dict[str, torch.Tensor | None]:
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr", "weight_peephole")
    return {
        n: (getattr(module, n + sfx).detach().double().cpu() if hasattr(module, n + sfx) else None)
        for n in names
    }


def _step(kind: str, w: dict, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
    """One step of one sequence. x: [I], h: [P], c: [H]. Returns (values by name, h, c)."""
    b_ih = w["bias_ih"] if w["bias_ih"] is not None else 0.0
    b_hh = w["bias_hh"] if w["bias_hh"] is not None else 0.0
    x_part = w["weight_ih"] @ x + b_ih
    h_part = w["weight_hh"] @ h + b_hh
    if kind in ("lstm", "peephole_lstm"):
        i, f, g, o = (x_part + h_part).chunk(4)
        if kind == "peephole_lstm":
            p_i, p_f, p_o = w["weight_peephole"]
            i, f = i + p_i * c, f + p_f * c
        i, f, g = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)
        c = f * c + i * g
        if kind == "peephole_lstm":
            o = o + p_o * c
        o = torch.sigmoid(o)
        h = o * torch.tanh(c)
        if w["weight_hr"] is not None:
            h = w["weight_hr"] @ h
        return dict(input_gate=i, forget_gate=f, candidate=g, output_gate=o, cell=c, hidden=h), h, c
    if kind == "gru":
        x_r, x_z, x_n = x_part.chunk(3)
        h_r, h_z, h_n = h_part.chunk(3)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h
        return dict(reset_gate=r, update_gate=z, new_gate=n, hidden=h), h, c
    pre = x_part + h_part
    h = torch.tanh(pre) if kind == "rnn_tanh" else torch.relu(pre)
    return dict(pre_activation=pre, hidden=h), h, c


def reference_record(
    module: nn.Module,
    kind: str,
    x: torch.Tensor,
    lengths: list[int] | None = None,
    h0: torch.Tensor | None = None,
    c0: torch.Tensor | None = None,
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor, torch.Tensor]:
    """x: [T, B, I] (time-major). Returns (values [L, D, B, T, U] with NaN padding, output
    [T, B, D*P] with zero padding, h_n [L*D, B, P], c_n [L*D, B, H]), all float64."""
    steps, batch, _ = x.shape
    dirs = 2 if module.bidirectional else 1
    layers, size = module.num_layers, module.hidden_size
    out_size = getattr(module, "proj_size", 0) or size
    lengths = lengths or [steps] * batch
    h0 = torch.zeros(layers * dirs, batch, out_size) if h0 is None else h0
    c0 = torch.zeros(layers * dirs, batch, size) if c0 is None else c0
    names = RECORDED_NAMES[kind]
    units = {n: (out_size if n == "hidden" else size) for n in names}
    values = {
        n: torch.full((layers, dirs, batch, steps, u), math.nan, dtype=torch.float64)
        for n, u in units.items()
    }
    h_n = torch.zeros(layers * dirs, batch, out_size, dtype=torch.float64)
    c_n = torch.zeros(layers * dirs, batch, size, dtype=torch.float64)
    layer_in = x.double()
    for layer in range(layers):
        layer_out = torch.zeros(steps, batch, dirs * out_size, dtype=torch.float64)
        for d in range(dirs):
            w = _weights(module, layer, d)
            row = layer * dirs + d
            for b in range(batch):
                h, c = h0[row, b].double(), c0[row, b].double()
                order = range(lengths[b] - 1, -1, -1) if d else range(lengths[b])
                for t in order:
                    step_values, h, c = _step(kind, w, layer_in[t, b], h, c)
                    for n, v in step_values.items():
                        values[n][layer, d, b, t] = v
                    layer_out[t, b, d * out_size : (d + 1) * out_size] = h
                h_n[row, b], c_n[row, b] = h, c
        layer_in = layer_out
    return values, layer_in, h_n, c_n
