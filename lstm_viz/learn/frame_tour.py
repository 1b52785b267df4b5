"""A tour stop for a ConvLSTM: does the forget gate keep memory where the square will be?

The stop is measured, never assumed: for every channel, the forget gate's mean on the pixels a
shape is about to enter (lit in frame t+1, dark in frame t) minus its mean on the background
(dark in both), averaged over the steps; the channel with the largest difference is shown at the
step where it is largest. When no channel keeps memory ahead of the shape, the text says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_viz.trace import Trace

LIT = 0.5  # a pixel above this is part of a shape
CLEAR = 0.05  # a difference of forget-gate means below this is not worth a stop's claim
FIRST_STEP = 1  # from the second frame on: after one frame the model cannot know the motion


@dataclass(frozen=True)
class FrameStop:
    """The measured stop: which channel and step to look at, and the numbers behind the text."""

    title: str
    text: str  # markdown, with the measured numbers
    layer: int
    channel: int
    step: int
    ahead: float  # forget gate's mean on the pixels the shape enters next (at ``step``)
    background: float  # its mean on the background (at ``step``)
    mean_difference: float  # ahead - background for this channel, averaged over the steps


def forget_ahead(trace: Trace, frames: np.ndarray, layer: int = 0) -> np.ndarray:
    """[steps, channels] forget-gate mean on entering pixels minus on background pixels (NaN
    where no pixel is entered, and at step 0). frames [T, C_in, H, W] as the model read them
    (channel 0)."""
    forget = trace.maps("forget_gate")[layer, 0, 0].double().numpy()  # [T, C, H, W]
    lit = frames[:, 0] > LIT  # [T, H, W]
    steps, channels = forget.shape[:2]
    out = np.full((steps, channels), np.nan)
    for t in range(FIRST_STEP, steps - 1):
        entering = lit[t + 1] & ~lit[t]
        background = ~lit[t + 1] & ~lit[t]
        if entering.any() and background.any():
            out[t] = forget[t][:, entering].mean(-1) - forget[t][:, background].mean(-1)
    return out


def forget_ahead_stop(trace: Trace, frames: np.ndarray, layer: int = 0) -> FrameStop:
    """The stop for ``trace`` (a conv_lstm recording of ``frames``). ValueError when the
    frames never show a shape entering new pixels."""
    table = forget_ahead(trace, frames, layer)
    if np.isnan(table).all():
        raise ValueError("no shape enters new pixels in these frames: nothing to measure")
    means = np.nanmean(table, axis=0)  # [C]
    channel = int(np.nanargmax(means))
    step = int(np.nanargmax(table[:, channel]))
    forget = trace.maps("forget_gate")[layer, 0, 0, step, channel].double().numpy()
    lit = frames[:, 0] > LIT
    entering = lit[step + 1] & ~lit[step]
    background = ~lit[step + 1] & ~lit[step]
    ahead, rest = float(forget[entering].mean()), float(forget[background].mean())
    best = float(means[channel])
    if best >= CLEAR:
        text = (
            f"Channel {channel}'s forget gate is higher, by {best:.2f} on average over the "
            f"steps, on the pixels a shape is about to enter than on the background. At step "
            f"{step} it keeps **f = {ahead:.2f}** of the memory where the shape will be in frame "
            f"{step + 1}, against **f = {rest:.2f}** on the background: ahead of the shape the "
            "cell keeps more of its memory."
        )
    else:
        text = (
            f"No channel's forget gate is clearly higher where a shape is about to be: the "
            f"largest average difference is {best:.2f} (channel {channel}). This model keeps "
            "its memory in another way; look at the input and candidate maps in Explore."
        )
    return FrameStop("🖼️ Where the square will be", text, layer, channel, step, ahead, rest, best)
