"""A generated ECG-like signal (nothing downloaded), its forecasting task, and injected anomalies.

The signal is sampled at ``RATE`` Hz. Each beat is a sum of Gaussian bumps at fixed offsets from
its R peak (P, Q, R, S and T waves; the T wave moves with the beat length, as QT does); the heart
rate drifts smoothly between 55 and 100 beats per minute; a slow baseline wander (two sines,
0.05-0.3 Hz) and white noise are added. The known hidden variable is the **beat phase**: the
fraction of the current R-R interval elapsed at each step, in [0, 1) (0 at an R peak).

    values, phase = ecg_signal(steps=5000, seed=0)        # [N] float32 each
    broken, events = inject_anomalies(values, seed=1)     # events: list of Event(kind, start, stop)

``EcgTask`` forecasts the next value of windows of the signal (like ``sines``), so every model the
Train page builds trains on it; the LSTM autoencoder (``lstm_viz.models.autoencoder``) trains on
the same windows through ``ecg_windows``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .base import Batch, Task
from .series import collate_values

RATE = 50.0  # samples per second
MIN_BPM, MAX_BPM = 55.0, 100.0
MAX_STEPS = 2_000_000

# (name, offset of the centre from the R peak in seconds, amplitude, width sigma in seconds).
# The T wave's offset is scaled by sqrt(RR) (Bazett-like), the P wave's by RR**0.25.
WAVES = (
    ("P", -0.20, 0.15, 0.025),
    ("Q", -0.04, -0.12, 0.012),
    ("R", 0.00, 1.00, 0.016),
    ("S", 0.04, -0.25, 0.014),
    ("T", 0.30, 0.30, 0.05),
)
ANOMALY_KINDS = ("flat_line", "spike", "missing_beat", "noise_burst", "amplitude_change")


def heart_rate(steps: int, rng: np.random.Generator) -> np.ndarray:
    """Beats per minute at each step [N]: a smooth drift between MIN_BPM and MAX_BPM (a sum of
    three slow sines with random periods of 20-120 s and phases)."""
    t = np.arange(steps) / RATE
    drift = np.zeros(steps)
    for _ in range(3):
        period = rng.uniform(20.0, 120.0)
        drift += np.sin(2 * math.pi * t / period + rng.uniform(0, 2 * math.pi))
    drift /= 3.0  # in [-1, 1]
    return (MIN_BPM + MAX_BPM) / 2 + (MAX_BPM - MIN_BPM) / 2 * drift


def ecg_signal(
    steps: int, seed: int = 0, noise: float = 0.02, wander: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """(values [N], beat phase [N]) of an ECG-like signal, float32, deterministic given ``seed``.

    ValueError for steps outside [1, MAX_STEPS] or a negative noise or wander.
    """
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be in [1, {MAX_STEPS:,}], got {steps}")
    if noise < 0 or wander < 0:
        raise ValueError(f"noise and wander must be >= 0, got {noise} and {wander}")
    rng = np.random.default_rng(seed)
    margin = int(2 * RATE)  # a beat before the start shapes its first steps too
    bpm = heart_rate(steps + 2 * margin, rng)
    beats_done = np.cumsum(bpm / 60.0 / RATE)  # beats elapsed at each step
    beats_done += rng.uniform(0, 1)  # a random phase at the start
    peaks = np.flatnonzero(np.diff(np.floor(beats_done)) > 0) + 1  # R peaks (step indices)
    t = np.arange(len(bpm)) / RATE
    values = np.zeros(len(bpm))
    for k, peak in enumerate(peaks):
        rr = 60.0 / bpm[peak]
        for name, offset, amplitude, width in WAVES:
            scale = math.sqrt(rr) if name == "T" else rr**0.25 if name == "P" else 1.0
            centre = t[peak] + offset * scale
            lo = max(0, int((centre - 5 * width) * RATE))
            hi = min(len(t), int((centre + 5 * width) * RATE) + 2)
            values[lo:hi] += amplitude * np.exp(-0.5 * ((t[lo:hi] - centre) / width) ** 2)
        del k
    phase = np.full(len(bpm), np.nan)
    for a, b in zip(peaks[:-1], peaks[1:], strict=True):
        phase[a:b] = np.arange(b - a) / (b - a)
    phase = np.nan_to_num(phase, nan=0.0)
    f1, f2 = rng.uniform(0.15, 0.3), rng.uniform(0.05, 0.1)
    p1, p2 = rng.uniform(0, 2 * math.pi, size=2)
    values += wander * (np.sin(2 * math.pi * f1 * t + p1) + 0.5 * np.sin(2 * math.pi * f2 * t + p2))
    values += noise * rng.standard_normal(len(t))
    cut = slice(margin, margin + steps)
    return values[cut].astype(np.float32), phase[cut].astype(np.float32)


# ---- anomalies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """An injected anomaly: steps [start, stop) of the signal."""

    kind: str  # one of ANOMALY_KINDS
    start: int
    stop: int


def inject_anomalies(
    values: np.ndarray,
    kinds: Sequence[str] = ANOMALY_KINDS,
    per_kind: int = 4,
    seed: int = 0,
    gap: float = 4.0,
) -> tuple[np.ndarray, list[Event]]:
    """A copy of ``values`` [N] with ``per_kind`` anomalies of each kind, at random places at
    least ``gap`` seconds apart, and the events (sorted by start).

    Kinds (sizes drawn at random per event, in seconds at RATE):
      flat_line        the signal held at its value for 1.2-2 s (a lead falling off; longer
                       than any R-R interval, so a beat is always lost)
      spike            one step jumps by 1.0-2.0 (either sign): an electrical artefact
      missing_beat     one R-R interval's P-QRS-T replaced by the baseline (a dropped beat)
      noise_burst      0.5-1.2 s of added noise, std 0.15-0.3 (muscle artefact)
      amplitude_change 1.5-3 s with the beat's deviation from the local baseline scaled by
                       0.3-0.5 or 1.8-2.5
    ValueError for an unknown kind or a signal too short for the events.
    """
    unknown = [k for k in kinds if k not in ANOMALY_KINDS]
    if unknown:
        raise ValueError(f"unknown anomaly kind(s) {unknown}; known: {', '.join(ANOMALY_KINDS)}")
    rng = np.random.default_rng(seed)
    out = np.asarray(values, dtype=np.float32).copy()
    n = len(out)
    slot = int(gap * RATE)
    count = per_kind * len(kinds)
    slots = (n - slot) // slot
    if slots < count:
        raise ValueError(
            f"{count} anomalies {gap} s apart need at least {(count + 1) * slot:,} steps; "
            f"the signal has {n:,}"
        )
    chosen = np.sort(rng.choice(slots, size=count, replace=False))
    order = rng.permutation([k for k in kinds for _ in range(per_kind)])
    events = []
    for where, kind in zip(chosen, order, strict=True):
        start = int(slot // 2 + where * slot + rng.integers(0, slot // 4))
        events.append(_inject(out, str(kind), start, rng))
    return out, sorted(events, key=lambda e: e.start)


def _baseline(values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """A local baseline over [start, stop): the median of a 1.2 s neighbourhood of each step."""
    half = int(0.6 * RATE)
    return np.array(
        [np.median(values[max(0, i - half) : i + half + 1]) for i in range(start, stop)],
        dtype=np.float32,
    )


def _inject(out: np.ndarray, kind: str, start: int, rng: np.random.Generator) -> Event:
    n = len(out)
    if kind == "flat_line":
        stop = min(n, start + int(rng.uniform(1.2, 2.0) * RATE))
        out[start:stop] = out[start]
    elif kind == "spike":
        stop = start + 1
        out[start] += rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 2.0)
    elif kind == "missing_beat":
        # from just after one R peak's T wave to just before the next-but-one P wave: the
        # R peak in between is gone
        peak = start + int(np.argmax(out[start : start + int(1.2 * RATE)]))
        start, stop = peak - int(0.3 * RATE), min(n, peak + int(0.45 * RATE))
        out[start:stop] = _baseline(out, start, stop)
    elif kind == "noise_burst":
        stop = min(n, start + int(rng.uniform(0.5, 1.2) * RATE))
        out[start:stop] += rng.uniform(0.15, 0.3) * rng.standard_normal(stop - start)
    else:  # amplitude_change
        stop = min(n, start + int(rng.uniform(1.5, 3.0) * RATE))
        factor = rng.uniform(0.3, 0.5) if rng.random() < 0.5 else rng.uniform(1.8, 2.5)
        base = _baseline(out, start, stop)
        out[start:stop] = base + factor * (out[start:stop] - base)
    return Event(kind, int(start), int(stop))


# ---- the forecasting task ----------------------------------------------------------------------


def ecg_windows(values: np.ndarray, window: int, stride: int) -> torch.Tensor:
    """Overlapping windows [W, window] of a signal [N], one every ``stride`` steps."""
    x = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
    return x.unfold(0, window, stride).contiguous()


class EcgTask(Task):
    """Forecast the next value of an ECG-like signal (see the module docstring).

    Train and validation come from different seeds (``seed`` and ``seed + 1``): validation is
    another recording. Hidden variable: the beat phase in [0, 1).
    """

    def __init__(
        self,
        length: int = 128,
        train_seconds: int = 600,
        validation_seconds: int = 120,
        noise: float = 0.02,
        seed: int = 0,
    ) -> None:
        super().__init__(
            name="ecg",
            title="ECG-like signal",
            description=f"Predict the next value of a generated ECG ({RATE:.0f} Hz, heart rate "
            f"{MIN_BPM:.0f}-{MAX_BPM:.0f} bpm). To forecast a QRS complex the network must "
            "track the beat's phase.",
            objective="step_value",
            num_outputs=1,
            vocab=None,
            input_size=1,
            hidden_variable="phase",
            metric="mse",
            seed=seed,
            params={
                "length": length,
                "train_seconds": train_seconds,
                "validation_seconds": validation_seconds,
                "noise": noise,
                "seed": seed,
            },
        )
        self._splits = {}
        for split, seconds, offset in (
            ("train", train_seconds, 0),
            ("validation", validation_seconds, 1),
        ):
            values, phase = ecg_signal(int(seconds * RATE) + 1, seed + offset, noise=noise)
            stride = max(1, length // 2)
            rows = ecg_windows(values, length + 1, stride)  # [W, length + 1]
            phases = ecg_windows(phase, length + 1, stride)[:, :-1]  # [W, length]
            self._splits[split] = list(zip(rows, phases, strict=True))

    def sequences(self, split) -> Sequence[tuple[torch.Tensor, torch.Tensor]]:
        """(values [length + 1], phase [length]) per window."""
        return self._splits[split]

    def collate(self, examples) -> Batch:
        return collate_values([v for v, _ in examples], [p for _, p in examples])

    def sample(self) -> torch.Tensor:
        """[length, 1]: the inputs of the first validation window."""
        return self._splits["validation"][0][0][:-1, None]


ecg_task = EcgTask  # the factory is the class: defaults written once, in __init__
