"""Tasks to train on: a train/validation split each and, where it has one, a known hidden variable.

    task = make_task("dyck", max_depth=6, seed=0)
    for batch in task.batches("train", batch_size=32):
        batch.inputs, batch.targets, batch.lengths, batch.hidden

``TASKS`` lists them for a UI: name, title, a one-line description, the factory, and default
parameters (plain ints, floats and strs) with their allowed ranges.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from .base import IGNORE, Batch, Objective, Task
from .classify import agreement_task, parity_task
from .dyck import dyck_task
from .grammar import grammar_task, subject_number
from .memory import adding_task, copy_task
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
    "Objective",
    "Task",
    "TaskSpec",
    "make_task",
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
    defaults: dict[str, Number | str]  # the parameters a UI renders as inputs, with defaults
    limits: dict[str, tuple[Number, Number]] = field(default_factory=dict)  # inclusive ranges

    def parameters(self) -> list[str]:
        """Every parameter the factory takes (the defaults, plus e.g. csv's mean and std)."""
        return list(inspect.signature(self.factory).parameters)


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
            {"seq_len": 100, "max_vocab": 100, "seed": 0},
            TEXT,
        ),
        TaskSpec(
            "text-python",
            "Python code",
            "Next character of Python's standard-library source code.",
            python_task,
            {"seq_len": 100, "max_chars": 1_500_000, "max_vocab": 100, "seed": 0},
            {**TEXT, "max_chars": (10_000, 2_000_000)},
        ),
        TaskSpec(
            "text-user",
            "Your text",
            f"Next character of your own text ({MIN_TEXT_CHARS:,} to {MAX_TEXT_CHARS:,} chars).",
            user_text_task,
            {"text": "", "seq_len": 100, "max_vocab": 100, "seed": 0},
            TEXT,
        ),
        TaskSpec(
            "grammar",
            "Sentences with agreement",
            "Next word of generated English sentences whose verbs agree with distant subjects.",
            grammar_task,
            {"train_size": 5000, "validation_size": 500, "seed": 0},
            {**SIZES, **SEED},
        ),
        TaskSpec(
            "dyck",
            "Bracket depth",
            "After each bracket of a well-formed prefix, predict the nesting depth.",
            dyck_task,
            {
                "types": 2,
                "max_depth": 6,
                "min_length": 20,
                "max_length": 50,
                "train_size": 2000,
                "validation_size": 500,
                "seed": 0,
            },
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
                "length": 100,
                "components": 3,
                "noise": 0.1,
                "min_period": 8.0,
                "max_period": 40.0,
                "train_size": 1000,
                "validation_size": 200,
                "seed": 0,
            },
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
            "csv",
            "Your CSV column",
            f"Forecast the next value of a numeric column of your CSV (>= {MIN_CSV_ROWS} rows).",
            csv_task,
            {
                "data": "",
                "column": "",
                "window": 50,
                "stride": 5,
                "validation_fraction": 0.2,
                "seed": 0,
            },
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
            {"length": 100, "train_size": 10_000, "validation_size": 1000, "seed": 0},
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
                "symbols": 8,
                "length": 5,
                "min_delay": 0,
                "max_delay": 30,
                "train_size": 5000,
                "validation_size": 500,
                "seed": 0,
            },
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
            {
                "min_length": 2,
                "max_length": 12,
                "train_size": 4000,
                "validation_size": 500,
                "seed": 0,
            },
            {"min_length": (1, 1000), "max_length": (1, 1000), **SIZES, **SEED},
        ),
        TaskSpec(
            "agreement",
            "Grammatical or not",
            "Does a sentence's main verb agree with its subject?",
            agreement_task,
            {"train_size": 5000, "validation_size": 500, "seed": 0},
            {**SIZES, **SEED},
        ),
    ]
}


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
