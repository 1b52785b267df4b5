"""Training: the Trainer (reports through Callbacks, knows nothing of the UI) and its settings.

trainer.py  TrainConfig, Trainer, Callbacks, Progress, Evaluation, model_config_for
run.py      build_run (task + model + TrainConfig + checkpoint folder), checkpoint_name
"""

from lstm_viz.training.run import Run, build_run, checkpoint_name
from lstm_viz.training.trainer import (
    Callbacks,
    Evaluation,
    Progress,
    TrainConfig,
    Trainer,
    TrainResult,
    loss_and_score,
    model_config_for,
)

__all__ = [
    "Callbacks",
    "Evaluation",
    "Progress",
    "Run",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "build_run",
    "checkpoint_name",
    "loss_and_score",
    "model_config_for",
]
