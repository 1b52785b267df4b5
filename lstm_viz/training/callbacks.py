"""What the Trainer reports, and how a caller listens: named callbacks (the Trainer knows nothing
of the UI: the Train page, the CLI and the shipped-model build each pass their own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lstm_viz.models.sequence import SequenceModel


@dataclass
class Progress:
    """Reported after every training step."""

    step: int
    total_steps: int
    epoch: int
    loss: float  # this step's training loss
    elapsed: float  # seconds since training started, validation runs included
    tokens_per_second: float  # real (unpadded) steps trained on per second (validation excluded)

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / max(1, self.total_steps))

    @property
    def eta_seconds(self) -> float:
        return self.elapsed / max(self.step, 1) * max(self.total_steps - self.step, 0)


@dataclass
class Evaluation:
    """Reported after every validation run."""

    step: int
    epoch: float
    train_loss: float  # mean training loss since the previous evaluation
    val_loss: float
    val_metric: float
    metric: str  # "accuracy", "bits_per_token" or "mse"
    best: bool  # the best validation metric so far (the checkpoint was saved)


@dataclass
class Callbacks:
    on_progress: Callable[[Progress], None] | None = None
    on_evaluation: Callable[[Evaluation], None] | None = None
    should_stop: Callable[[], bool] | None = None  # polled every step: True cancels


@dataclass
class TrainResult:
    model: SequenceModel  # with the best weights seen on validation
    history: list[Evaluation] = field(default_factory=list)
    best_metric: float | None = None
    stopped: str = "finished"  # "finished", "early stopping", "target reached", "time", "cancelled"
    steps: int = 0
    seconds: float = 0.0  # wall time, validation runs included
    eval_seconds: float = 0.0  # of which validation runs
    tokens_per_second: float = 0.0  # real steps trained on per second of training (no validation)
    checkpoint: Path | None = None
