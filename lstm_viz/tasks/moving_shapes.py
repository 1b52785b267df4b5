"""moving-shapes: frames of squares and soft blobs that move and bounce; predict the next frame.

    task = moving_shapes_task(seed=0)
    task.train        # [N, T, 1, size, size] float32 in [0, 1]
    task.validation   # held-out sequences (their own seed stream)
    task.baseline_mse("validation")   # copy-the-last-frame error

Each sequence holds 1 to ``max_shapes`` objects: a square (side 3-5 pixels, integer positions and
velocities of 1-2 pixels a step) or a Gaussian blob (sub-pixel positions and velocities). An
object bounces off the frame's edges (its velocity flips). A frame is the maximum of its
objects. Everything is drawn from one seeded numpy generator: the same parameters give the same
frames on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

NAME = "moving-shapes"
TITLE = "Moving shapes: predict the next frame (24 × 24, squares and blobs that bounce)"
METRIC = "next-frame MSE"
FIRST_SCORED = 1  # predictions made after reading at least two frames are scored


def moving_shapes(
    count: int, steps: int = 12, size: int = 24, max_shapes: int = 2, seed: int = 0
) -> np.ndarray:
    """``count`` sequences of ``steps`` frames [count, steps, 1, size, size], float32 in [0, 1]."""
    if not (1 <= count <= 100_000 and 2 <= steps <= 200 and 8 <= size <= 128):
        raise ValueError("count 1-100000, steps 2-200 and size 8-128 are supported")
    rng = np.random.default_rng(seed)
    frames = np.zeros((count, steps, 1, size, size), dtype=np.float32)
    grid = np.arange(size, dtype=np.float32)
    for n in range(count):
        for _ in range(int(rng.integers(1, max_shapes + 1))):
            if rng.random() < 0.5:  # a square: integer positions and velocities
                side = int(rng.integers(3, 6))
                pos = rng.integers(0, size - side + 1, 2).astype(np.float64)
                vel = rng.choice([-2, -1, 1, 2], 2).astype(np.float64)
                low, high = 0.0, float(size - side)
            else:  # a blob: its centre moves in sub-pixel steps
                sigma = float(rng.uniform(1.2, 2.0))
                pos = rng.uniform(3, size - 4, 2)
                vel = rng.uniform(0.7, 1.8, 2) * rng.choice([-1, 1], 2)
                low, high = 2.0, float(size - 3)
                side = 0
            for t in range(steps):
                if side:
                    r, c = int(pos[0]), int(pos[1])
                    block = frames[n, t, 0, r : r + side, c : c + side]
                    np.maximum(block, 1.0, out=block)
                else:
                    rows = np.exp(-0.5 * ((grid - pos[0]) / sigma) ** 2)
                    cols = np.exp(-0.5 * ((grid - pos[1]) / sigma) ** 2)
                    np.maximum(frames[n, t, 0], np.outer(rows, cols), out=frames[n, t, 0])
                pos = pos + vel
                for axis in range(2):  # bounce: reflect the position, flip the velocity
                    if pos[axis] < low:
                        pos[axis], vel[axis] = 2 * low - pos[axis], -vel[axis]
                    elif pos[axis] > high:
                        pos[axis], vel[axis] = 2 * high - pos[axis], -vel[axis]
    return frames


@dataclass
class FrameTask:
    """A next-frame prediction task: frames in, the following frame out at every step."""

    params: dict
    train: np.ndarray = field(repr=False)  # [N, T, C, H, W]
    validation: np.ndarray = field(repr=False)
    name: str = NAME
    title: str = TITLE
    metric: str = METRIC
    objective: str = "next_frame"

    def info(self) -> dict:
        """The "task" entry of a checkpoint's config.json."""
        return {
            "name": self.name,
            "title": self.title,
            "objective": self.objective,
            "metric": self.metric,
            "hidden_variable": None,
            "params": dict(self.params),
        }

    def baseline_mse(self, split: str = "validation") -> float:
        """Copy the last frame: the MSE of predicting frame t+1 as frame t (scored steps)."""
        return copy_last_frame_mse(getattr(self, split))


def copy_last_frame_mse(frames: np.ndarray) -> float:
    """The baseline: predict frame t+1 as frame t, over the scored steps of [N, T, C, H, W]."""
    return float(np.mean((frames[:, FIRST_SCORED + 1 :] - frames[:, FIRST_SCORED:-1]) ** 2))


def moving_shapes_task(
    train_size: int = 1200,
    validation_size: int = 200,
    steps: int = 12,
    size: int = 24,
    max_shapes: int = 2,
    seed: int = 0,
) -> FrameTask:
    """Training and held-out validation sequences (their generators seeded apart)."""
    params = dict(
        train_size=train_size,
        validation_size=validation_size,
        steps=steps,
        size=size,
        max_shapes=max_shapes,
        seed=seed,
    )
    train = moving_shapes(train_size, steps, size, max_shapes, seed)
    return FrameTask(params, train, validation_frames(params))


def validation_frames(params: dict) -> np.ndarray:
    """The held-out sequences of moving_shapes_task(**params) alone (no training frames made)."""
    p = {**_DEFAULTS, **params}
    return moving_shapes(
        p["validation_size"], p["steps"], p["size"], p["max_shapes"], p["seed"] + 1_000_003
    )


_DEFAULTS = dict(validation_size=200, steps=12, size=24, max_shapes=2, seed=0)


def next_frame_mse(model: torch.nn.Module, frames: np.ndarray, batch_size: int = 50) -> float:
    """The model's MSE predicting frame t+1 after reading frames 0..t (scored steps only)."""
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(frames), batch_size):
            x = torch.from_numpy(frames[start : start + batch_size])
            pred, _ = model(x)  # [B, T, C, H, W]
            err = (pred[:, FIRST_SCORED:-1].double() - x[:, FIRST_SCORED + 1 :].double()) ** 2
            total += float(err.sum())
            count += err.numel()
    return total / count
