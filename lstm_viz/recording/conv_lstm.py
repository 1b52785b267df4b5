"""A 2-D convolutional LSTM (Shi et al. 2015), without peepholes, as Keras's ``ConvLSTM2D``.

Per layer, with * a 2-D convolution (stride 1, padding "same"), for every step t:

    i_t = sigmoid(W_i * x_t + U_i * h_{t-1} + b_i)
    f_t = sigmoid(W_f * x_t + U_f * h_{t-1} + b_f)
    g_t = tanh(W_g * x_t + U_g * h_{t-1} + b_g)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = sigmoid(W_o * x_t + U_o * h_{t-1} + b_o)
    h_t = o_t ⊙ tanh(c_t)

Every gate and state is a map [channels, height, width]. Parameters of layer k:
``weight_ih_l{k}`` [4C, C_in, kh, kw], ``weight_hh_l{k}`` [4C, C, kh, kw] and ``bias_l{k}`` [4C]
(one bias, as Keras), gate blocks i, f, g, o (Keras's i, f, c, o). A Keras kernel
[kh, kw, C_in, 4C] is ``weight_ih`` permuted (3, 2, 0, 1).

Recorded as an ordinary Trace of kind "conv_lstm": the unit axis is channel x height x width
flattened in C order, ``config["spatial_shape"] = [C, H, W]``, and ``trace.maps(name)`` gives
[layer, direction, batch, time, C, H, W].
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lstm_viz.recording.inputs import check_finite
from lstm_viz.trace import RECORDED_NAMES, Trace

GATES = ("input_gate", "forget_gate", "candidate", "output_gate")


def conv_same(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None):
    """A stride-1 convolution padded "same" as TensorFlow/Keras pad it: an even kernel puts the
    extra row/column of zeros after (bottom/right)."""
    kh, kw = weight.shape[-2:]
    if kh % 2 and kw % 2:
        return F.conv2d(x, weight, bias, padding=(kh // 2, kw // 2))
    top, left = (kh - 1) // 2, (kw - 1) // 2
    return F.conv2d(F.pad(x, (left, kw - 1 - left, top, kh - 1 - top)), weight, bias)


def _pair(value: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"kernel_size must be a positive int or (height, width), got {value!r}")
    return pair  # type: ignore[return-value]


class ConvLSTM(nn.Module):
    """Stacked 2-D ConvLSTM, batch first.

    forward(x [B, T, C_in, H, W] (or [T, C_in, H, W]), hx=None or (h0, c0) each [L, B, C, H, W])
      -> (output [B, T, C, H, W]: the last layer's h_t, (h_n, c_n) each [L, B, C, H, W]).

    Raises ValueError (one line) for an input of the wrong shape, channels or non-finite values.
    """

    def __init__(
        self,
        input_channels: int,
        hidden_channels: int,
        kernel_size: int | tuple[int, int] = 3,
        num_layers: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if input_channels < 1 or hidden_channels < 1 or num_layers < 1:
            raise ValueError("input_channels, hidden_channels and num_layers must be at least 1")
        self.input_channels = input_channels
        self.hidden_channels = hidden_channels
        self.kernel_size = _pair(kernel_size)
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = True
        self.bidirectional = False
        self.dropout = 0.0
        self.proj_size = 0
        kh, kw = self.kernel_size
        for layer in range(num_layers):
            inputs = input_channels if layer == 0 else hidden_channels
            self.register_parameter(
                f"weight_ih_l{layer}",
                nn.Parameter(torch.empty(4 * hidden_channels, inputs, kh, kw)),
            )
            self.register_parameter(
                f"weight_hh_l{layer}",
                nn.Parameter(torch.empty(4 * hidden_channels, hidden_channels, kh, kw)),
            )
            if bias:
                self.register_parameter(
                    f"bias_l{layer}", nn.Parameter(torch.empty(4 * hidden_channels))
                )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight uniform in +-1/sqrt(fan-in of one gate's convolution); forget bias 1."""
        for name, p in self.named_parameters():
            if name.startswith("bias"):
                nn.init.zeros_(p)
                with torch.no_grad():
                    p[self.hidden_channels : 2 * self.hidden_channels] = 1.0
            else:
                bound = 1.0 / math.sqrt(p.shape[1] * p.shape[2] * p.shape[3])
                nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return (
            f"{self.input_channels}, {self.hidden_channels}, kernel_size={self.kernel_size}, "
            f"num_layers={self.num_layers}"
        )

    def forward(self, input: torch.Tensor, hx: Any = None) -> tuple[torch.Tensor, Any]:
        output, hidden, _ = run_conv_lstm(self, input, hx, name="", record=False)
        return output, hidden


def conv_config(module: ConvLSTM, name: str, spatial: tuple[int, int]) -> dict[str, Any]:
    """The configuration a conv_lstm trace carries (units = channels x height x width)."""
    channels = module.hidden_channels
    return {
        "module": name,
        "kind": "conv_lstm",
        "input_size": module.input_channels,
        "hidden_size": channels * spatial[0] * spatial[1],
        "proj_size": 0,
        "num_layers": module.num_layers,
        "bidirectional": False,
        "bias": module.bias,
        "batch_first": True,
        "dropout": 0.0,
        "channels": channels,
        "kernel_size": list(module.kernel_size),
        "spatial_shape": [channels, spatial[0], spatial[1]],
    }


def conv_forward_with_trace(
    module: ConvLSTM, input: torch.Tensor, hx: Any, name: str
) -> tuple[torch.Tensor, Any, Trace]:
    """The forward, plus a Trace of every gate and state at every step (used by ``record``)."""
    return run_conv_lstm(module, input, hx, name, record=True)


def run_conv_lstm(
    module: ConvLSTM, input: torch.Tensor, hx: Any, name: str, record: bool
) -> tuple[torch.Tensor, Any, Trace | None]:
    """Step every layer through the sequence; with ``record``, keep every gate and state."""
    where = f"ConvLSTM {name!r}" if name else "ConvLSTM"
    if not isinstance(input, torch.Tensor) or input.dim() not in (4, 5):
        shape = list(input.shape) if isinstance(input, torch.Tensor) else type(input).__name__
        raise ValueError(
            f"{where} reads frames [batch, time, channels, height, width] (or without batch), "
            f"got {shape}"
        )
    unbatched = input.dim() == 4
    x = input[None] if unbatched else input  # [B, T, C_in, H, W]
    batch, steps, channels_in, height, width = x.shape
    if channels_in != module.input_channels:
        raise ValueError(
            f"{where} reads {module.input_channels} input channel(s), the frames have "
            f"{channels_in} (frames are [batch, time, channels, height, width])"
        )
    if steps == 0 or height == 0 or width == 0:
        raise ValueError(f"{where}: the input has no steps or an empty frame ({list(x.shape)})")
    check_finite(x.detach(), f"the input of {where}")
    size = module.hidden_channels
    layers = module.num_layers
    if hx is None:
        zeros = x.new_zeros(layers, batch, size, height, width)
        h0, c0 = zeros, zeros
    else:
        h0, c0 = hx
        if unbatched:
            h0, c0 = h0[:, None], c0[:, None]
        expected = (layers, batch, size, height, width)
        if tuple(h0.shape) != expected or tuple(c0.shape) != expected:
            raise ValueError(
                f"{where}: initial states must be [layers, batch, channels, height, width] = "
                f"{list(expected)}, got {list(h0.shape)} and {list(c0.shape)}"
            )

    recorded: dict[str, list[torch.Tensor]] = {n: [] for n in RECORDED_NAMES["conv_lstm"]}
    layer_in = x
    h_n, c_n = [], []
    for layer in range(layers):
        w_ih = getattr(module, f"weight_ih_l{layer}")
        w_hh = getattr(module, f"weight_hh_l{layer}")
        b = getattr(module, f"bias_l{layer}") if module.bias else None
        # The input's share of every gate, for all steps in one convolution: [B, T, 4C, H, W]
        x_part = conv_same(layer_in.flatten(0, 1), w_ih, b)
        x_part = x_part.view(batch, steps, 4 * size, height, width)
        h, c = h0[layer], c0[layer]  # [B, C, H, W]
        per_step: dict[str, list[torch.Tensor]] = {n: [] for n in recorded}
        outputs = []
        for t in range(steps):
            pre = x_part[:, t] + conv_same(h, w_hh)  # [B, 4C, H, W]
            i_pre, f_pre, g_pre, o_pre = pre.split(size, dim=1)
            i, f = torch.sigmoid(i_pre), torch.sigmoid(f_pre)
            g, o = torch.tanh(g_pre), torch.sigmoid(o_pre)
            c = f * c + i * g
            h = o * torch.tanh(c)
            outputs.append(h)
            if record:
                for n, v in zip(recorded, (i, f, g, o, c, h), strict=True):
                    per_step[n].append(v)
        h_n.append(h)
        c_n.append(c)
        layer_in = torch.stack(outputs, dim=1)  # [B, T, C, H, W]
        if record:
            for n, vs in per_step.items():
                recorded[n].append(torch.stack(vs, dim=1).reshape(batch, steps, -1))
    hidden = (torch.stack(h_n), torch.stack(c_n))  # [L, B, C, H, W] each
    output = layer_in[0] if unbatched else layer_in
    if unbatched:
        hidden = (hidden[0][:, 0], hidden[1][:, 0])
    trace = None
    if record:
        values = {
            n: torch.stack(v)[:, None].detach().float().cpu() for n, v in recorded.items()
        }  # [L, 1, B, T, C*H*W]
        lengths = torch.full((batch,), steps, dtype=torch.int64)
        trace = Trace(
            "conv_lstm", values, lengths, None, conv_config(module, name, (height, width))
        )
    return output, hidden, trace
