"""Training: the Trainer (reports through Callbacks, knows nothing of the UI) and its settings.

trainer.py  TrainConfig, Trainer, Callbacks, Progress, Evaluation, model_config_for
"""

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
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "loss_and_score",
    "model_config_for",
]
