"""Tiny time-series models for tests: a random LSTM autoencoder with a calibrated threshold, and
a random one-number forecaster (seeded: the same weights every run)."""

from __future__ import annotations

from pathlib import Path

import torch

from lstm_viz.analysis.anomaly import calibrate
from lstm_viz.models.autoencoder import (
    Autoencoder,
    AutoencoderConfig,
    LSTMAutoencoder,
    save_autoencoder,
)
from lstm_viz.models.checkpoints import save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.tasks.ecg import ecg_signal


def save_autoencoder_folder(path: Path, hidden: int = 6, window: int = 32) -> Path:
    torch.manual_seed(0)
    values, _ = ecg_signal(1000, seed=1)
    config = AutoencoderConfig(
        hidden_size=hidden, window=window, mean=float(values.mean()), std=float(values.std())
    )
    model = LSTMAutoencoder(config).eval()
    anomaly = calibrate(model, values, margin=0.8)  # a random model: flag some steps
    return save_autoencoder(path, Autoencoder(path, model, anomaly, {"task": {"name": "ecg"}}))


def save_forecaster(path: Path, hidden: int = 5) -> Path:
    torch.manual_seed(0)
    config = ModelConfig(
        input_size=1, embedding_size=4, hidden_size=hidden, objective="step_value", num_outputs=1
    )
    task = {"name": "sines", "title": "Noisy sums of sines", "params": {"length": 20}}
    return save_checkpoint(path, SequenceModel(config).eval(), None, {"task": task})
