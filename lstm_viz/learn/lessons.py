"""Exercises with checks: which unit tracks a task's hidden variable, and the playground's gate.

    r = unit_correlations(checkpoint.model, task)        # [layer, direction, unit] Pearson r
    feedback = check_tracking_unit(r, layer=0, unit=3)   # right or wrong, and a hint

``unit_correlations`` records the model on the task's validation sequences and correlates every
unit's cell state (or any recorded quantity) with the task's known hidden variable (bracket
depth, subject number, ...) over every real step. No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lstm_viz.analysis.corpus import record_corpus
from lstm_viz.analysis.finder import correlation_matrix
from lstm_viz.tasks.base import Task

TRACKING_THRESHOLD = 0.8  # |r| a unit needs to count as tracking the variable


def hidden_values(
    model: torch.nn.Module,
    task: Task,
    quantity: str = "cell",
    split: str = "validation",
    max_examples: int = 500,
    batch_size: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Every real step of the first ``max_examples`` sequences of ``split``:
    (values [layer, direction, steps, unit] of ``quantity``, hidden variable [steps]), float64.
    The recording is ``lstm_viz.analysis.record_corpus``'s."""
    if task.hidden_variable is None:
        raise ValueError(f"the task {task.name!r} has no known hidden variable to compare with")
    examples = list(task.sequences(split))[:max_examples]
    if not examples:
        raise ValueError(f"the task's {split} split is empty")
    steps = int(task.collate(examples).lengths.sum())  # exactly these sequences
    corpus = record_corpus(model, task, split=split, max_steps=steps, batch_size=batch_size)
    if quantity not in corpus.trace.names:
        raise ValueError(
            f"a {corpus.trace.kind} records {', '.join(corpus.trace.names)}, not {quantity!r}"
        )
    mask = np.isfinite(corpus.hidden)  # [B, T]: real steps (NaN on padding)
    values = corpus.trace[quantity].numpy()[:, :, mask]  # [L, D, steps, U]
    return values.astype(np.float64), corpus.hidden[mask].astype(np.float64)


def correlations(values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson r of every unit with ``target``: values [..., steps, unit], target [steps] ->
    [..., unit]; 0 where a unit (or the target) is constant. (The unit finder's computation.)"""
    lead, (steps, units) = values.shape[:-2], values.shape[-2:]
    flat = np.moveaxis(values.reshape(-1, steps, units), 1, 0).reshape(steps, -1)  # [steps, *U]
    r = correlation_matrix(flat, np.asarray(target)[:, None])[:, 0]
    return np.clip(np.nan_to_num(r), -1.0, 1.0).reshape(*lead, units)


def unit_correlations(
    model: torch.nn.Module, task: Task, quantity: str = "cell", max_examples: int = 500
) -> np.ndarray:
    """[layer, direction, unit]: Pearson r of each unit's ``quantity`` with the task's hidden
    variable over the real steps of its validation sequences."""
    values, target = hidden_values(model, task, quantity, max_examples=max_examples)
    return correlations(values, target)


@dataclass(frozen=True)
class Feedback:
    """The answer to an exercise: right or not, the number behind it, and what to say."""

    correct: bool
    value: float  # the measured number (r, or the kept fraction)
    message: str  # markdown, for the student
    best: tuple[int, int, int] | None = None  # (layer, direction, unit) of the best answer
    best_value: float | None = None


def check_tracking_unit(
    r: np.ndarray,
    layer: int,
    unit: int,
    direction: int = 0,
    threshold: float = TRACKING_THRESHOLD,
    variable: str = "the depth",
    state: str = "cell",
) -> Feedback:
    """Does the picked unit track the hidden variable (|r| >= threshold)? ``r`` from
    :func:`unit_correlations`; ``state``: what was correlated ("cell", or "hidden state" for a
    GRU or RNN). Wrong answers get a hint that does not give the unit away."""
    layers, directions, units = r.shape
    if not (0 <= layer < layers and 0 <= direction < directions and 0 <= unit < units):
        raise ValueError(f"no unit {unit} in layer {layer} (the model has {layers} x {units})")
    value = float(r[layer, direction, unit])
    flat = int(np.argmax(np.abs(r)))
    best = tuple(int(i) for i in np.unravel_index(flat, r.shape))
    best_value = float(r[best])
    sign = "rises" if value > 0 else "falls"
    if abs(value) >= threshold:
        message = (
            f"✅ **Yes!** Unit {unit} of layer {layer} has r = {value:+.2f} with {variable}: its "
            f"{state} {sign} as {variable} rises. The network built itself a counter."
        )
        if abs(best_value) > abs(value) + 0.005:
            message += f" (The strongest one has |r| = {abs(best_value):.2f}: can you find it?)"
        return Feedback(True, value, message, best, best_value)
    if abs(best_value) < threshold:
        message = (
            f"❌ Unit {unit} of layer {layer} has r = {value:+.2f}. No unit of this model reaches "
            f"|r| ≥ {threshold:.1f} (the best has {abs(best_value):.2f}): it may need more "
            "training, or it spreads the count over several units."
        )
        return Feedback(False, value, message, best, best_value)
    passing = np.abs(r) >= threshold  # [layer, direction, unit]
    total, here = int(passing.sum()), int(passing[layer].sum())
    where = (
        f"{here} of the {directions * units} units of layer {layer} pass"
        if here
        else f"none of layer {layer}'s units pass; {total} in other layers do"
    )
    if here and total > here:
        where += f" ({total} in the whole model)"
    closeness = "close, but" if abs(value) >= threshold / 2 else "not quite:"
    message = (
        f"❌ {closeness.capitalize()} unit {unit} of layer {layer} has r = {value:+.2f} "
        f"(|r| must be at least {threshold:.1f}). Hint: {where}. Look for a row "
        f"whose {state} heatmap steps with every opening bracket and back with every "
        "closing one (darker or lighter: r can be negative)."
    )
    return Feedback(False, value, message, best, best_value)


def check_keeps_memory(forget_gate: float, target: float = 0.9) -> Feedback:
    """The playground exercise: is the forget gate at least ``target``, so the cell keeps at
    least that fraction of its old memory?"""
    if forget_gate >= target:
        return Feedback(
            True,
            forget_gate,
            f"✅ **Yes!** The forget gate is {forget_gate:.3f}: the cell keeps "
            f"{100 * forget_gate:.1f}% of its memory. A large forget bias does this for any input.",
        )
    return Feedback(
        False,
        forget_gate,
        f"❌ The forget gate is {forget_gate:.3f}: the cell keeps only {100 * forget_gate:.1f}% "
        f"of its memory. Hint: f = sigmoid(w·x + u·h_prev + b) passes {target:.0%} when what is "
        f"inside the sigmoid is above {np.log(target / (1 - target)):.1f}.",
    )
