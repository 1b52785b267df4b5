"""Bring a recurrent module's input and initial state into one layout, and check them.

Every recurrent module takes several layouts (unbatched, batch_first, PackedSequence, with or
without initial states); the recorder works on one: time-major, padded, with lengths.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


class PreparedInput:
    """A recurrent module's input in one layout: time-major, padded, with lengths.

    Keeps what is needed to return the output in the caller's own layout (``restore``).
    """

    def __init__(self, module: nn.Module, input: Any) -> None:
        self.batch_first = module.batch_first
        self.batch_sizes = self.sorted_indices = self.unsorted_indices = None
        self.packed_data = None
        self.unbatched = False
        if isinstance(input, PackedSequence):
            self.packed_data = input.data
            self.batch_sizes = input.batch_sizes
            self.sorted_indices = input.sorted_indices
            self.unsorted_indices = input.unsorted_indices
            self.padded, self.lengths = pad_packed_sequence(input)  # [T, B, I], [B]
        else:
            x = input
            if x.dim() == 2:
                self.unbatched = True
                x = x.unsqueeze(1)  # [T, 1, I]
            elif self.batch_first:
                x = x.transpose(0, 1)  # [B, T, I] -> [T, B, I]
            self.padded = x
            self.lengths = torch.full((x.shape[1],), x.shape[0], dtype=torch.int64)

    def restore(self, layer_out: torch.Tensor) -> Any:
        """The last layer's fused output, in the caller's layout (packed, batch_first, ...)."""
        if self.batch_sizes is not None:
            return PackedSequence(
                layer_out, self.batch_sizes, self.sorted_indices, self.unsorted_indices
            )
        if self.unbatched:
            return layer_out.squeeze(1)
        return layer_out.transpose(0, 1) if self.batch_first else layer_out

    def restore_padded(self, padded_out: torch.Tensor) -> Any:
        """Like ``restore``, from a padded time-major output [T, B, N] (packing it if needed)."""
        if self.batch_sizes is None:
            return self.restore(padded_out)
        # Packed data lists, step by step, the sequences still running, in sorted order.
        rows = [
            padded_out[t, self.sorted_indices[:size]] for t, size in enumerate(self.batch_sizes)
        ]
        return self.restore(torch.cat(rows))


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence within its own length; padded steps stay where they are.

    x: [T, B, ...], lengths: [B]. Its own inverse.
    """
    steps = x.shape[0]
    t = torch.arange(steps, device=x.device)[:, None]  # [T, 1]
    length = lengths.to(x.device)[None, :]  # [1, B]
    index = torch.where(t < length, length - 1 - t, t)  # [T, B]
    return x.gather(0, index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x))


def prepare_input(module: nn.Module, input: Any, name: str) -> PreparedInput:
    """Check a recurrent module's input and bring it into one layout; ValueError when it is bad."""
    what = f"{type(module).__name__} {name!r}"
    if isinstance(input, PackedSequence):
        data = input.data
    elif isinstance(input, torch.Tensor):
        if input.dim() not in (2, 3):
            raise ValueError(
                f"{what} expects input shaped [time, features] or [time, batch, features] "
                f"({'[batch, time, features]' if module.batch_first else ''}), got {input.dim()}-D "
                f"{tuple(input.shape)}"
            )
        data = input
    else:
        raise ValueError(f"{what} expects a tensor or a PackedSequence, got {type(input).__name__}")
    if not data.is_floating_point():
        raise ValueError(f"{what} expects floating-point input, got {data.dtype}")
    if data.shape[-1] != module.input_size:
        raise ValueError(
            f"{what} expects input_size={module.input_size} features per step, "
            f"got {data.shape[-1]} (input shape {tuple(data.shape)})"
        )
    if data.numel() == 0:
        raise ValueError(f"{what} got an empty input {tuple(data.shape)}: no time steps to record")
    check_finite(data, f"the input to {what}")
    prepared = PreparedInput(module, input)
    if prepared.padded.shape[0] == 0:
        raise ValueError(f"{what} got an input with no time steps (T=0)")
    return prepared


def prepare_state(
    module: nn.Module, hx: Any, batch: int, unbatched: bool, like: torch.Tensor, is_lstm: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Initial states as [L*D, B, P] and [L*D, B, H] (c is a dummy for GRU and RNN)."""
    rows = module.num_layers * (2 if module.bidirectional else 1)
    out_size = getattr(module, "proj_size", 0) or module.hidden_size
    h_shape, c_shape = (rows, batch, out_size), (rows, batch, module.hidden_size)
    zeros = dict(dtype=like.dtype, device=like.device)
    if hx is None:
        return torch.zeros(h_shape, **zeros), torch.zeros(c_shape, **zeros)
    h0, c0 = hx if is_lstm else (hx, torch.zeros(c_shape, **zeros))
    if unbatched:
        h0 = h0.unsqueeze(1)
        c0 = c0.unsqueeze(1) if is_lstm else c0
    for state, shape, label in ((h0, h_shape, "h0"), (c0, c_shape, "c0")):
        if tuple(state.shape) != shape:
            raise ValueError(
                f"initial state {label} must be shaped {list(shape)}, got {list(state.shape)}"
            )
        check_finite(state, f"initial state {label}")
    return h0, c0


def mask_padding(values: dict[str, torch.Tensor], lengths: torch.Tensor) -> None:
    """Set padded steps (t >= length) to NaN in every [L, D, B, T, U] tensor, in place."""
    steps = next(iter(values.values())).shape[3]
    padded = torch.arange(steps)[None, :] >= lengths.cpu()[:, None]  # [B, T]
    if padded.any():
        for v in values.values():
            v.masked_fill_(padded[None, None, :, :, None], float("nan"))


def check_finite(t: torch.Tensor, what: str) -> None:
    """ValueError naming ``what`` and counting its NaN and Inf values, if it has any."""
    if torch.isfinite(t.sum()):  # fast: a NaN or Inf anywhere makes the sum non-finite
        return
    if not torch.isfinite(t).all():  # the sum can also overflow: only then count
        nans = int(torch.isnan(t).sum())
        infs = int(torch.isinf(t).sum())
        raise ValueError(f"{what} contains {nans} NaN and {infs} Inf values")


def pack_lengths(
    module: nn.Module, inputs: torch.Tensor, lengths: Any, enforce_sorted: bool
) -> PackedSequence:
    """``inputs`` padded ([T, B, F], or [B, T, F] for a batch_first module) packed by ``lengths``
    (one per sequence, each 1..T), as nn.LSTM takes them; ValueError with a clear message for
    lengths that do not fit (not one per sequence, below 1, beyond T, unsorted when
    ``enforce_sorted``)."""
    lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
    if inputs.dim() != 3:
        raise ValueError(f"lengths= needs a batched input [.., .., features], got {inputs.dim()}-D")
    steps, batch = (inputs.shape[1], inputs.shape[0]) if module.batch_first else inputs.shape[:2]
    if lengths.dim() != 1 or lengths.shape[0] != batch:
        raise ValueError(
            f"lengths must hold one length per sequence ({batch}), got {list(lengths.shape)}"
        )
    if steps == 0:
        raise ValueError("the input has no time steps (T=0)")
    if (lengths < 1).any():
        raise ValueError(f"every length must be at least 1, got {lengths.tolist()}")
    if (lengths > steps).any():
        raise ValueError(f"lengths {lengths.tolist()} exceed the input's {steps} time steps")
    if enforce_sorted and (lengths[:-1] < lengths[1:]).any():
        raise ValueError(
            f"lengths {lengths.tolist()} are not sorted longest first (enforce_sorted=True)"
        )
    return pack_padded_sequence(
        inputs, lengths, batch_first=module.batch_first, enforce_sorted=enforce_sorted
    )
