"""The ConvLSTM tour stop measures where the forget gate keeps memory: a hand-built trace whose
channel 1 forget gate lights up where the square goes next is found; a flat one is not."""

from __future__ import annotations

import numpy as np
import torch

from lstm_viz import Trace
from lstm_viz.learn.frame_tour import forget_ahead_stop
from lstm_viz.trace import RECORDED_NAMES


def square_frames(steps: int = 6, size: int = 8) -> np.ndarray:
    frames = np.zeros((steps, 1, size, size), dtype=np.float32)
    for t in range(steps):
        frames[t, 0, 3:5, t : t + 2] = 1.0  # a 2 x 2 square moving right one pixel a step
    return frames


def trace_with_forget(forget: np.ndarray) -> Trace:
    """forget [T, C, H, W] as a conv_lstm trace (other quantities 0.5)."""
    steps, channels, height, width = forget.shape
    flat = torch.from_numpy(forget.reshape(1, 1, 1, steps, -1)).float()
    values = {n: torch.full_like(flat, 0.5) for n in RECORDED_NAMES["conv_lstm"]}
    values["forget_gate"] = flat
    config = {"spatial_shape": [channels, height, width]}
    return Trace("conv_lstm", values, torch.tensor([steps]), None, config)


def test_the_channel_that_keeps_memory_ahead_is_found():
    frames = square_frames()
    forget = np.full((6, 3, 8, 8), 0.3, dtype=np.float32)
    forget[:-1, 1] = 0.3 + 0.6 * frames[1:, 0]  # channel 1 opens where the square goes next
    stop = forget_ahead_stop(trace_with_forget(forget), frames)
    assert stop.channel == 1
    assert abs(stop.ahead - 0.9) < 1e-6 and abs(stop.background - 0.3) < 1e-6
    assert "f = 0.90" in stop.text and "where the shape will be" in stop.text


def test_a_flat_forget_gate_is_not_claimed():
    frames = square_frames()
    stop = forget_ahead_stop(trace_with_forget(np.full((6, 2, 8, 8), 0.4, np.float32)), frames)
    assert stop.mean_difference == 0.0
    assert stop.text.startswith("No channel")
