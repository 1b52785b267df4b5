"""Names of trained models: reserved while a run trains, so two runs never save under one name.

A reservation is a lock file ``<models>/.lock-<name>`` created atomically (O_EXCL): of two runs
that ask for the same name at the same moment, exactly one gets it; the other is refused (or,
asking for a free name, takes the next one: "-2", "-3", ...). The lock holds the process id; a
lock whose process is gone (a killed server) is stale and taken over.

Ownership: a run may store an ``owner`` id in config.json (the app stores its session's);
``owned_by`` tells whether a folder belongs to an id. Policy (who may delete what) is the app's.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from lstm_viz.models.folders import CheckpointError

LOCK = ".lock-"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_TRIES = 1000


class Reservation:
    """A reserved model name; ``release()`` (or leaving a ``with`` block) frees it."""

    def __init__(self, path: Path, lock: Path) -> None:
        self.path = path  # where the checkpoint is saved
        self.lock = lock

    @property
    def name(self) -> str:
        return self.path.name

    def release(self) -> None:
        try:
            self.lock.unlink()
        except OSError:
            pass

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def check_name(name: str) -> None:
    """CheckpointError unless ``name`` is 1-64 letters, digits, '-' and '_' (not first)."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise CheckpointError(
            f"the name {str(name)[:80]!r} is not allowed: use 1 to 64 letters, digits, '-' and "
            "'_', starting with a letter or digit"
        )


def in_use(root: str | Path, name: str) -> bool:
    """True when a folder ``name`` exists in ``root`` or a run holds that name."""
    root = Path(root)
    return os.path.lexists(root / name) or _held(root / f"{LOCK}{name}")


def reserve_name(root: str | Path, name: str, *, replace: bool = False) -> Reservation:
    """Reserve ``root/name`` for a run that will save there. CheckpointError when the name is
    not allowed, another run holds it, or (``replace`` False) a model of that name exists."""
    check_name(name)
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CheckpointError(f"the models folder cannot be created ({error.strerror})") from None
    lock = root / f"{LOCK}{name}"
    for _ in range(2):  # a second try after taking over a stale lock
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _held(lock):
                raise CheckpointError(
                    f"a model named {name!r} is being trained right now (another session or "
                    "process): choose another name"
                ) from None
            try:
                lock.unlink()  # stale: its process is gone
            except OSError:
                pass
            continue
        except OSError as error:
            raise CheckpointError(
                f"the models folder cannot be written ({error.strerror}): nothing can be saved"
            ) from None
        with os.fdopen(fd, "w") as file:
            file.write(str(os.getpid()))
        reservation = Reservation(root / name, lock)
        if os.path.lexists(root / name) and not replace:
            reservation.release()
            raise CheckpointError(
                f"a model named {name!r} already exists: replace it or choose another name"
            )
        return reservation
    raise CheckpointError(f"the name {name!r} could not be reserved: try again")


def reserve_free_name(root: str | Path, base: str) -> Reservation:
    """Reserve ``base``, or the first free ``base-2``, ``base-3``, ... (atomically: two runs
    asking at once get two names)."""
    check_name(base)
    for n in range(1, MAX_TRIES + 1):
        name = base if n == 1 else f"{base[:60]}-{n}"
        if in_use(root, name):
            continue
        try:
            return reserve_name(root, name)
        except CheckpointError:
            continue  # taken between the look and the reservation
    raise CheckpointError(f"no free name like {base!r}: choose another name")


def owned_by(config: dict, owner: str | None) -> bool:
    """True when the checkpoint's config.json names ``owner`` as its owner."""
    return bool(owner) and config.get("owner") == owner


def _held(lock: Path) -> bool:
    """True when ``lock`` exists and its process is alive."""
    try:
        with open(lock, "rb") as file:
            pid = int(file.read(32).strip() or 0)
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # unreadable or half-written: treat as held
    if pid <= 0:  # being written right now, or left empty by a crash long ago
        try:
            return time.time() - lock.stat().st_mtime < 10
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
