"""Where uploaded models opened in Explore are written: one temporary folder per session, removed
when the session ends, with a bounded number of models in it.

    folder = UploadFolder()                   # keep it in the session's state
    path, dropped = folder.place("m-lstm")    # a fresh folder for a model; the oldest beyond
                                              # MAX_MODELS are removed (their paths in dropped)
    del folder                                # the session ended: its folder is removed

Every session folder lives in ``<tmp>/lstm-viz-uploads/``. It is removed when its UploadFolder is
garbage-collected (Streamlit drops a session's state some time after its browser leaves), when
the process exits, or, after a crash (kill -9), by the sweep that each new UploadFolder makes of
folders untouched for MAX_AGE_SECONDS.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import weakref
from pathlib import Path

PARENT_NAME = "lstm-viz-uploads"
MAX_MODELS = 8  # models kept per session: opening a ninth removes the oldest
MAX_AGE_SECONDS = 24 * 3600  # a session folder untouched this long is left over from a crash
_PREFIX = "session-"


def folder_name(name: str, default: str = "model", keep: str = "") -> str:
    """A folder name made of ``name``: letters, digits, _ and the characters of ``keep`` stay;
    every run of anything else, hyphens included, becomes one hyphen ("m-/rnn/LSTM", an ONNX
    node's path -> "m-rnn-LSTM"; "../.." -> ``default``). No path separator survives."""
    cleaned = re.sub(rf"[^A-Za-z0-9_{re.escape(keep)}]+", "-", name)
    return cleaned.strip(keep + "-") or default


class UploadFolder:
    """One session's temporary folder for uploaded models (``path``). See the module's doc."""

    def __init__(self, parent: str | Path | None = None, max_models: int = MAX_MODELS) -> None:
        base = Path(parent) if parent is not None else _shared_parent()
        sweep(base)
        self.path = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=base))
        self.max_models = max_models
        self._remove = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)

    def place(self, name: str) -> tuple[Path, list[Path]]:
        """A path for a model called ``name`` in this folder (an earlier model of that name is
        replaced), and the model folders removed to keep at most ``max_models``, oldest first."""
        if not self.path.is_dir():  # swept away under a session that slept a day: start again
            self.path.mkdir(mode=0o700, parents=True)
        target = self.path / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        models = sorted(
            (p for p in self.path.iterdir() if p.is_dir() and not p.is_symlink()),
            key=lambda p: p.stat().st_mtime,
        )
        dropped = models[: max(0, len(models) - (self.max_models - 1))]
        for old in dropped:
            shutil.rmtree(old, ignore_errors=True)
        os.utime(self.path)  # in use: the sweep leaves it alone
        return target, dropped

    def remove(self) -> None:
        """Remove the folder now (also done when this object is collected or at exit)."""
        self._remove()

    @property
    def removed(self) -> bool:
        return not self._remove.alive


def sweep(parent: str | Path, max_age: float = MAX_AGE_SECONDS) -> list[Path]:
    """Remove the session folders in ``parent`` untouched for more than ``max_age`` seconds
    (left over from a process that was killed); returns them. Links are never followed."""
    removed = []
    cutoff = time.time() - max_age
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for entry in entries:
        try:
            if (
                entry.name.startswith(_PREFIX)
                and not entry.is_symlink()
                and entry.is_dir()
                and entry.stat().st_mtime < cutoff
            ):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        except OSError:  # removed meanwhile by another process
            continue
    return removed


def _shared_parent() -> Path:
    """``<tmp>/lstm-viz-uploads``, ours alone (created 0700; if another user made that name,
    or a link, a fresh private folder instead)."""
    parent = Path(tempfile.gettempdir()) / PARENT_NAME
    try:
        parent.mkdir(mode=0o700, exist_ok=True)
        info = parent.lstat()
        mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
        if parent.is_symlink() or not parent.is_dir() or not mine:
            raise PermissionError(parent)
    except OSError:
        return Path(tempfile.mkdtemp(prefix=PARENT_NAME + "-"))
    return parent
