"""The cards' gate-saturation sentence (Karpathy, Johnson & Fei-Fei 2015, figure 3): per layer,
how many forget gates are mostly open or mostly shut; measured, written and read back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_viz.models.checkpoints import Checkpoint
from lstm_viz.pretrained.recipes import CARD, MAX_CARD_CHARS
from lstm_viz.tasks.base import Task

SATURATION_STEPS = 2_000  # validation steps the cards' saturation sentence is measured on
SATURATED_MOST = 0.5  # a unit "mostly" saturated: on more than half of the steps


@dataclass(frozen=True)
class SaturationFinding:
    """Per layer, how many units' forget gates are right-saturated (> 0.9) and left-saturated
    (< 0.1) on more than half of ``steps`` validation steps, of ``units`` per layer."""

    steps: int
    units: int
    right: tuple[int, ...]
    left: tuple[int, ...]

    def sentence(self) -> str:
        per_layer = "; ".join(
            f"layer {k}: {r} open, {lf} shut"
            for k, (r, lf) in enumerate(zip(self.right, self.left, strict=True))
        )
        most = int(np.argmax(self.right))
        finding = (
            f"layer {most} has the most right-saturated forget gates"
            if list(self.right).count(max(self.right)) == 1
            else "no layer has more right-saturated forget gates than another"
        )
        return (
            f"forget gates of the {self.units} units mostly open (> 0.9 on more than half of "
            f"{self.steps:,} validation steps) or mostly shut (< 0.1): {per_layer}; {finding}"
        )


def saturation_finding(
    checkpoint: Checkpoint, task: Task | None = None, steps: int = SATURATION_STEPS
) -> SaturationFinding:
    """Measure the cards' saturation sentence (lstm_viz.analysis.saturation over the first
    ``steps`` validation steps). ValueError for a model without forget gates."""
    from lstm_viz.analysis.corpus import record_corpus
    from lstm_viz.analysis.saturation import saturation

    if task is None:
        from lstm_viz.pretrained.cards import task_of

        task = task_of(checkpoint)
    corpus = record_corpus(checkpoint.model, task, max_steps=steps)
    table = saturation(corpus.trace)
    forget = table[(table["gate"] == "forget_gate") & (table["direction"] == 0)]
    if forget.empty:
        raise ValueError("the model has no forget gates")
    layers = sorted(forget["layer"].unique())
    by = [forget[forget["layer"] == k] for k in layers]
    return SaturationFinding(
        steps=int(table["steps"].iloc[0]),
        units=len(by[0]),
        right=tuple(int((part["right"] > SATURATED_MOST).sum()) for part in by),
        left=tuple(int((part["left"] > SATURATED_MOST).sum()) for part in by),
    )


_SATURATION_LINE = re.compile(r"Gate saturation \(Karpathy et al\. 2015\): (.*?)\. Analyze")


def read_saturation(path: str | Path) -> str | None:
    """The saturation sentence a card states, or None."""
    text = (Path(path) / CARD).read_text(encoding="utf-8")[:MAX_CARD_CHARS]
    found = _SATURATION_LINE.search(" ".join(text.split()))
    return found.group(1) if found else None
