"""Writing a model folder: one writer for every kind (sequence models, encoder-decoders, LSTM
autoencoders), so that none is ever seen half written.

The files go to a hidden staging folder beside the target (``.tmp-<name>-<random>``), are flushed
to disk, and the folder is renamed into place; an existing folder of that name is first renamed
aside (``.old-<name>-<random>``) and removed once the new one is in place. A reader sees the old
folder or the new one, never a missing or partial one; a process killed mid-save leaves hidden
folders that lstm_viz.models.checkpoints' scan puts right (``recover``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from lstm_viz.models.folders import CheckpointError

WEIGHTS, CONFIG = "model.safetensors", "config.json"
TMP, OLD = ".tmp-", ".old-"  # prefixes of hidden staging and replaced folders


def created() -> str:
    """config.json's "created": the local time, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def write_folder(
    directory: str | Path,
    config: dict[str, Any],
    state: dict[str, torch.Tensor],
    more: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``config`` (config.json) and ``state`` (model.safetensors,
    tensors copied to the CPU) to ``directory``, plus what ``more(staging_folder)`` writes (a
    vocabulary, an optimizer state), atomically as described above. Returns the folder.
    CheckpointError when the target keeps being put back by another process; OSError as raised."""
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f"{TMP}{target.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, staging / WEIGHTS)
        (staging / CONFIG).write_text(json.dumps(config, indent=2))
        if more is not None:
            more(staging)
        for path in staging.iterdir():  # on disk before the rename makes it visible
            with open(path, "rb") as f:
                os.fsync(f.fileno())
        swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def swap_in(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, moving an existing ``target`` aside first. A reader in
    another thread may put the hidden old one back between the two renames (it looks like a
    crash): then swap again."""
    olds = []
    try:
        for _ in range(10):
            if target.exists():
                olds.append(target.parent / f"{OLD}{target.name}-{uuid.uuid4().hex[:8]}")
                try:
                    os.replace(target, olds[-1])
                except FileNotFoundError:
                    olds.pop()
            try:
                os.replace(staging, target)
                return
            except OSError:
                if not target.exists():
                    raise
        raise CheckpointError(f"{target.name} could not be replaced: it kept coming back")
    finally:
        for old in olds:
            if not os.path.lexists(staging):  # only once the new one is in place
                remove(old)


def recover(root: Path) -> None:
    """Undo what a process killed mid-save left behind in ``root``: restore a hidden old folder
    whose replacement never arrived; remove staging folders. A folder that cannot be changed
    (read only) is left as it is."""
    try:
        entries = list(root.iterdir()) if root.is_dir() else []
    except OSError:
        return
    for entry in entries:
        try:
            if entry.name.startswith(OLD):
                name = entry.name[len(OLD) :].rsplit("-", 1)[0]
                if not (root / name).exists():
                    os.replace(entry, root / name)
                else:
                    remove(entry)
            elif entry.name.startswith(TMP) and time.time() - entry.stat().st_mtime > 60:
                shutil.rmtree(entry, ignore_errors=True)  # older than any save in progress
        except OSError:
            continue


def remove(path: Path) -> None:
    """Remove a folder, or a symbolic link itself (never what it points to); errors ignored."""
    if path.is_symlink():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)
