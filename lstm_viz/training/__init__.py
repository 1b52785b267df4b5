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
    model_config_for,
)

__all__ = [
    "Callbacks",
    "Evaluation",
    "Progress",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "model_config_for",
]
