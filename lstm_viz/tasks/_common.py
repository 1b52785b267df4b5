"""Pieces every task family shares: padding, a train/validation split by hash, reading user text."""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch

from .base import IGNORE

Example = TypeVar("Example")

VALIDATION_SHARE = 5  # split_by_hash: one key in this many lands in validation
INLINE_CHARS = 20_000  # user text/CSV up to this size is kept in Task.params (to rebuild the task)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # control characters that text rarely has


def pad_ids(rows: Sequence[Sequence[int] | torch.Tensor], value: int = 0) -> torch.Tensor:
    """Token ids of ragged rows -> [B, T] int64, padded at the end with ``value``."""
    steps = max(len(row) for row in rows)
    out = torch.full((len(rows), steps), value, dtype=torch.int64)
    for b, row in enumerate(rows):
        out[b, : len(row)] = torch.as_tensor(row, dtype=torch.int64)
    return out


def pad_floats(rows: Sequence[torch.Tensor], value: float = float("nan")) -> torch.Tensor:
    """Ragged float rows [T_b] or [T_b, F] -> [B, T] or [B, T, F] float32, padded with ``value``.

    Hidden variables are padded with NaN (never silently zero, as in a Trace).
    """
    steps = max(len(row) for row in rows)
    out = torch.full((len(rows), steps, *rows[0].shape[1:]), value, dtype=torch.float32)
    for b, row in enumerate(rows):
        out[b, : len(row)] = row
    return out


def lengths_of(rows: Sequence[Sequence]) -> torch.Tensor:
    """[B] int64: each row's length."""
    return torch.tensor([len(row) for row in rows], dtype=torch.int64)


def class_targets(rows: Sequence[Sequence[int] | torch.Tensor]) -> torch.Tensor:
    """Per-step class targets of ragged rows -> [B, T] int64, IGNORE on padding."""
    return pad_ids(rows, IGNORE)


def split_by_hash(
    draw: Callable[[], Example],
    key: Callable[[Example], str],
    train_size: int,
    validation_size: int,
    what: str,
) -> dict[str, list[Example]]:
    """Draw examples until both splits are full; a stable hash of ``key(example)`` picks the split.

    Equal keys always land in the same split, so train and validation never share an example
    (repeats within a split are kept: they are part of the distribution). ``what`` names the
    examples in the error raised when the generator cannot fill validation.
    """
    splits: dict[str, list[Example]] = {"train": [], "validation": []}
    wanted = {"train": train_size, "validation": validation_size}
    budget = 20 * (train_size + validation_size) + 1000
    for _ in range(budget):
        example = draw()
        split = (
            "validation" if zlib.crc32(key(example).encode()) % VALIDATION_SHARE == 0 else "train"
        )
        if len(splits[split]) < wanted[split]:
            splits[split].append(example)
            if all(len(splits[s]) == wanted[s] for s in splits):
                return splits
    raise ValueError(
        f"could not draw {train_size} training and {validation_size} validation {what} that differ "
        "between the splits: too few distinct ones; allow longer or more varied examples"
    )


def local_rng(seed: int, stream: str) -> random.Random:
    """A private random.Random for one named stream of a task (never the global state)."""
    return random.Random(f"{stream}:{seed}")


def read_text(data: str | bytes, what: str, max_chars: int) -> str:
    """User data -> text with "\\n" line ends; ValueError for empty, binary or over-limit input.

    ``what`` names the input in messages ("text", "CSV file").
    """
    if data is None:
        raise ValueError(f"no {what} was given")
    if not isinstance(data, (str, bytes, bytearray)):
        raise ValueError(f"the {what} must be a str or bytes, got {type(data).__name__}")
    if len(data) > 4 * max_chars or (isinstance(data, str) and len(data) > max_chars):
        raise ValueError(f"the {what} is too long: at most {max_chars:,} characters")
    if isinstance(data, (bytes, bytearray)):
        if b"\x00" in data:
            raise ValueError(f"the {what} looks binary (it has NUL bytes); give UTF-8 text")
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"the {what} is not UTF-8 text (undecodable byte at position {error.start}); "
                "save it as UTF-8"
            ) from None
    text = data.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValueError(f"the {what} is empty")
    if len(text) > max_chars:
        raise ValueError(f"the {what} is too long: at most {max_chars:,} characters")
    if "\x00" in text:
        raise ValueError(f"the {what} looks binary (it has NUL characters); give plain text")
    if len(_CONTROL.findall(text)) > 0.01 * len(text):
        raise ValueError(f"the {what} looks binary (over 1% control characters); give plain text")
    return text
