"""Training a FrameModel on a next-frame task: a fixed number of Adam steps on seeded random
batches, the best validation checkpoint kept. Deterministic on one CPU thread.

    result = train_frames(model, task, steps=300, batch_size=16, learning_rate=5e-3, seed=0)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from lstm_viz.tasks.moving_shapes import FrameTask, next_frame_mse


@dataclass
class FrameTraining:
    """What train_frames did: the best validation MSE, at which step, and the curve."""

    best_mse: float
    best_step: int
    steps: int
    seconds: float
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, validation MSE)


def train_frames(
    model: torch.nn.Module,
    task: FrameTask,
    *,
    steps: int,
    batch_size: int = 16,
    learning_rate: float = 5e-3,
    seed: int = 0,
    evals: int = 10,
    on_progress: Callable[[int, int, float], None] | None = None,
) -> FrameTraining:
    """Train ``model`` in place for ``steps`` Adam steps (MSE of every step's prediction of the
    next frame); evaluate on the validation frames ``evals`` times; the model ends holding its
    best validation weights. on_progress(step, steps, loss) after every step."""
    if steps < 1 or batch_size < 1:
        raise ValueError("steps and batch_size must be at least 1")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    every = max(1, steps // evals)
    best = (float("inf"), 0, None)
    curve = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        model.train()
        x = torch.from_numpy(task.train[rng.integers(0, len(task.train), batch_size)])
        prediction, _ = model(x)
        loss = torch.mean((prediction[:, :-1] - x[:, 1:]) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if on_progress is not None:
            on_progress(step, steps, float(loss.detach()))
        if step % every == 0 or step == steps:
            model.eval()
            mse = next_frame_mse(model, task.validation)
            curve.append((step, mse))
            if mse < best[0]:
                state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                best = (mse, step, state)
    model.load_state_dict(best[2])
    model.eval()
    return FrameTraining(best[0], best[1], steps, time.perf_counter() - start, curve)
