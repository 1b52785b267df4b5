"""Checkpoints: a folder with model.safetensors + config.json (+ vocab.json). Never pickle.

Writing is atomic: everything goes into a fresh hidden folder beside the target, then is renamed
into place. Replacing an existing checkpoint takes two renames (old -> hidden, new -> target); a
process killed between them leaves the old one hidden, and the next list/load puts it back. So a
reader sees the old checkpoint or the new one, never a half-written one.

Trained models live in ``models_dir()``: ``$LSTM_VIZ_MODELS_DIR``, or ``./models`` by default.

Every file of a folder is checked before use (lstm_viz/model_folders.py: sizes, nesting, types,
value ranges; the weights' names and shapes against config.json before any tensor is read); any
problem is a ``CheckpointError`` (a ValueError) with a one-line reason. ``scan_checkpoints``
lists the good folders and the bad ones with their reasons. A name being trained is reserved
by a lock file (``reserve_name``), so two runs never save under one name.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from lstm_viz.models.folders import (
    MAX_CONFIG_BYTES,
    CheckpointError,
    check_config,
    one_line,
    read_json,
)
from lstm_viz.models.frames import FrameModel, FrameModelConfig, is_frame_config
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.task_info import TaskInfo
from lstm_viz.models.vocab import Vocab
from lstm_viz.models.writing import OLD, created, recover, write_folder

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "checkpoint_zip",
    "delete_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "models_dir",
    "read_config",
    "save_checkpoint",
    "scan_checkpoints",
]

FORMAT = "lstm_viz.checkpoint"
VERSION = 1
WEIGHTS, CONFIG, VOCAB, OPTIMIZER = (
    "model.safetensors",
    "config.json",
    "vocab.json",
    "optimizer.safetensors",
)


def models_dir() -> Path:
    """Where trained models are stored: $LSTM_VIZ_MODELS_DIR, else ./models."""
    return Path(os.environ.get("LSTM_VIZ_MODELS_DIR", "models")).expanduser()


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model (eval mode, CPU), its vocabulary and what config.json says."""

    path: Path
    model: SequenceModel | FrameModel  # FrameModel: a ConvLSTM reading frames (models/frames.py)
    vocab: Vocab | None
    info: dict[str, Any] = field(default_factory=dict)  # task, metrics, training, created, ...

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def task(self) -> TaskInfo | None:
        """The task it was trained on (config.json's "task" entry), or None when it names none."""
        return TaskInfo.from_info(self.info)

    @property
    def input_signature(self) -> tuple:
        """What the model reads, as a value two checkpoints can be compared by (equal: the same
        inputs fit both): ("frames", channels per frame) for a ConvLSTM FrameModel, ("tokens",
        the vocabulary's level, its tokens) for a token model, ("numbers", features per step)
        for a numeric one. Read this rather than ``model.config.input_size``, which only a
        SequenceModel's config has."""
        if isinstance(self.model.config, FrameModelConfig):
            return ("frames", self.model.config.input_channels)
        if self.vocab is not None:
            return ("tokens", self.vocab.level, tuple(self.vocab.tokens))
        return ("numbers", self.model.config.input_size)


def save_checkpoint(
    directory: str | Path,
    model: SequenceModel | FrameModel,
    vocab: Vocab | None = None,
    info: dict[str, Any] | None = None,
    optimizer_state: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write the model (+ vocab, + info such as task and metrics) atomically to ``directory``."""
    config = {
        "format": FORMAT,
        "version": VERSION,
        "model": model.config.to_json(),
        "created": created(),
        **(info or {}),
    }

    def more(staging: Path) -> None:
        if vocab is not None:
            vocab.save(staging / VOCAB)
        if optimizer_state:
            save_file(
                {k: v.detach().cpu().contiguous() for k, v in optimizer_state.items()},
                staging / OPTIMIZER,
            )

    return write_folder(directory, config, model.state_dict(), more)


def load_checkpoint(directory: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint folder. CheckpointError (a ValueError, one line) when it is not a
    valid one: every file is checked (see check_checkpoint) before a tensor is allocated."""
    path = Path(directory)
    recover(path.parent)
    config, model_config, vocab = check_checkpoint(path)
    model = build_model(model_config)
    try:
        state = load_file(path / WEIGHTS)
        model.load_state_dict(state)
    except Exception as error:  # safetensors raises its own error types for broken files
        raise CheckpointError(f"{WEIGHTS} cannot be read: {one_line(error)}") from None
    info = {k: v for k, v in config.items() if k not in ("format", "version", "model")}
    return Checkpoint(path, model.to(device).eval(), vocab, info)


def read_config(path: str | Path) -> dict[str, Any]:
    """The checked config.json of the checkpoint folder ``path`` (see model_folders.check_config);
    CheckpointError when the folder is not a checkpoint or its config.json is broken."""
    path = Path(path)
    try:
        complete = (path / CONFIG).is_file() and (path / WEIGHTS).is_file()
        if not complete and path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
            raise CheckpointError(f"the folder {path.name} cannot be read (permission denied)")
    except OSError as error:
        raise CheckpointError(
            f"the folder {path.name} cannot be read ({(error.strerror or str(error)).lower()})"
        ) from None
    if not complete:
        raise CheckpointError(f"{path.name} is not a checkpoint: it needs {CONFIG} and {WEIGHTS}")
    return check_config(read_json(path / CONFIG, MAX_CONFIG_BYTES), FORMAT)


def build_model(config: ModelConfig | FrameModelConfig) -> SequenceModel | FrameModel:
    """The model a checkpoint's model settings describe (a ConvLSTM frame model for cell
    "conv_lstm", else a SequenceModel), freshly initialised."""
    return FrameModel(config) if isinstance(config, FrameModelConfig) else SequenceModel(config)


def check_checkpoint(
    path: str | Path,
) -> tuple[dict[str, Any], ModelConfig | FrameModelConfig, Vocab | None]:
    """(config, model config, vocab) of a checkpoint folder, every file checked and nothing
    allocated: config.json's types and ranges, the vocabulary, and the names and shapes of the
    weights (read from the safetensors header). CheckpointError (one line) for any problem."""
    path = Path(path)
    config = read_config(path)
    try:
        model_config = (
            FrameModelConfig.from_json(config["model"])
            if is_frame_config(config["model"])
            else ModelConfig.from_json(config["model"])
        )
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{CONFIG}: bad model settings: {one_line(error)}") from None
    vocab = Vocab.load(path / VOCAB) if (path / VOCAB).exists() else None
    if model_config.vocab_size and (vocab is None or len(vocab) != model_config.vocab_size):
        raise CheckpointError(f"a token model needs a {VOCAB} of {model_config.vocab_size} tokens")
    _check_weights(path / WEIGHTS, model_config)
    return config, model_config, vocab


def _check_weights(file: Path, model_config: ModelConfig | FrameModelConfig) -> None:
    """The tensors in ``file``'s header are exactly the model's, with its shapes."""
    expected = model_config.state_shapes()  # computed: nothing is allocated
    try:
        with safe_open(str(file), framework="pt") as weights:
            found = {k: tuple(weights.get_slice(k).get_shape()) for k in weights.keys()}  # noqa: SIM118
    except Exception as error:  # safetensors raises its own error types for broken files
        raise CheckpointError(
            f"{WEIGHTS} is not a readable safetensors file: {one_line(error)}"
        ) from None
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    wrong = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
    if missing or extra or wrong:
        if missing or extra:
            what = f"missing {missing[:3]}" if missing else f"unexpected {extra[:3]}"
        else:
            key = wrong[0]
            what = f"{key} is {list(found[key])}, {CONFIG} needs {list(expected[key])}"
        raise CheckpointError(f"{WEIGHTS} does not fit the model in {CONFIG}: {what}")


def _signature(path: Path) -> tuple:
    """What changes when any file of the folder does (cache key of _checked)."""
    stats = []
    for name in (CONFIG, WEIGHTS, VOCAB):
        try:
            st = (path / name).stat()
            stats.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError as error:
            stats.append(error.errno)
    return (str(path), tuple(stats))


@functools.lru_cache(maxsize=256)
def _checked(signature: tuple) -> str | None:
    try:
        check_checkpoint(Path(signature[0]))
    except CheckpointError as error:
        return one_line(error)
    return None


def scan_checkpoints(root: str | Path | None = None) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(good folders newest first, [(bad folder, one-line reason)] by name) directly inside
    ``root`` (default: models_dir()). Every non-hidden folder is one or the other; a
    checkpoint an interrupted save left hidden (".old-NAME-...") that cannot be put back (a
    read-only folder) is listed as bad under its name. Never raises for a broken folder."""
    root = Path(root) if root is not None else models_dir()
    if not root.is_dir():
        return [], []
    recover(root)
    try:
        entries = sorted(root.iterdir())
    except OSError as error:
        return [], [(root, f"the models folder cannot be read ({error.strerror or error})")]
    good, bad, names = [], [], {e.name for e in entries}
    for path in entries:
        if path.name.startswith(OLD):
            name = path.name[len(OLD) :].rsplit("-", 1)[0]
            if name not in names:
                names.add(name)
                bad.append(
                    (
                        root / name,
                        f"an interrupted save left it as {path.name}, and "
                        "the models folder is read-only: it cannot be put back",
                    )
                )
            continue
        if path.name.startswith(".") or not _is_dir(path):
            continue
        reason = _checked(_signature(path))
        if reason is None:
            good.append(path)
        else:
            bad.append((path, reason))
    return sorted(good, key=_mtime, reverse=True), bad


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _mtime(path: Path) -> int:
    try:
        return (path / CONFIG).stat().st_mtime_ns
    except OSError:
        return 0


def list_checkpoints(root: str | Path | None = None) -> list[Path]:
    """The good checkpoint folders directly inside ``root`` (default: models_dir()), newest
    first (scan_checkpoints also gives the bad ones with their reasons)."""
    return scan_checkpoints(root)[0]


def read_model_config(path: str | Path) -> dict[str, Any]:
    """config.json of any model folder lstm_viz writes: a checkpoint (checked in full, as
    read_config), an encoder-decoder or an LSTM autoencoder (its format and its weights file
    present; their own loaders check the rest). CheckpointError for anything else."""
    from lstm_viz.models.autoencoder import FORMAT as AUTOENCODER
    from lstm_viz.models.seq2seq_files import FORMAT as SEQ2SEQ

    path = Path(path)
    if (path / CONFIG).is_file() and (path / WEIGHTS).is_file():
        config = read_json(path / CONFIG, MAX_CONFIG_BYTES)
        if isinstance(config, dict) and config.get("format") in (SEQ2SEQ, AUTOENCODER):
            return config
    return read_config(path)


def delete_checkpoint(directory: str | Path) -> None:
    """Delete a model folder (only one lstm_viz wrote, read_model_config: anything else is
    refused). A symbolic link is removed, never what it points to. CheckpointError when
    refused."""
    path = Path(directory)
    if path.is_symlink():
        path.unlink()
        return
    read_model_config(path)
    try:
        shutil.rmtree(path)
    except OSError as error:
        raise CheckpointError(
            f"{path.name} could not be deleted ({error.strerror or error})"
        ) from None


def checkpoint_zip(directory: str | Path) -> bytes:
    """A model folder (read_model_config) as one zip file (for a download)."""
    path = Path(directory)
    read_model_config(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.iterdir()):
            if file.is_file():
                archive.write(file, f"{path.name}/{file.name}")
    return buffer.getvalue()
