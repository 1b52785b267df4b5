"""Tasks to train on: a train/validation split each and, where it has one, a known hidden variable.

    task = make_task("dyck", max_depth=6, seed=0)
    for batch in task.batches("train", batch_size=32):
        batch.inputs, batch.targets, batch.lengths, batch.hidden

``TASKS`` lists them for a UI: name, title, a one-line description, the factory, and the allowed
ranges of its parameters. Each parameter's default is written once, in the factory's signature;
``TaskSpec.defaults`` reads it from there for the registry, the CLI and the Train page.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lstm_viz.models.task_info import TaskInfo

from .base import IGNORE, Batch, Objective, Task
from .classify import agreement_task, parity_task
from .dyck import dyck_task
from .ecg import ecg_task
from .grammar import grammar_task, subject_number
from .memory import adding_task, copy_task
from .moving_shapes import FrameTask, moving_shapes, moving_shapes_task
from .series import MAX_CSV_CHARS, MIN_CSV_ROWS, csv_task, sines_task
from .text import MAX_TEXT_CHARS, MIN_TEXT_CHARS, english_task, python_task, user_text_task

__all__ = [
    "IGNORE",
    "MAX_CSV_CHARS",
    "MAX_TEXT_CHARS",
    "MIN_CSV_ROWS",
    "MIN_TEXT_CHARS",
    "TASKS",
    "Batch",
    "FrameTask",
    "Objective",
    "Task",
    "TaskSpec",
    "from_info",
    "make_task",
    "moving_shapes",
    "moving_shapes_task",
    "param_label",
    "subject_number",
    "task_from_info",
]

Number = int | float


@dataclass(frozen=True)
class TaskSpec:
    """A registered task: what a UI shows, and how to build it."""

    name: str
    title: str
    description: str  # one line
    factory: Callable[..., Task]
    limits: dict[str, tuple[Number, Number]] = field(default_factory=dict)  # inclusive ranges

    def parameters(self) -> list[str]:
        """Every parameter the factory takes (the defaults, plus e.g. csv's mean and std)."""
        return list(inspect.signature(self.factory).parameters)

    @property
    def defaults(self) -> dict[str, Number | str]:
        """The parameters a UI renders as inputs, with their defaults, read from the factory's
        signature (written once, there): a required parameter (the user's text or CSV) is
        text, "" by default; an optional one that defaults to None (csv's mean and std) is
        left out."""
        found: dict[str, Number | str] = {}
        for name, parameter in inspect.signature(self.factory).parameters.items():
            if parameter.default is inspect.Parameter.empty:
                found[name] = ""
            elif parameter.default is not None:
                found[name] = parameter.default
        return found


SEED = {"seed": (0, 2**31 - 1)}
SIZES = {"train_size": (1, 50_000), "validation_size": (1, 20_000)}
TEXT = {"seq_len": (2, 1000), "max_vocab": (3, 1000), **SEED}

TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in [
        TaskSpec(
            "text-english",
            "English prose",
            "Next character of the English documentation that Python ships.",
            english_task,
            {**TEXT, "wrap": (0, 1000), "dialogue": (0.0, 1.0), "readings": (1, 4)},
        ),
        TaskSpec(
            "text-python",
            "Python code",
            "Next character of Python's standard-library source code.",
            python_task,
            {**TEXT, "max_chars": (10_000, 2_000_000)},
        ),
        TaskSpec(
            "text-user",
            "Your text",
            f"Next character of your own text ({MIN_TEXT_CHARS:,} to {MAX_TEXT_CHARS:,} chars).",
            user_text_task,
            TEXT,
        ),
        TaskSpec(
            "grammar",
            "Sentences with agreement",
            "Next word of generated English sentences whose verbs agree with distant subjects.",
            grammar_task,
            {**SIZES, **SEED},
        ),
        TaskSpec(
            "dyck",
            "Bracket matching (Dyck)",
            "After each bracket of a well-formed prefix, predict the nesting depth.",
            dyck_task,
            {
                "types": (1, 4),
                "max_depth": (1, 50),
                "min_length": (1, 1000),
                "max_length": (1, 1000),
                **SIZES,
                **SEED,
            },
        ),
        TaskSpec(
            "sines",
            "Sums of sines",
            "Forecast the next value of a noisy sum of sines.",
            sines_task,
            {
                "length": (2, 2000),
                "components": (1, 10),
                "noise": (0.0, 10.0),
                "min_period": (2.0, 1000.0),
                "max_period": (2.0, 1000.0),
                "train_size": (1, 20_000),
                "validation_size": (1, 10_000),
                **SEED,
            },
        ),
        TaskSpec(
            "ecg",
            "ECG-like signal",
            "Forecast the next value of a generated ECG (P, QRS, T waves; drifting heart rate).",
            ecg_task,
            {
                "length": (2, 2000),
                "train_seconds": (10, 20_000),
                "validation_seconds": (10, 5_000),
                "noise": (0.0, 1.0),
                **SEED,
            },
        ),
        TaskSpec(
            "csv",
            "Your CSV column",
            f"Forecast the next value of a numeric column of your CSV (>= {MIN_CSV_ROWS} rows).",
            csv_task,
            {
                "window": (1, 2000),
                "stride": (1, 2000),
                "validation_fraction": (0.05, 0.5),
                **SEED,
            },
        ),
        TaskSpec(
            "adding",
            "Adding problem",
            "Add the two marked numbers of a long sequence: long-range memory.",
            adding_task,
            {
                "length": (2, 1000),
                "train_size": (1, 20_000),
                "validation_size": (1, 10_000),
                **SEED,
            },
        ),
        TaskSpec(
            "copy",
            "Copy after a delay",
            "Repeat a few symbols after a run of blanks: long-range memory.",
            copy_task,
            {
                "symbols": (2, 26),
                "length": (1, 100),
                "min_delay": (0, 1000),
                "max_delay": (0, 1000),
                **SIZES,
                **SEED,
            },
        ),
        TaskSpec(
            "parity",
            "Parity",
            "Is the number of ones in a bit string odd?",
            parity_task,
            {"min_length": (1, 1000), "max_length": (1, 1000), **SIZES, **SEED},
        ),
        TaskSpec(
            "agreement",
            "Grammatical or not",
            "Does a sentence's main verb agree with its subject?",
            agreement_task,
            {**SIZES, **SEED},
        ),
    ]
}


# What a UI calls each task parameter (the Train page's labels); others read their own name.
PARAM_LABELS = {
    "seq_len": "Sequence length",
    "max_vocab": "Vocabulary size (max)",
    "max_chars": "Corpus size (characters)",
    "wrap": "Line width (0: as written)",
    "dialogue": "Quoted speech (share, 0-1)",
    "readings": "Readings per epoch (quoted anew)",
    "train_size": "Training examples",
    "validation_size": "Validation examples",
    "types": "Bracket types",
    "max_depth": "Maximum depth",
    "min_length": "Minimum length",
    "max_length": "Maximum length",
    "length": "Length",
    "components": "Sine components",
    "noise": "Noise (std)",
    "min_period": "Minimum period",
    "max_period": "Maximum period",
    "window": "Window (rows)",
    "train_seconds": "Training signal (seconds)",
    "validation_seconds": "Validation signal (seconds)",
    "stride": "Stride (rows)",
    "validation_fraction": "Validation fraction",
    "symbols": "Symbols",
    "min_delay": "Minimum delay",
    "max_delay": "Maximum delay",
}


def param_label(name: str) -> str:
    """A task parameter as a UI labels it: "Sequence length" for seq_len, else its name."""
    return PARAM_LABELS.get(name, name.replace("_", " ").capitalize())


def make_task(name: str, **params: object) -> Task:
    """Build the registered task ``name``; missing parameters take the spec's defaults.

    ValueError for an unknown task, an unknown parameter, a value of the wrong type or out of
    range (each message lists what is allowed), and for whatever the factory rejects.
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}")
    spec = TASKS[name]
    allowed = spec.parameters()
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for task {name!r}; "
            f"allowed: {', '.join(allowed)}"
        )
    checked = {key: _check(spec, key, value) for key, value in params.items()}
    return spec.factory(**{**spec.defaults, **checked})


def task_from_info(info: object) -> Task:
    """Rebuild the task a checkpoint was trained on from its config.json "task" section
    ({"name": ..., "params": {...}}). ValueError (one line) when the section is missing or is
    not of that shape, and whatever make_task refuses (unknown task, parameters out of range)."""
    if not isinstance(info, dict) or not isinstance(info.get("name"), str):
        raise ValueError("the checkpoint names no task it was trained on")
    params = info.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise ValueError(f"the task {info['name'][:80]!r} has no readable parameters")
    return make_task(info["name"], **params)


def from_info(info: Mapping[str, Any] | TaskInfo | None, *, strict: bool = False) -> Task | None:
    """The task a checkpoint was trained on, rebuilt from its info (``checkpoint.info``, whose
    "task" entry is read) or its ``checkpoint.task``, through task_from_info's checks.

    None when it names no registered task or cannot be rebuilt (an old or foreign checkpoint, or
    a task built from the user's own data, which the checkpoint does not keep); with
    ``strict=True`` a ValueError saying why instead.
    """
    if isinstance(info, TaskInfo):
        section = {"name": info.name, "params": info.params}
    else:
        section = (info or {}).get("task") if isinstance(info, Mapping) else None
    try:
        return task_from_info(section)
    except (ValueError, TypeError):
        if strict:
            raise
        return None


def _check(spec: TaskSpec, key: str, value: object) -> object:
    """``value`` converted to the type of the default (an integral float may stand for an int)."""
    default = spec.defaults.get(key)
    where = f"task {spec.name!r}: {key}"
    if isinstance(default, str):
        if not isinstance(value, (str, bytes, bytearray)) and value is not None:
            raise ValueError(f"{where} must be text, got {type(value).__name__}")
        return value
    if value is None and default is None:  # optional numbers such as csv's mean and std
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where} must be a (finite) number, got {value!r}")
    if isinstance(default, int):
        if value != int(value):
            raise ValueError(f"{where} must be a whole number, got {value!r}")
        value = int(value)
    elif isinstance(default, float):
        value = float(value)
    low, high = spec.limits.get(key, (None, None))
    if low is not None and not low <= value <= high:
        raise ValueError(f"{where} must be in [{low}, {high}], got {value!r}")
    return value
