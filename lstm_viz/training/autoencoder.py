"""Training an LSTM autoencoder on windows of normal signal (fixed seed and epochs: deterministic).

    result = train_autoencoder(train_values, validation_values, AutoencoderConfig(...), epochs=8)
    result.model, result.validation_mse, result.seconds

The loss is the mean squared reconstruction error of normalized windows; the decoder runs on its
own outputs while training too, as it does when scoring (no teacher forcing), so what it learns
is what it will do. The best validation epoch's weights are kept.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from lstm_viz.models.autoencoder import AutoencoderConfig, LSTMAutoencoder
from lstm_viz.tasks.ecg import ecg_windows
from lstm_viz.training.randomness import seeded


@dataclass
class AutoencoderResult:
    model: LSTMAutoencoder
    validation_mse: float  # mean squared error per step, in the signal's units
    steps: int
    seconds: float


@torch.no_grad()
def reconstruction_mse(model: LSTMAutoencoder, windows: torch.Tensor) -> float:
    """Mean squared reconstruction error per step of windows [B, T] in the signal's units."""
    total, count = 0.0, 0
    for lo in range(0, len(windows), 512):
        w = windows[lo : lo + 512]
        total += float(((model.reconstruct(w) - w) ** 2).sum())
        count += w.numel()
    return total / count


def train_autoencoder(
    train_values: np.ndarray,
    validation_values: np.ndarray,
    config: AutoencoderConfig,
    *,
    epochs: int = 8,
    batch_size: int = 64,
    learning_rate: float = 5e-3,
    stride: int | None = None,
    seed: int = 0,
    on_progress: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> AutoencoderResult:
    """Train on windows of ``train_values`` [N] (every ``stride`` steps, default window // 4);
    validate on windows of ``validation_values``. The config's mean and std are replaced by the
    training signal's. on_progress(step, total_steps, loss); should_stop() ends training early
    (the best weights so far are kept). ValueError for a signal shorter than two windows."""
    window = config.window
    stride = stride or max(1, window // 4)
    for name, values in (("training", train_values), ("validation", validation_values)):
        if len(values) < 2 * window:
            raise ValueError(
                f"the {name} signal has {len(values)} steps; at least {2 * window} are needed"
            )
    mean, std = float(np.mean(train_values)), float(np.std(train_values))
    if not std > 0:
        raise ValueError("the training signal does not vary (standard deviation 0)")
    config = replace(config, mean=mean, std=std)
    with seeded(seed):  # randomness.py: a server's sessions share torch's generator
        model = LSTMAutoencoder(config)
    train = ecg_windows(train_values, window, stride)  # [W, T]
    validation = ecg_windows(validation_values, window, max(1, window // 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    per_epoch = math.ceil(len(train) / batch_size)
    total = epochs * per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    generator = torch.Generator().manual_seed(seed)
    best, best_state, step, start = math.inf, None, 0, time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=generator)
        for lo in range(0, len(train), batch_size):
            x = model.normalize(train[order[lo : lo + batch_size]])[..., None]  # [B, T, 1]
            loss = torch.nn.functional.mse_loss(model(x), x)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if on_progress is not None:
                on_progress(step, total, loss.item())
            if should_stop is not None and should_stop():
                break
        model.eval()
        mse = reconstruction_mse(model, validation)
        if mse < best:
            best, best_state = mse, copy.deepcopy(model.state_dict())
        if should_stop is not None and should_stop():
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return AutoencoderResult(model.eval(), best, step, time.perf_counter() - start)


SIGNAL_SOURCES = ("ecg", "sines", "csv")


def training_signals(
    source: str,
    *,
    seconds: float = 300.0,
    seed: int = 0,
    data: str | bytes | None = None,
    column: str | None = None,
    validation_fraction: float = 0.2,
) -> tuple[np.ndarray, np.ndarray]:
    """(train [N], validation [M]) normal signal for ``train_autoencoder``, float32.

    source "ecg": ``seconds`` of lstm_viz.tasks.ecg's signal (seed) and a fifth as much to
    validate (seed + 1); "sines": the same number of steps of a noisy sum of three sines (periods
    8-40 steps, noise 0.1; validation continues the same waves); "csv": ``column`` of the CSV
    text ``data``, its last ``validation_fraction`` validating. ValueError (what to fix) for an
    unknown source or an unreadable CSV column."""
    from lstm_viz.tasks.ecg import RATE, ecg_signal

    if source not in SIGNAL_SOURCES:
        raise ValueError(f"unknown signal source {source!r}; choose one of {SIGNAL_SOURCES}")
    steps = int(seconds * RATE)
    if source == "ecg":
        train, _ = ecg_signal(steps, seed)
        validation, _ = ecg_signal(max(steps // 5, 1), seed + 1)
        return np.asarray(train, np.float32), np.asarray(validation, np.float32)
    if source == "sines":
        rng = np.random.default_rng(seed)
        total = steps + max(steps // 5, 1)
        t = np.arange(total)
        periods, phases = rng.uniform(8, 40, 3), rng.uniform(0, 2 * np.pi, 3)
        amplitudes = np.array([1.0, *rng.uniform(0.2, 0.5, 2)])
        values = amplitudes[:, None] * np.sin(2 * np.pi * t / periods[:, None] + phases[:, None])
        series = (values.sum(0) + 0.1 * rng.standard_normal(total)).astype(np.float32)
        return series[:steps], series[steps:]
    from lstm_viz.tasks.series import _read_column, csv_task

    # csv_task checks the file and column (rows, numbers, variation) with its messages
    task = csv_task(data or "", column, validation_fraction=validation_fraction)
    text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
    values = _read_column(text, column).to_numpy(dtype=np.float32)  # [N]
    cut = round(len(values) * (1 - task.params["validation_fraction"]))
    return values[:cut], values[cut:]
