"""One recurrent layer through PyTorch's fused kernel (``torch._VF.lstm/gru/rnn_*``), called as
``nn.RNNBase.forward`` calls it (torch/nn/modules/rnn.py), so outputs and final states are the
module's own, bit for bit."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import _VF, nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from lstm_viz.recording.inputs import PreparedInput
from lstm_viz.recording.naming import suffix

_FUSED = {"lstm": _VF.lstm, "gru": _VF.gru, "rnn_tanh": _VF.rnn_tanh, "rnn_relu": _VF.rnn_relu}


def fused_layer(
    module: nn.RNNBase,
    kind: str,
    layer: int,
    layer_in: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    given: PreparedInput,
) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...]]:
    """One layer (both directions) through PyTorch's fused kernel, as nn.RNNBase.forward calls it.

    layer_in: [T, B, I] or packed data; h0, c0: [D, B, P], [D, B, H] in the caller's batch order.
    Returns (output as the kernel gives it, output padded [T, B, D*P], final states [D, B, .]).
    """
    dirs = 2 if module.bidirectional else 1
    params = [p for d in range(dirs) for p in layer_params(module, layer, d)]
    if layer_in.is_cuda and module.num_layers > 1:
        # cuDNN reads a layer's weights from the module's flat weight buffer when they are views
        # into it, and then uses another layer's: outputs differed by up to 1.6 on an H200
        # (torch 2.11, tests/unit/recording/test_devices.py). A copy is read as given.
        params = [p.detach().clone() for p in params]
    state = (h0, c0) if kind == "lstm" else h0
    with warnings.catch_warnings():
        # cuDNN warns that one layer's weights are not one contiguous block; it copies them.
        warnings.filterwarnings("ignore", message="RNN module weights are not part of single")
        if given.batch_sizes is None:
            result = _FUSED[kind](
                layer_in, state, params, module.bias, 1, 0.0, False, module.bidirectional, False
            )
        else:
            state = permute_state(state, given.sorted_indices)
            result = _FUSED[kind](
                layer_in,
                given.batch_sizes,
                state,
                params,
                module.bias,
                1,
                0.0,
                False,
                module.bidirectional,
            )
    output = result[0]
    final = tuple(result[1:]) if kind == "lstm" else (result[1],)
    if given.batch_sizes is None:
        return output, output, final
    final = permute_state(final, given.unsorted_indices)
    packed = PackedSequence(output, given.batch_sizes, given.sorted_indices, given.unsorted_indices)
    return output, pad_packed_sequence(packed, total_length=given.padded.shape[0])[0], final


def layer_params(module: nn.RNNBase, layer: int, direction: int) -> list[torch.Tensor]:
    """This layer-direction's parameters in the order the fused kernels take them."""
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if module.bias else [])
    if getattr(module, "proj_size", 0) > 0:
        names.append("weight_hr")
    return [getattr(module, n + suffix(layer, direction)) for n in names]


def permute_state(state: Any, permutation: torch.Tensor | None) -> Any:
    if permutation is None:
        return state
    if isinstance(state, tuple | list):
        return tuple(s.index_select(1, permutation) for s in state)
    return state.index_select(1, permutation)
