"""A peephole LSTM: an LSTM whose gates also look at the cell state (Gers & Schmidhuber, 2000).

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi + p_i * c_{t-1})
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf + p_f * c_{t-1})
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho + p_o * c_t)
    h_t = o_t * tanh(c_t)

Parameters are named and laid out as nn.LSTM's (so its weights load into one), plus
``weight_peephole_l{k}[_reverse]`` [3, H] with rows p_i, p_f, p_o. With zero peephole weights it
computes exactly what nn.LSTM computes. There is no fused kernel for it: it steps in Python.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from lstm_viz.recording.inputs import mask_padding, prepare_input, prepare_state, reverse_padded
from lstm_viz.recording.naming import suffix
from lstm_viz.trace import RECORDED_NAMES, Trace


class PeepholeLSTM(nn.Module):
    """Drop-in for nn.LSTM (same arguments, except proj_size), with peephole connections."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError("input_size, hidden_size and num_layers must be at least 1")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = 0
        dirs = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = suffix(layer, d)
                self.register_parameter(
                    "weight_ih" + sfx, nn.Parameter(torch.empty(4 * hidden_size, layer_input))
                )
                self.register_parameter(
                    "weight_hh" + sfx, nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
                )
                if bias:
                    self.register_parameter(
                        "bias_ih" + sfx, nn.Parameter(torch.empty(4 * hidden_size))
                    )
                    self.register_parameter(
                        "bias_hh" + sfx, nn.Parameter(torch.empty(4 * hidden_size))
                    )
                self.register_parameter(
                    "weight_peephole" + sfx, nn.Parameter(torch.empty(3, hidden_size))
                )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """As nn.LSTM: every weight uniform in +-1/sqrt(hidden_size)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        extra = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        if self.bidirectional:
            extra += ", bidirectional=True"
        if self.batch_first:
            extra += ", batch_first=True"
        return extra

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, tuple[torch.Tensor, torch.Tensor]]:
        """Same inputs and outputs as nn.LSTM: (output, (h_n, c_n))."""
        output, hidden, _ = _run(self, input, hx, name="", record=False)
        return output, hidden


def peephole_forward_with_trace(
    module: PeepholeLSTM, input: Any, hx: Any, name: str
) -> tuple[Any, tuple[torch.Tensor, torch.Tensor], Trace]:
    """The forward, plus a Trace of every gate and state (used by ``record``)."""
    return _run(module, input, hx, name, record=True)


def _run(module: PeepholeLSTM, input: Any, hx: Any, name: str, record: bool) -> Any:
    prepared = prepare_input(module, input, name)
    x, lengths = prepared.padded, prepared.lengths  # [T, B, I], [B]
    steps, batch = x.shape[:2]
    size = module.hidden_size
    dirs = 2 if module.bidirectional else 1
    h0, c0 = prepare_state(module, hx, batch, prepared.unbatched, x, is_lstm=True)
    ragged = prepared.batch_sizes is not None
    running = torch.arange(steps, device=x.device)[:, None] < lengths.to(x.device)[None]  # [T, B]

    names = RECORDED_NAMES["peephole_lstm"]
    values = {n: [] for n in names}  # per (layer, direction): [T, B, H]
    layer_in = x
    h_n, c_n = [], []
    for layer in range(module.num_layers):
        outputs = []
        for d in range(dirs):
            sfx = suffix(layer, d)
            w_ih, w_hh = getattr(module, "weight_ih" + sfx), getattr(module, "weight_hh" + sfx)
            p_i, p_f, p_o = getattr(module, "weight_peephole" + sfx)  # each [H]
            bias = (
                getattr(module, "bias_ih" + sfx) + getattr(module, "bias_hh" + sfx)
                if module.bias
                else None
            )
            seq = reverse_padded(layer_in, lengths) if d else layer_in  # in processing order
            x_part = (
                seq @ w_ih.t()
                if bias is None
                else torch.addmm(bias, seq.flatten(0, 1), w_ih.t()).view(steps, batch, -1)
            )
            h, c = h0[layer * dirs + d], c0[layer * dirs + d]  # [B, H]
            per_step = {n: [] for n in names}
            for t in range(steps):
                pre = x_part[t] + h @ w_hh.t()  # [B, 4H]
                i_pre, f_pre, g_pre, o_pre = pre.split(size, dim=-1)
                i = torch.sigmoid(i_pre + p_i * c)
                f = torch.sigmoid(f_pre + p_f * c)
                g = torch.tanh(g_pre)
                c_new = f * c + i * g
                o = torch.sigmoid(o_pre + p_o * c_new)
                h_new = o * torch.tanh(c_new)
                if ragged:  # finished sequences keep their state
                    keep = running[t][:, None]
                    h_new, c_new = torch.where(keep, h_new, h), torch.where(keep, c_new, c)
                h, c = h_new, c_new
                if record:
                    for n, v in zip(names, (i, f, g, o, c, h), strict=True):
                        per_step[n].append(v)
                else:
                    per_step["hidden"].append(h)
            h_n.append(h)
            c_n.append(c)
            out = torch.stack(per_step["hidden"])  # [T, B, H]
            if ragged:
                out = out * running[..., None]
            outputs.append(reverse_padded(out, lengths) if d else out)
            if record:
                for n in names:
                    v = torch.stack(per_step[n])
                    values[n].append((reverse_padded(v, lengths) if d else v).transpose(0, 1))
        layer_in = torch.cat(outputs, dim=-1)  # [T, B, D*H]
        if module.training and module.dropout > 0 and layer < module.num_layers - 1:
            layer_in = nn.functional.dropout(layer_in, module.dropout, training=True)

    hidden = (torch.stack(h_n), torch.stack(c_n))  # [L*D, B, H] each
    output = prepared.restore_padded(layer_in)
    if prepared.unbatched:
        hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1))
    trace = None
    if record:
        from lstm_viz.recording.recorder import recurrent_config

        stacked = {
            n: torch.stack(v).view(module.num_layers, dirs, batch, steps, size).detach().cpu()
            for n, v in values.items()
        }
        mask_padding(stacked, lengths)
        trace = Trace("peephole_lstm", stacked, lengths.cpu(), None, recurrent_config(module, name))
    return output, hidden, trace
