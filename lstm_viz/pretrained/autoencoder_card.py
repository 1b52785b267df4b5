"""The LSTM autoencoder's card: its detection figures on anomalies injected into held-out
normal signal (measured by the build and by ``python -m lstm_viz.pretrained check``), written and
read back. Split from lstm_viz.pretrained.cards (the sequence models' cards)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_viz.pretrained.recipes import CARD, MAX_CARD_CHARS

# ---- LSTM autoencoders (issue 18) ---------------------------------------------------------------


@dataclass(frozen=True)
class AnomalyFigures:
    """What an autoencoder's card states, measured by the build and re-measured by check."""

    validation_mse: float  # reconstruction, per step, on the normal validation signal
    threshold: float
    detected: int
    events: int
    by_kind: dict[str, tuple[int, int]]
    false_positives: int
    normal_steps: int

    @property
    def detection_rate(self) -> float:
        return self.detected / self.events

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.normal_steps


def measure_autoencoder(autoencoder, recipe) -> AnomalyFigures:
    """Reconstruction error on the normal validation signal and detection on the held-out signal
    with injected anomalies (``lstm_viz.analysis.anomaly``), from the folder's files alone."""
    from lstm_viz.analysis.anomaly import detection, score_series
    from lstm_viz.tasks.ecg import RATE, ecg_signal, ecg_windows, inject_anomalies
    from lstm_viz.training.autoencoder import reconstruction_mse

    model = autoencoder.model
    validation, _ = ecg_signal(int(recipe.validation_seconds * RATE), recipe.seed + 1)
    windows = ecg_windows(validation, recipe.window, max(1, recipe.window // 2))
    mse = reconstruction_mse(model, windows)
    test, _ = ecg_signal(int(recipe.test_seconds * RATE), recipe.seed + 2)
    broken, events = inject_anomalies(test, per_kind=recipe.per_kind, seed=recipe.anomaly_seed)
    scores = score_series(model, broken, autoencoder.anomaly)
    found = detection(scores.anomaly, events)
    return AnomalyFigures(
        mse,
        scores.threshold,
        found.detected,
        found.events,
        found.by_kind,
        found.false_positives,
        found.normal_steps,
    )


def autoencoder_card(recipe, figures: AnomalyFigures, anomaly: dict, built: dict) -> str:
    """The model card (README.md) of a built autoencoder."""
    r, f = recipe, figures
    kinds = ", ".join(f"{k} {d}/{n}" for k, (d, n) in f.by_kind.items())
    feedback = {
        "repeat": "the encoder's final hidden state at every step (Keras' LSTM -> RepeatVector "
        "-> LSTM -> TimeDistributed(Dense) layout)",
        "signal": "the true value of the position decoded before",
        "output": "its own previous output",
    }[r.feedback]
    return f"""# {r.name}

{r.title}.

- Task: the generated ECG-like signal of `lstm_viz.tasks.ecg` (50 Hz; P, QRS and T waves; heart \
rate drifting 55-100 bpm; baseline wander; noise). Nothing is downloaded.
- Data: {r.train_seconds} s of normal signal to train (seed {r.seed}), {r.validation_seconds} s \
to validate and calibrate (seed {r.seed + 1}), {r.test_seconds} s held out (seed {r.seed + 2}) \
with {r.per_kind} anomalies of each kind injected (seed {r.anomaly_seed}).
- Model: LSTM autoencoder on windows of {r.window} steps: encoder LSTM of {r.hidden_size} units; \
its final state starts a decoder LSTM of {r.hidden_size} units that reconstructs the window \
{"last step first (reversed, as EncDec-AD)" if r.reverse else "first step first"}, reading \
{feedback}; a linear head. {built["parameters"]:,} parameters; model.safetensors is \
{built["bytes"] / 1024:,.0f} KiB.
- Training: {r.epochs} epochs, batch {r.batch_size}, AdamW at {r.learning_rate} (cosine), seed \
{r.seed}; {built["steps"]:,} steps in {built["seconds"]:.0f} s on a 2-core CPU (build: \
{built["build_seconds"]:.0f} s in all); the best validation epoch is kept.
- Reconstruction error (`validation_mse`): {f.validation_mse:.5f} per step on normal validation \
windows (the signal's own units; its variance is about 0.06).
- Anomaly rule: a step is anomalous when its reconstruction error exceeds the threshold \
{f.threshold:.4f} ({anomaly["margin"]} x the {anomaly["quantile"] * 100:g}th percentile of the \
per-step errors on the normal validation signal). Windows of {r.window} steps start every \
{anomaly["stride"]} steps; {_combine_sentence(anomaly.get("combine", "min"))}
- Detection (held-out signal, `detection`): {f.detected}/{f.events} injected events found \
({f.detection_rate:.1%}; {kinds}); false positives: {f.false_positives:,} of {f.normal_steps:,} \
normal steps ({f.false_positive_rate:.2%}). An event counts when a flagged step falls inside it.
{_misses(r, f)}
## What to look at

{r.about} Score your own signal:

    python -m lstm_viz sample --task ecg --steps 5000 --seed 7 --out ecg.csv
    python -m lstm_viz anomalies --model pretrained/{r.name} --input ecg.csv --out scores.csv

Re-measure: `python -m lstm_viz.pretrained check {r.name}`. Rebuild (deterministic): \
`python -m lstm_viz.pretrained build {r.name}`.
"""


def _combine_sentence(combine: str) -> str:
    if combine == "mean":
        return (
            "a step's error is the mean of the errors the windows covering it give it (a window "
            "that reconstructs a beat where none came raises the whole gap)."
        )
    return "each step keeps the smallest error of the windows that cover it."


def _misses(recipe, figures: AnomalyFigures) -> str:
    """A line naming the kinds found in fewer than 9 of 10 events, and why, if known."""
    weak = [f"{k} {d}/{n}" for k, (d, n) in figures.by_kind.items() if d < 0.9 * n]
    if not weak:
        return ""
    why = (
        " The decoder reads the true value decoded before it, so a quiet stretch where a beat "
        "should come (a missing beat, a flat line between beats) is reconstructed as quiet: "
        "nothing local announces a beat that does not come."
        if recipe.feedback == "signal" and recipe.lag <= 15
        else ""
    )
    return f"- Misses: {', '.join(weak)}.{why}\n"


_AE_LINES = {
    "validation_mse": re.compile(r"Reconstruction error \(`validation_mse`\): ([\d.]+)"),
    "detection": re.compile(
        r"Detection \(held-out signal, `detection`\): (\d+)/(\d+) .*?false positives: "
        r"([\d,]+) of ([\d,]+)",
        re.S,
    ),
}


def read_autoencoder_card(path: str | Path) -> dict[str, Any]:
    """{"validation_mse", "detected", "events", "false_positives", "normal_steps"} as an
    autoencoder's card states them; ValueError if it does not."""
    try:
        text = (Path(path) / CARD).read_text(encoding="utf-8")[:MAX_CARD_CHARS]
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}/{CARD} cannot be read ({error})") from None
    mse, found = _AE_LINES["validation_mse"].search(text), _AE_LINES["detection"].search(text)
    if not mse or not found:
        raise ValueError(f"{path}/{CARD} states no reconstruction error or no detection figures")
    detected, events, fp, normal = (int(g.replace(",", "")) for g in found.groups())
    return {
        "validation_mse": float(mse.group(1)),
        "detected": detected,
        "events": events,
        "false_positives": fp,
        "normal_steps": normal,
    }
