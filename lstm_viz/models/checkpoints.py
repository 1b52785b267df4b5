"""Checkpoints: a folder with model.safetensors + config.json (+ vocab.json). Never pickle.

Writing is atomic: everything goes into a fresh hidden folder beside the target, then is renamed
into place. Replacing an existing checkpoint takes two renames (old -> hidden, new -> target); a
process killed between them leaves the old one hidden, and the next list/load puts it back. So a
reader sees the old checkpoint or the new one, never a half-written one.

Trained models live in ``models_dir()``: ``$LSTM_VIZ_MODELS_DIR``, or ``./models`` by default.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab

FORMAT = "lstm_viz.checkpoint"
VERSION = 1
WEIGHTS, CONFIG, VOCAB, OPTIMIZER = (
    "model.safetensors",
    "config.json",
    "vocab.json",
    "optimizer.safetensors",
)
_TMP, _OLD = ".tmp-", ".old-"


def models_dir() -> Path:
    """Where trained models are stored: $LSTM_VIZ_MODELS_DIR, else ./models."""
    return Path(os.environ.get("LSTM_VIZ_MODELS_DIR", "models")).expanduser()


@dataclass(frozen=True)
class TaskInfo:
    """What a checkpoint's config.json says about the task it was trained on (its "task" entry),
    parsed once. Every field may be missing in an old or foreign checkpoint."""

    name: str | None = None  # a registered task (lstm_viz.tasks.TASKS), or e.g. "uploaded"
    title: str | None = None  # what a page shows
    params: dict[str, Any] = field(default_factory=dict)  # the task's parameters, as trained
    objective: str | None = None
    metric: str | None = None
    hidden_variable: str | None = None  # the name of the task's known hidden variable

    @classmethod
    def from_info(cls, info: dict[str, Any] | None) -> TaskInfo | None:
        """The "task" entry of a checkpoint's info, or None when there is none (or it is not a
        mapping). Fields of the wrong type are dropped, never trusted."""
        task = (info or {}).get("task")
        if not isinstance(task, dict) or not task:
            return None

        def text(key: str) -> str | None:
            value = task.get(key)
            return value if isinstance(value, str) else None

        params = task.get("params")
        return cls(
            name=text("name"),
            title=text("title"),
            params=dict(params) if isinstance(params, dict) else {},
            objective=text("objective"),
            metric=text("metric"),
            hidden_variable=text("hidden_variable"),
        )

    @property
    def label(self) -> str:
        """The title, else the name, else "unknown task"."""
        return self.title or self.name or "unknown task"


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model (eval mode, CPU), its vocabulary and what config.json says."""

    path: Path
    model: SequenceModel
    vocab: Vocab | None
    info: dict[str, Any] = field(default_factory=dict)  # task, metrics, training, created, ...

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def task(self) -> TaskInfo | None:
        """The task it was trained on (config.json's "task" entry), or None when it names none."""
        return TaskInfo.from_info(self.info)


def save_checkpoint(
    directory: str | Path,
    model: SequenceModel,
    vocab: Vocab | None = None,
    info: dict[str, Any] | None = None,
    optimizer_state: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write the model (+ vocab, + info such as task and metrics) atomically to ``directory``."""
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f"{_TMP}{target.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, staging / WEIGHTS)
        config = {
            "format": FORMAT,
            "version": VERSION,
            "model": model.config.to_json(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **(info or {}),
        }
        (staging / CONFIG).write_text(json.dumps(config, indent=2))
        if vocab is not None:
            vocab.save(staging / VOCAB)
        if optimizer_state:
            save_file(
                {k: v.detach().cpu().contiguous() for k, v in optimizer_state.items()},
                staging / OPTIMIZER,
            )
        for path in staging.iterdir():  # on disk before the rename makes it visible
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        if target.exists():
            old = target.parent / f"{_OLD}{target.name}-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def load_checkpoint(directory: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint folder; ValueError with a clear message when it is not a valid one."""
    path = Path(directory)
    _recover(path.parent)
    config = read_config(path)
    try:
        model_config = ModelConfig.from_json(config["model"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path / CONFIG}: bad model settings: {error}") from None
    model = SequenceModel(model_config)
    try:
        state = load_file(path / WEIGHTS)
    except Exception as error:  # safetensors raises its own error types for broken files
        raise ValueError(f"{path / WEIGHTS} is not a readable safetensors file: {error}") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(
            f"{path / WEIGHTS} does not fit the model in config.json: {error}"
        ) from None
    vocab = Vocab.load(path / VOCAB) if (path / VOCAB).exists() else None
    if model_config.vocab_size and (vocab is None or len(vocab) != model_config.vocab_size):
        raise ValueError(
            f"{path}: a token model needs a vocab.json of {model_config.vocab_size} tokens"
        )
    info = {k: v for k, v in config.items() if k not in ("format", "version", "model")}
    return Checkpoint(path, model.to(device).eval(), vocab, info)


def read_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not (path / CONFIG).is_file() or not (path / WEIGHTS).is_file():
        raise ValueError(f"{path} is not a checkpoint: it needs {CONFIG} and {WEIGHTS}")
    try:
        config = json.loads((path / CONFIG).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path / CONFIG} is not valid JSON: {error}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{path / CONFIG} was not written by lstm_viz (no format {FORMAT!r})")
    return config


def list_checkpoints(root: str | Path | None = None) -> list[Path]:
    """The checkpoint folders directly inside ``root`` (default: models_dir()), newest first."""
    root = Path(root) if root is not None else models_dir()
    if not root.is_dir():
        return []
    _recover(root)
    found = []
    for path in root.iterdir():
        if path.is_dir() and not path.name.startswith("."):
            try:
                read_config(path)
            except ValueError:
                continue
            found.append(path)
    return sorted(found, key=lambda p: (p / CONFIG).stat().st_mtime, reverse=True)


def delete_checkpoint(directory: str | Path) -> None:
    """Delete a checkpoint folder (only one lstm_viz wrote: anything else is refused)."""
    path = Path(directory)
    read_config(path)
    shutil.rmtree(path)


def checkpoint_zip(directory: str | Path) -> bytes:
    """The checkpoint folder as one zip file (for a download)."""
    path = Path(directory)
    read_config(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.iterdir()):
            if file.is_file():
                archive.write(file, f"{path.name}/{file.name}")
    return buffer.getvalue()


def _recover(root: Path) -> None:
    """Undo what a process killed mid-save left behind: restore a hidden old checkpoint whose
    replacement never arrived; remove staging folders."""
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.name.startswith(_OLD):
            name = entry.name[len(_OLD) :].rsplit("-", 1)[0]
            if not (root / name).exists():
                os.replace(entry, root / name)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(_TMP) and time.time() - entry.stat().st_mtime > 60:
            shutil.rmtree(entry, ignore_errors=True)  # older than any save in progress
