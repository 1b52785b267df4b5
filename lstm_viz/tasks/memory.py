"""Long-range memory: problems where a vanilla RNN fails and an LSTM learns.

adding  (Hochreiter & Schmidhuber, 1997) T steps of (value, marker): values uniform in [0, 1],
        exactly two markers, one in each half of the sequence. After the last step, output the
        sum of the two marked values. Metric: mean squared error. Always answering 1.0 (the mean
        sum) scores 1/6 ~ 0.167; we call the problem solved below 0.01. The known hidden variable
        ``marked_sum`` is the sum of the marked values read so far: an LSTM keeps it in a cell.
copy    read ``length`` random symbols, then a run of blanks, then a recall marker "?". From the
        marker on, output the symbols in order, one per step. Only those recall steps are
        scored (the others are IGNORE), so chance accuracy is 1 / symbols. Each sequence waits
        its own number of blanks, drawn from min_delay..max_delay: the short waits show an
        LSTM how to hold a symbol, and it then holds it across the long ones (hidden 64, one CPU
        thread: >= 99% in about 10 s with the defaults, while a vanilla RNN stays near chance).
        With min_delay = max_delay it is the classic fixed-delay task, which every network is
        much slower to start learning.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from lstm_viz.models.vocab import PAD, UNKNOWN, Vocab

from ._common import class_targets, lengths_of, local_rng, pad_ids, split_by_hash
from .base import IGNORE, Batch, Task

BLANK, RECALL = "-", "?"
ADDING_SOLVED_MSE = 0.01

Split = Literal["train", "validation"]


class AddingTask(Task):
    """The adding problem (see the module docstring). Inputs [T, 2], one target value."""

    def __init__(
        self,
        length: int = 100,
        train_size: int = 10_000,
        validation_size: int = 1000,
        seed: int = 0,
    ) -> None:
        super().__init__(
            name="adding",
            title=f"The adding problem (T = {length})",
            description="Add the two marked numbers of a long sequence. The first mark may come "
            f"{length // 2} or more steps before the answer: a classic test of long-range memory.",
            objective="sequence_value",
            num_outputs=1,
            vocab=None,
            input_size=2,
            hidden_variable="marked_sum",
            metric="mse",
            seed=seed,
            params={
                "length": length,
                "train_size": train_size,
                "validation_size": validation_size,
                "seed": seed,
            },
        )
        generator = torch.Generator().manual_seed(seed)
        half = length // 2
        self._splits = {}
        for split, size in (("train", train_size), ("validation", validation_size)):
            values = torch.rand(size, length, generator=generator)  # [N, T]
            first = torch.randint(0, half, (size,), generator=generator)
            second = torch.randint(half, length, (size,), generator=generator)
            markers = torch.zeros(size, length)
            markers[torch.arange(size), first] = 1.0
            markers[torch.arange(size), second] = 1.0
            self._splits[split] = torch.stack([values, markers], dim=-1)  # [N, T, 2]

    def sequences(self, split: Split) -> Sequence[torch.Tensor]:
        """[T, 2] per sequence: (value, marker) at each step."""
        return self._splits[split]

    def collate(self, examples: Sequence[torch.Tensor]) -> Batch:
        """Inputs [B, T, 2]; targets [B, 1]: the marked sum; hidden [B, T]: the sum so far."""
        inputs = torch.stack(list(examples))  # [B, T, 2]
        marked = (inputs[..., 0] * inputs[..., 1]).cumsum(1)  # [B, T]
        return Batch(
            inputs=inputs,
            targets=marked[:, -1:],  # [B, 1]
            lengths=torch.full((len(inputs),), inputs.shape[1]),  # [B]
            hidden=marked,
        )

    def sample(self) -> torch.Tensor:
        """[T, 2]: the first validation sequence."""
        return self._splits["validation"][0]


@dataclass(frozen=True)
class Recall:
    symbols: str  # what to remember, e.g. "cabde"
    delay: int  # blanks between the symbols and the recall marker


class CopyTask(Task):
    """The copy task (see the module docstring). Tokens; targets only on the recall steps."""

    def __init__(
        self,
        symbols: int = 8,
        length: int = 5,
        min_delay: int = 0,
        max_delay: int = 30,
        train_size: int = 5000,
        validation_size: int = 500,
        seed: int = 0,
    ) -> None:
        if not 2 <= symbols <= 26:
            raise ValueError(f"symbols must be in [2, 26], got {symbols}")
        if min_delay > max_delay:
            raise ValueError(f"min_delay ({min_delay}) must be <= max_delay ({max_delay})")
        alphabet = string.ascii_lowercase[:symbols]
        delays = f"{min_delay}" if min_delay == max_delay else f"{min_delay}-{max_delay}"
        super().__init__(
            name="copy",
            title=f"Copy {length} symbols across {delays} blanks",
            description=f"Read {length} symbols, wait {delays} steps, then repeat them when '?' "
            "appears. Look for units that hold a symbol through the wait, forget gates near 1.",
            objective="step_class",
            num_outputs=symbols,
            vocab=Vocab((PAD, UNKNOWN, *alphabet, BLANK, RECALL)),
            output_labels=list(alphabet),
            seed=seed,
            params={
                "symbols": symbols,
                "length": length,
                "min_delay": min_delay,
                "max_delay": max_delay,
                "train_size": train_size,
                "validation_size": validation_size,
                "seed": seed,
            },
        )
        self.alphabet = alphabet
        rng = local_rng(seed, "copy")

        def draw() -> Recall:
            symbols = "".join(rng.choice(alphabet) for _ in range(length))
            return Recall(symbols, rng.randint(min_delay, max_delay))

        # Split by the symbols alone: no string to remember is seen in both splits.
        self._splits = split_by_hash(
            draw, lambda r: r.symbols, train_size, validation_size, "symbol strings"
        )

    def sequences(self, split: Split) -> Sequence[Recall]:
        return self._splits[split]

    @staticmethod
    def text(recall: Recall) -> str:
        """What the network reads: the symbols, the blanks, the marker, blanks while recalling."""
        return recall.symbols + BLANK * recall.delay + RECALL + BLANK * (len(recall.symbols) - 1)

    def collate(self, examples: Sequence[Recall]) -> Batch:
        """Inputs [B, T] ids; targets [B, T]: the symbol index on recall steps, IGNORE elsewhere."""
        assert self.vocab is not None
        texts = [self.text(recall) for recall in examples]
        targets = [
            [IGNORE] * (len(text) - len(r.symbols)) + [self.alphabet.index(s) for s in r.symbols]
            for r, text in zip(examples, texts, strict=True)
        ]
        return Batch(
            inputs=pad_ids([self.vocab.encode(text) for text in texts]),  # [B, T]
            targets=class_targets(targets),  # [B, T]
            lengths=lengths_of(texts),  # [B]
        )

    def sample(self) -> str:
        length, delay = self.params["length"], self.params["max_delay"]
        return self.text(Recall((self.alphabet * length)[:length], delay))


# adding_task: The adding problem at ``length`` steps; solved means validation mse <
# ADDING_SOLVED_MSE. The factory is the class itself, so the defaults are written once (in
# __init__).
adding_task = AddingTask


# copy_task: Remember ``length`` of ``symbols`` symbols across min_delay..max_delay blank steps.
# The factory is the class itself, so the defaults are written once (in __init__).
copy_task = CopyTask
