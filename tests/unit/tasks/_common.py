"""What the task tests share: small sizes for every registered task, and batch helpers."""

from __future__ import annotations

import itertools

import torch

from lstm_viz.tasks import TASKS, Batch, Task, make_task

USER_TEXT = "\n".join(
    f"Line {i}: the quick brown fox jumps over the lazy dog, {i * i} times." for i in range(60)
)
CSV = "time,value,label\n" + "\n".join(f"{i},{3 * i + 7},x{i}" for i in range(200))

# Small sizes keep the whole file fast; every registered task is here.
SMALL = {
    "text-english": {"seq_len": 50},
    "text-python": {"max_chars": 50_000, "seq_len": 50},
    "text-user": {"text": USER_TEXT, "seq_len": 40},
    "grammar": {"train_size": 300, "validation_size": 100},
    "dyck": {"train_size": 300, "validation_size": 100},
    "sines": {"train_size": 40, "validation_size": 20, "length": 60},
    "ecg": {"train_seconds": 20, "validation_seconds": 10, "length": 60},
    "csv": {"data": CSV, "column": "value", "window": 30},
    "adding": {"train_size": 200, "validation_size": 50},
    "copy": {"train_size": 200, "validation_size": 50, "max_delay": 10},
    "parity": {"train_size": 300, "validation_size": 100},
    "agreement": {"train_size": 300, "validation_size": 100},
}
STREAMS = {"text-english", "text-python", "text-user"}
SEEDED = sorted(set(TASKS) - STREAMS - {"csv"})  # tasks whose data a seed draws


def build(name: str, **overrides) -> Task:
    return make_task(name, **{**SMALL[name], **overrides})


def first_batches(task: Task, split: str, count: int = 3, seed: int = 7) -> list[Batch]:
    generator = torch.Generator().manual_seed(seed)
    batches = task.batches(split, 16, shuffle=split == "train", generator=generator)
    return list(itertools.islice(batches, count))


def same(a: Batch, b: Batch) -> bool:
    """Equal batches (NaN equals NaN: hidden variables are NaN on padding)."""
    for x, y in [(a.inputs, b.inputs), (a.targets, b.targets), (a.lengths, b.lengths),
                 (a.hidden, b.hidden)]:  # fmt: skip
        if (x is None) != (y is None):
            return False
        if x is not None and not (x.shape == y.shape and x.nan_to_num(-7).equal(y.nan_to_num(-7))):
            return False
    return True


def texts(task: Task, batch: Batch) -> list[list[str]]:
    """The real tokens of each row, decoded."""
    assert task.vocab is not None
    rows = zip(batch.inputs, batch.lengths, strict=True)
    return [task.vocab.decode(row[:n].tolist()) for row, n in rows]
