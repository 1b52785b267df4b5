"""What makes a training run: a task, a model that fits it, a TrainConfig and where the
checkpoint goes. One `build_run()` serves the Train page, the CLI and the shipped-model build,
with one naming rule for checkpoints (`checkpoint_name`).

    run = build_run("dyck", {"max_depth": 4}, {"cell": "gru", "hidden_size": 16}, {"epochs": 2})
    result = run.trainer(Callbacks(on_progress=print)).fit()   # saves to run.path

Every check runs before anything touches the disk: ValueError with a message a page can show.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_viz.models.checkpoints import models_dir
from lstm_viz.models.names import check_name as check_allowed
from lstm_viz.models.names import in_use
from lstm_viz.models.sequence import SequenceModel
from lstm_viz.tasks import make_task
from lstm_viz.tasks.base import Task
from lstm_viz.training.limits import check_training_size, longest_sequence
from lstm_viz.training.randomness import seeded
from lstm_viz.training.trainer import Callbacks, TrainConfig, Trainer, model_config_for


def checkpoint_name(task: str, cell: str, root: str | Path | None = None) -> str:
    """The one naming rule for a new checkpoint: "<task>-<cell>-<MMDD>" ("dyck-lstm-0527"),
    or the first free "dyck-lstm-0527-2", ... in ``root`` (default: models_dir()); a name a
    running training holds is not free (lstm_viz.models.names)."""
    root = models_dir() if root is None else Path(root)
    base = f"{task}-{cell.replace('_', '-')}-{time.strftime('%m%d')}"
    name, n = base, 1
    while in_use(root, name):
        n += 1
        name = f"{base}-{n}"
    return name


def check_name(name: str, root: str | Path | None = None, replace: bool = False) -> None:
    """ValueError when ``name`` is not a checkpoint name (1 to 64 letters, digits, '-', '_'), or
    names an existing checkpoint in ``root`` and ``replace`` is False."""
    root = models_dir() if root is None else Path(root)
    check_allowed(name)
    if (root / name).exists() and not replace:
        raise ValueError(
            f"a checkpoint named {name!r} already exists: tick “Replace it” to overwrite it, "
            "or choose another name"
        )


@dataclass
class Run:
    """A training run, built and checked, not started."""

    task: Task
    model: SequenceModel
    config: TrainConfig
    path: Path | None  # the checkpoint folder the Trainer saves to; None: the caller saves
    notes: tuple[str, ...] = ()  # settings that were changed, in words (say them to the user)

    @property
    def name(self) -> str | None:
        return None if self.path is None else self.path.name

    def trainer(
        self, callbacks: Callbacks | None = None, info: dict[str, Any] | None = None
    ) -> Trainer:
        """The Trainer of this run (it saves the best checkpoint to ``path``, with ``info`` in
        its config.json, e.g. the app's owner id)."""
        return Trainer(
            self.model, self.task, self.config, callbacks, checkpoint_dir=self.path, info=info
        )


def build_run(
    task: str | Task,
    task_params: Mapping[str, Any] | None = None,
    model: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    root: str | Path | None = None,
    replace: bool = True,
    save: bool = True,
    seed: int | None = None,
    path: str | Path | None = None,
    free_name: bool = False,
    limits: bool = False,
) -> Run:
    """Build a training run: the task (``make_task(task, **task_params)``, or a Task as is), a
    SequenceModel that fits it with the ``model`` settings (ModelConfig fields), a TrainConfig
    of the ``training`` fields, and the checkpoint folder ``root/name``.

    name: default checkpoint_name(task, cell, root); root: default models_dir(); replace: False
    refuses a name that exists; save: False leaves ``path`` None (the caller saves); seed: seeds
    torch before the task is built and the model's initial weights drawn (None: the training
    seed, ``training["seed"]``, so a run is reproducible from its settings alone, whatever its
    name and whatever ran before it in the process); path: a folder of the caller's own (the
    CLI's --out), taken as is, not root/name; free_name: ``name`` is a default the caller will
    swap for the next free one when it is taken (names.reserve_free_name), so an existing one
    is no error; limits: refuse a run over lstm_viz.training.limits (the Train page: a shared
    server), checked before the model is allocated.
    ValueError for any bad setting, before anything is written.
    """
    root = models_dir() if root is None else Path(root)
    settings = dict(model or {})
    cell = settings.get("cell", "lstm")
    if path is not None:
        path = Path(path)
    elif save:
        if name is None:
            task_name = task if isinstance(task, str) else task.name
            name = checkpoint_name(task_name, cell, root)
        check_name(name, root, replace or free_name)
        path = root / name
    if not save:
        path = None
    config = TrainConfig(**dict(training or {}))
    # The initial weights come from torch's global generator: seeded here, always (unseeded, they
    # were whatever the process had drawn before: a run was not reproducible from its seed).
    # Before the task too: a recipe's weights stay what they always were.
    with seeded(config.seed if seed is None else seed):  # randomness.py: one build at a time
        return _build(task, task_params, settings, config, path, limits)


def _build(
    task: str | Task,
    task_params: Mapping[str, Any] | None,
    settings: dict[str, Any],
    config: TrainConfig,
    path: Path | None,
    limits: bool,
) -> Run:
    """The task, then the model (its weights drawn from the generator build_run seeded)."""
    built = make_task(task, **dict(task_params or {})) if isinstance(task, str) else task
    notes = []
    if settings.get("bidirectional") and built.objective == "next_token":
        settings["bidirectional"] = False
        notes.append(
            "Bidirectional was ignored: a next-character model that reads ahead would see the "
            "answer."
        )
    model_config = model_config_for(built, **settings)
    if limits:
        steps = longest_sequence(built, config.batch_size)
        check_training_size(model_config, config.batch_size, steps)
    sequence_model = SequenceModel(model_config)  # allocated only now, within the limits
    return Run(built, sequence_model, config, path, tuple(notes))
