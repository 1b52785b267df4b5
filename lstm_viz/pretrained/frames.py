"""The shipped ConvLSTM: a recipe, its build and its card, beside the sequence models'.

A frame model's card states its next-frame MSE on held-out sequences and the copy-the-last-frame
baseline's on the same frames; ``check`` measures both again from the files alone.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from lstm_viz.models.checkpoints import load_checkpoint, save_checkpoint
from lstm_viz.models.frames import FrameModel, FrameModelConfig
from lstm_viz.pretrained.recipes import CARD, MAX_CARD_CHARS
from lstm_viz.tasks.moving_shapes import (
    FIRST_SCORED,
    METRIC,
    FrameTask,
    copy_last_frame_mse,
    moving_shapes_task,
    next_frame_mse,
    validation_frames,
)
from lstm_viz.training.frames import train_frames

MIN_GAIN = 0.30  # the shipped model beats copying the last frame by at least this much


@dataclass(frozen=True)
class FrameRecipe:
    """How a shipped ConvLSTM frame model is made (every field fixed: a deterministic build)."""

    name: str
    title: str
    task: str  # "moving-shapes"
    task_params: dict[str, Any]
    hidden_channels: int = 8
    kernel_size: int = 5
    num_layers: int = 1
    steps: int = 300  # Adam steps (a fixed schedule, never a time limit)
    batch_size: int = 16
    learning_rate: float = 5e-3
    seed: int = 0
    about: str = ""
    cell: str = "conv_lstm"

    @property
    def hidden_size(self) -> int:  # what the shipped-model tests compare with the config
        return self.hidden_channels


@dataclass
class FrameBuilt:
    """What building (or checking) a frame model measured."""

    recipe: FrameRecipe
    path: Path
    mse: float  # the model's next-frame MSE on the held-out sequences
    baseline: float  # copying the last frame, on the same frames
    seconds: float
    steps: int
    parameters: int
    bytes: int
    metric_name: str = METRIC

    @property
    def gain(self) -> float:
        """1 - mse / baseline: the fraction of the baseline's error the model removes."""
        return 1.0 - self.mse / self.baseline

    @property
    def metric(self) -> float:
        return self.mse

    def line(self) -> str:
        return (
            f"{self.recipe.name}: held-out {METRIC} {self.mse:.5f} vs copy-last-frame "
            f"{self.baseline:.5f} ({self.gain:.0%} lower); {self.seconds:.0f} s, "
            f"{self.bytes / 1024:,.0f} KiB"
        )


def frame_task(recipe: FrameRecipe | dict[str, Any]) -> FrameTask:
    params = recipe.task_params if isinstance(recipe, FrameRecipe) else dict(recipe)
    return moving_shapes_task(**params)


def build_frames(recipe: FrameRecipe, root: Path, progress: bool = True) -> FrameBuilt:
    """Train ``recipe`` from scratch on one CPU thread and write ``root/<name>/`` with its card.
    ValueError when the model does not beat copying the last frame by MIN_GAIN."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        task = frame_task(recipe)
        torch.manual_seed(recipe.seed)
        config = FrameModelConfig(
            hidden_channels=recipe.hidden_channels,
            kernel_size=recipe.kernel_size,
            num_layers=recipe.num_layers,
        )
        model = FrameModel(config)
        result = train_frames(
            model,
            task,
            steps=recipe.steps,
            batch_size=recipe.batch_size,
            learning_rate=recipe.learning_rate,
            seed=recipe.seed,
            on_progress=_progress(recipe.name) if progress else None,
        )
        if progress:
            print(file=sys.stderr)
        path = root / recipe.name
        info = {
            "task": task.info(),
            "recipe": asdict(recipe),
            "training": {
                "seconds": round(result.seconds, 1),
                "step": result.best_step,
                "steps": result.steps,
                "curve": [[s, round(m, 6)] for s, m in result.curve],
            },
        }
        save_checkpoint(path, model, None, info)
        return write_frame_card(path, recipe, task)
    finally:
        torch.set_num_threads(threads)


def measure(path: Path, task: FrameTask | None = None) -> tuple[float, float]:
    """(model MSE, copy-last-frame MSE) on the held-out sequences, from the files alone."""
    checkpoint = load_checkpoint(path)
    if task is not None:
        frames = task.validation
    else:
        frames = validation_frames((checkpoint.task.params if checkpoint.task else {}) or {})
    return next_frame_mse(checkpoint.model, frames), copy_last_frame_mse(frames)


def write_frame_card(
    path: Path, recipe: FrameRecipe | None = None, task: FrameTask | None = None
) -> FrameBuilt:
    """Measure a built frame model and write its card (README.md)."""
    from lstm_viz.pretrained.recipes import RECIPES

    recipe = recipe or RECIPES[path.name]
    checkpoint = load_checkpoint(path)
    task = task or frame_task(recipe)
    mse, baseline = measure(path, task)
    training = checkpoint.info.get("training") or {}
    built = FrameBuilt(
        recipe,
        path,
        mse,
        baseline,
        float(training.get("seconds", 0.0)),
        int(training.get("steps", 0)),
        checkpoint.model.num_parameters(),
        (path / "model.safetensors").stat().st_size,
    )
    (path / CARD).write_text(frame_card(built, task))
    if built.gain < MIN_GAIN:
        raise ValueError(
            f"{recipe.name} beats copying the last frame by only {built.gain:.0%} "
            f"(needs {MIN_GAIN:.0%}): change the recipe"
        )
    return built


def frame_card(built: FrameBuilt, task: FrameTask) -> str:
    r = built.recipe
    params = ", ".join(f"{k}={v}" for k, v in r.task_params.items())
    validation = task.validation.shape
    layers = f"{r.num_layers} layers" if r.num_layers > 1 else "1 layer"
    return f"""# {r.name}

{r.title}.

- Task: {task.title} (`{task.name}`, {params}). Every step the model reads a frame and predicts \
the next one.
- Data: generated by `lstm_viz.tasks.moving_shapes` with fixed seeds (the held-out sequences \
come from their own seed). Nothing is downloaded.
- Model: ConvLSTM (Shi et al. 2015, no peepholes, as Keras's ConvLSTM2D), {layers} of \
{r.hidden_channels} channels, {r.kernel_size} × {r.kernel_size} kernels, padding "same"; the \
prediction is the frame just read plus a 1 × 1 convolution of h_t (the expected change), \
clipped to [0, 1]. {built.parameters:,} parameters; \
model.safetensors is {built.bytes / 1024:,.0f} KiB.
- Training: {built.steps:,} Adam steps at {r.learning_rate}, batch {r.batch_size}, seed {r.seed}, \
in {built.seconds:.0f} s on one thread of a shared 2-core CPU; the best of 10 validation \
checkpoints is kept.
- Held-out next-frame MSE (`{METRIC}`, {validation[0]} sequences of {validation[1]} frames, \
predictions after at least {FIRST_SCORED + 1} frames): model {built.mse:.5f}; copy-the-last-frame \
baseline {built.baseline:.5f}; the model's error is {built.gain:.1%} lower.

## What to look at

{r.about}

Check the numbers: `python -m lstm_viz.pretrained check {r.name}`. Rebuild (deterministic): \
`python -m lstm_viz.pretrained build {r.name}`.
"""


_MSE_LINE = re.compile(r"model ([\d.]+); copy-the-last-frame baseline ([\d.]+)")


def read_frame_card(path: str | Path) -> tuple[float, float]:
    """(model MSE, baseline MSE) as a frame model's card states them; ValueError otherwise."""
    try:
        text = (Path(path) / CARD).read_text(encoding="utf-8")[:MAX_CARD_CHARS]
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}/{CARD} cannot be read ({error})") from None
    found = _MSE_LINE.search(text)
    if not found:
        raise ValueError(f"{path}/{CARD} states no next-frame MSE")
    return float(found.group(1)), float(found.group(2))


def check_frames(path: str | Path) -> dict[str, Any]:
    """{"mse": (stated, measured), "baseline": (stated, measured), "gain": measured}."""
    path = Path(path)
    stated = read_frame_card(path)
    mse, baseline = measure(path)
    return {
        "metric_name": METRIC,
        "mse": (stated[0], mse),
        "baseline": (stated[1], baseline),
        "gain": 1.0 - mse / baseline,
    }


def _progress(name: str):
    last = [0.0]

    def show(step: int, steps: int, loss: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 5 or step == steps:
            last[0] = now
            print(f"  {name}: step {step}/{steps} loss {loss:.5f}", file=sys.stderr, flush=True)

    return show
