"""Anomaly scores from an LSTM autoencoder's reconstruction error, and how well they detect.

How a long input is scored (``score_series``): windows of the model's length start every
``stride`` steps (and one ends at the last step), so every step is covered by several windows.
Each window is reconstructed; a step's **error** is the smallest absolute reconstruction error
any covering window gives it, and its reconstruction is that window's. A normal step next to an
anomaly is therefore judged by a window that does not contain the anomaly, while an anomalous
step is badly reconstructed by every window (the model has only learned normal beats).

The rule (a simpler calibrated rule than EncDec-AD's Gaussian fit of error vectors): a step is
anomalous when its error exceeds ``threshold``. ``calibrate`` sets the threshold on normal
validation signal: ``margin`` times the ``quantile`` of its per-step errors (default: the 99.9th
percentile), so about 0.1% of normal steps cross it. Both numbers and the stride are
written into the model's config.json (``"anomaly"``).

``detection`` measures it on a signal with injected anomalies: an event counts as detected when
a flagged step falls inside it; the false-positive rate is the flagged fraction of the steps
outside every event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lstm_viz.models.autoencoder import LSTMAutoencoder

RULE = "error > threshold"
DEFAULT_QUANTILE, DEFAULT_MARGIN = 0.999, 1.0
BATCH = 512  # windows per forward pass


@dataclass(frozen=True)
class Scores:
    """Per-step results over a series of N steps (numpy float32 [N], anomaly bool [N])."""

    value: np.ndarray
    reconstruction: np.ndarray
    error: np.ndarray
    anomaly: np.ndarray
    threshold: float
    stride: int
    window: int


def window_starts(steps: int, window: int, stride: int) -> list[int]:
    """Starts of the windows that cover ``steps`` steps: every ``stride``, plus one ending at
    the last step. ValueError when the series is shorter than one window."""
    if steps < window:
        raise ValueError(
            f"the input has {steps} steps; the model reads windows of {window}: "
            f"give at least {window} steps"
        )
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    starts = list(range(0, steps - window + 1, stride))
    if starts[-1] != steps - window:
        starts.append(steps - window)
    return starts


@torch.no_grad()
def reconstruct_series(
    model: LSTMAutoencoder, values: np.ndarray, stride: int
) -> tuple[np.ndarray, np.ndarray]:
    """(reconstruction [N], error [N]) of a one-feature series [N] (see the module docstring).
    ValueError for a series shorter than a window or with non-finite values."""
    series = np.asarray(values, dtype=np.float32).reshape(-1)
    if not np.isfinite(series).all():
        bad = int(np.flatnonzero(~np.isfinite(series))[0])
        raise ValueError(f"the input has a missing or infinite value at step {bad}")
    window = model.config.window
    starts = window_starts(len(series), window, stride)
    x = torch.from_numpy(series)
    best_error = np.full(len(series), np.inf, dtype=np.float32)
    best = np.zeros(len(series), dtype=np.float32)
    for lo in range(0, len(starts), BATCH):
        chunk = starts[lo : lo + BATCH]
        windows = torch.stack([x[s : s + window] for s in chunk])  # [B, W]
        out = model.reconstruct(windows).numpy()  # [B, W]
        err = np.abs(out - windows.numpy())
        for row, s in enumerate(chunk):
            span = slice(s, s + window)
            better = err[row] < best_error[span]
            best_error[span] = np.where(better, err[row], best_error[span])
            best[span] = np.where(better, out[row], best[span])
    return best, best_error


def score_series(model: LSTMAutoencoder, values: np.ndarray, anomaly: dict[str, Any]) -> Scores:
    """Score every step of ``values`` [N] by the model's calibrated rule (``anomaly``: its
    config.json section, with "threshold" and "stride"). ValueError when it is not calibrated."""
    if not isinstance(anomaly.get("threshold"), (int, float)):
        raise ValueError("this autoencoder has no calibrated threshold (config.json 'anomaly')")
    stride = int(anomaly.get("stride", max(1, model.config.window // 8)))
    reconstruction, error = reconstruct_series(model, values, stride)
    threshold = float(anomaly["threshold"])
    return Scores(
        np.asarray(values, dtype=np.float32).reshape(-1),
        reconstruction,
        error,
        error > threshold,
        threshold,
        stride,
        model.config.window,
    )


def calibrate(
    model: LSTMAutoencoder,
    normal: np.ndarray,
    stride: int | None = None,
    quantile: float = DEFAULT_QUANTILE,
    margin: float = DEFAULT_MARGIN,
) -> dict[str, Any]:
    """The anomaly section for config.json, calibrated on the normal signal ``normal`` [N]:
    {"rule", "threshold", "quantile", "margin", "stride", "calibration_steps",
    "normal_flagged"} (the last: the fraction of these normal steps over the threshold)."""
    stride = stride or max(1, model.config.window // 8)
    _, error = reconstruct_series(model, normal, stride)
    threshold = float(margin * np.quantile(error, quantile))
    return {
        "rule": RULE,
        "threshold": round(threshold, 6),
        "quantile": quantile,
        "margin": margin,
        "stride": stride,
        "calibration_steps": len(error),
        "normal_flagged": float((error > threshold).mean()),
    }


@dataclass(frozen=True)
class Detection:
    """How a flagged series compares with the events injected into it."""

    events: int
    detected: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (detected, events)
    normal_steps: int
    false_positives: int

    @property
    def detection_rate(self) -> float:
        return self.detected / self.events if self.events else float("nan")

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.normal_steps if self.normal_steps else float("nan")

    def sentence(self) -> str:
        kinds = ", ".join(f"{k} {d}/{n}" for k, (d, n) in self.by_kind.items())
        return (
            f"detected {self.detected}/{self.events} events ({self.detection_rate:.1%}: {kinds}); "
            f"flagged {self.false_positives:,} of {self.normal_steps:,} normal steps "
            f"({self.false_positive_rate:.2%})"
        )


def detection(anomaly: np.ndarray, events: Sequence[Any]) -> Detection:
    """Compare flags [N] with events (anything with kind, start, stop): an event is detected
    when a flagged step falls inside [start, stop); normal steps are those outside every event."""
    flags = np.asarray(anomaly, dtype=bool)
    inside = np.zeros(len(flags), dtype=bool)
    by_kind: dict[str, list[int]] = {}
    detected = 0
    for event in events:
        hit = bool(flags[event.start : event.stop].any())
        inside[event.start : event.stop] = True
        counts = by_kind.setdefault(event.kind, [0, 0])
        counts[0] += hit
        counts[1] += 1
        detected += hit
    normal = ~inside
    return Detection(
        len(events),
        detected,
        {k: (d, n) for k, (d, n) in sorted(by_kind.items())},
        int(normal.sum()),
        int((flags & normal).sum()),
    )


@dataclass(frozen=True)
class Tiled:
    """A long series recorded in windows laid end to end (the last one ends at the last step and
    may overlap the one before; its overlapping steps are taken from the earlier window).

    ``recording`` has one batch row per window; ``starts`` the first step of each; ``grid``
    gives any quantity of the encoder or decoder as one [unit, step] array over the series."""

    recording: Any  # EncoderDecoderRecording
    starts: list[int]
    steps: int

    def window_of(self, step: int) -> tuple[int, int]:
        """(window row, position inside it) that shows ``step`` in the grids."""
        row = min(step // self.recording.encoder.num_steps, len(self.starts) - 1)
        return row, step - self.starts[row]

    def grid(self, part: str, quantity: str) -> np.ndarray:
        """[unit, step] of ``quantity`` ("forget_gate", ...) of ``part`` ("encoder"/"decoder")."""
        trace = getattr(self.recording, part)
        values = trace[quantity][0, 0].numpy()  # [window, T, unit]
        out = np.empty((values.shape[2], self.steps), dtype=np.float32)
        for row in range(len(self.starts) - 1, -1, -1):  # earlier windows win on overlaps
            s = self.starts[row]
            out[:, s : s + values.shape[1]] = values[row].T
        return out


@torch.no_grad()
def record_tiled(model: LSTMAutoencoder, values: np.ndarray) -> Tiled:
    """Record every window of a series laid end to end (``Tiled``); ValueError as
    ``window_starts``. The recording's extras hold each window's reconstruction and error."""
    from lstm_viz.recording.autoencoder import record_autoencoder

    series = np.asarray(values, dtype=np.float32).reshape(-1)
    window = model.config.window
    starts = window_starts(len(series), window, window)
    x = torch.from_numpy(series)
    windows = torch.stack([x[s : s + window] for s in starts])  # [K, W]
    return Tiled(record_autoencoder(model, windows), starts, len(series))
