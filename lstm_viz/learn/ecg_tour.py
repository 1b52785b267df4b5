"""A guided tour of the shipped ECG autoencoder: where its reconstruction fails, and what the
forget gates did there. Every number is measured from the model's own scores and recording
(lstm_viz.analysis.anomaly), so the tour tells the truth about the model it runs on.

    scores = score_series(model, values, anomaly)
    stops = ecg_tour(scores, record_tiled(model, values), events)

No streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lstm_viz.analysis.anomaly import Scores, Tiled

ECG_MODEL = "shipped/ecg-autoencoder-lstm"
ECG_SEED, ECG_SECONDS = 7, 30  # the input Explore's anomaly view opens on (one event per kind)
KIND_NAMES = {
    "flat_line": "flat line",
    "spike": "spike",
    "missing_beat": "missing beat",
    "noise_burst": "noise burst",
    "amplitude_change": "amplitude change",
}


@dataclass(frozen=True)
class EcgStop:
    """One stop: a title, a Markdown text with measured numbers, and the step to mark."""

    title: str
    text: str
    selected: int


@dataclass(frozen=True)
class EventFigures:
    kind: str
    start: int
    stop: int
    peak: int  # the step of the largest error inside the event
    max_error: float
    found: bool


def event_figures(scores: Scores, events: Sequence[tuple[str, int, int]]) -> list[EventFigures]:
    """Per injected event (kind, start, stop): its largest error, where, and whether flagged."""
    out = []
    for kind, start, stop in events:
        error = scores.error[start:stop]
        peak = start + int(np.argmax(error))
        found = bool(scores.anomaly[start:stop].any())
        out.append(EventFigures(kind, start, stop, peak, float(error.max()), found))
    return out


def normal_mask(steps: int, events: Sequence[tuple[str, int, int]]) -> np.ndarray:
    """bool [steps]: True outside every event."""
    mask = np.ones(steps, dtype=bool)
    for _, start, stop in events:
        mask[start:stop] = False
    return mask


def forget_change(tiled: Tiled, part: str, event: EventFigures, normal: np.ndarray):
    """(mean forget gate over units and the event's steps, the same over normal steps, the unit
    whose mean changes most, its mean inside, its mean on normal steps) of ``part``."""
    grid = tiled.grid(part, "forget_gate")  # [unit, step]
    inside = grid[:, event.start : event.stop].mean(1)  # [unit]
    outside = grid[:, normal].mean(1)
    unit = int(np.argmax(np.abs(inside - outside)))
    return (
        float(inside.mean()),
        float(outside.mean()),
        unit,
        float(inside[unit]),
        float(outside[unit]),
    )


def ecg_tour(scores: Scores, tiled: Tiled, events: Sequence[tuple[str, int, int]]) -> list[EcgStop]:
    """The stops, for a scored series with injected events (kind, start, stop). ValueError when
    there are no events."""
    if not events:
        raise ValueError("the tour needs a signal with injected anomalies")
    figures = event_figures(scores, events)
    normal = normal_mask(len(scores.value), events)
    rate = 50.0
    normal_error = float(scores.error[normal].mean())
    normal_flagged = int(scores.anomaly[normal].sum())
    quiet = int(np.argmin(np.where(normal, scores.error, np.inf)))
    stops = [
        EcgStop(
            "Normal beats come back",
            f"The autoencoder reads {scores.window}-step windows ({scores.window / rate:.2f} s) "
            f"and rebuilds each one from its encoder's final state. On the "
            f"{int(normal.sum()):,} normal steps of this {len(scores.value) / rate:.0f} s signal "
            f"its error is {normal_error:.3f} on average, against a threshold of "
            f"{scores.threshold:.3f}; {normal_flagged} of them "
            f"({normal_flagged / max(1, int(normal.sum())):.1%}) cross it.",
            quiet,
        )
    ]
    found = sum(f.found for f in figures)
    lines = "; ".join(
        f"{KIND_NAMES.get(f.kind, f.kind)} at {f.start / rate:.1f} s: largest error "
        f"{f.max_error:.3f} ({'flagged' if f.found else 'missed'})"
        for f in figures
    )
    worst = max(figures, key=lambda f: f.max_error)
    stops.append(
        EcgStop(
            "Where the reconstruction fails",
            f"{found} of {len(figures)} injected anomalies are flagged: {lines}. The largest "
            f"error, {worst.max_error:.3f}, is {worst.max_error / scores.threshold:.1f} times the "
            f"threshold, in the {KIND_NAMES.get(worst.kind, worst.kind)}.",
            worst.peak,
        )
    )
    missing = next((f for f in figures if f.kind == "missing_beat"), None)
    if missing is not None:
        span = slice(missing.start, missing.stop)
        drawn = float(scores.reconstruction[span].max() - np.median(scores.value[span]))
        seen = float(scores.value[span].max() - np.median(scores.value[span]))
        stops.append(
            EcgStop(
                "The beat that did not come",
                f"Between {missing.start / rate:.1f} s and {missing.stop / rate:.1f} s a beat is "
                f"missing: the input rises at most {seen:.3f} above its median there, but the "
                f"reconstruction rises {drawn:.3f}. "
                + (
                    "The model expected a beat here: the error where it should be is "
                    f"{missing.max_error:.3f}, over the threshold."
                    if missing.found
                    else "The reconstruction stays close to the quiet input: the error where "
                    f"the beat should be is {missing.max_error:.3f}, under the threshold, so "
                    "this model does not notice."
                ),
                missing.peak,
            )
        )
    enc = forget_change(tiled, "encoder", worst, normal)
    dec = forget_change(tiled, "decoder", worst, normal)
    stops.append(
        EcgStop(
            "What the forget gates did",
            f"Inside the {KIND_NAMES.get(worst.kind, worst.kind)} the encoder's forget gates "
            f"average {enc[0]:.3f} (normal steps: {enc[1]:.3f}); its unit {enc[2]} changes most, "
            f"{enc[4]:.3f} → {enc[3]:.3f}. The decoder's average {dec[0]:.3f} (normal: "
            f"{dec[1]:.3f}); its unit {dec[2]} changes most, {dec[4]:.3f} → {dec[3]:.3f}. A "
            "forget gate near 1 keeps the cell's memory; a lower one lets the window's odd part "
            "rewrite it.",
            worst.peak,
        )
    )
    return stops
