"""Small helpers the analyses share: which steps are real, and a layer's values as a matrix."""

from __future__ import annotations

import numpy as np

from ..trace import DIRECTION_NAMES, Trace

# The gate that decides how much of the old state a unit keeps, per kind of trace.
KEEP_GATE = {"lstm": "forget_gate", "peephole_lstm": "forget_gate", "gru": "update_gate"}
LSTM_KINDS = ("lstm", "peephole_lstm")


def valid_mask(trace: Trace) -> np.ndarray:
    """[B, T] bool: True on real steps (t < length) whose values are all finite."""
    steps = trace.num_steps
    mask = np.arange(steps)[None, :] < trace.lengths.numpy()[:, None]
    for values in trace.values.values():
        mask &= np.isfinite(values.numpy()).all(axis=(0, 1, 4))
    return mask


def check_position(trace: Trace, layer: int, direction: int) -> None:
    if not 0 <= layer < trace.num_layers:
        raise ValueError(f"layer {layer} out of range: the trace has {trace.num_layers} layer(s)")
    if not 0 <= direction < trace.num_directions:
        raise ValueError(
            f"direction {direction} out of range: the trace has {trace.num_directions}"
        )


def where(trace: Trace, layer: int, direction: int) -> str:
    """'layer 1' or 'layer 1, backward', for titles (the recording's own indices)."""
    text = f"layer {trace.ids('layer')[layer]}"
    if trace.num_directions > 1:
        text += f", {DIRECTION_NAMES[trace.ids('direction')[direction]]}"
    return text
