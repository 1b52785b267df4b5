"""What a task is: sequences to learn from, a train/validation split, and what to predict.

Every task yields :class:`Batch` es of padded, batch-first tensors. Where a task has one, it also
yields its known hidden variable per step (bracket depth, phase, ...) so analyses can check which
unit tracks it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch

from lstm_viz.models.sequence import Objective  # noqa: F401 (tasks name what they train)
from lstm_viz.models.vocab import Vocab

IGNORE = -100  # class target: "nothing is scored at this step" (cross_entropy's ignore_index)


@dataclass
class Batch:
    """A batch of sequences, padded at the end. B sequences, T steps."""

    inputs: torch.Tensor  # [B, T] int64 token ids, or [B, T, F] float32 numeric features
    targets: torch.Tensor  # see Objective
    lengths: torch.Tensor  # [B] int64, each sequence's real length (>= 1)
    hidden: torch.Tensor | None = None  # [B, T] float32: the known hidden variable (NaN on padding)

    @property
    def mask(self) -> torch.Tensor:
        """[B, T] bool: True on real steps, False on padding."""
        steps = self.inputs.shape[1]
        return torch.arange(steps)[None, :] < self.lengths[:, None]

    def to(self, device: torch.device | str) -> Batch:
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return Batch(move(self.inputs), move(self.targets), self.lengths, move(self.hidden))


@dataclass
class Task:
    """A learning problem with a fixed train/validation split (deterministic given its seed).

    Subclasses fill the fields and implement ``sequences`` (the raw examples of a split) and
    ``collate`` (examples -> Batch). ``batches`` and ``sample`` come for free.
    """

    name: str  # registry name, e.g. "dyck"
    title: str  # for people, e.g. "Bracket matching (Dyck-2)"
    description: str  # one or two sentences: what is learned and why it is interesting
    objective: Objective
    num_outputs: int  # classes, vocabulary size (next_token) or real values per prediction
    vocab: Vocab | None  # token tasks: the input vocabulary; None for numeric input
    input_size: int = 0  # numeric tasks: features per step
    hidden_variable: str | None = None  # name of the known hidden variable, e.g. "depth"
    metric: str = "accuracy"  # "accuracy" (higher is better), "bits_per_token", "mse" (lower)
    output_labels: Sequence[str] | None = None  # class names for step_class / sequence_class
    seed: int = 0
    params: dict = field(default_factory=dict)  # the generator's parameters, to rebuild the task

    @property
    def input_kind(self) -> Literal["tokens", "numeric"]:
        return "tokens" if self.vocab is not None else "numeric"

    def sequences(self, split: Literal["train", "validation"]) -> Sequence:
        raise NotImplementedError

    def collate(self, examples: Sequence) -> Batch:
        raise NotImplementedError

    def batches(
        self,
        split: Literal["train", "validation"],
        batch_size: int,
        shuffle: bool | None = None,
        generator: torch.Generator | None = None,
    ) -> Iterator[Batch]:
        """The split in batches; training batches are shuffled by default."""
        examples = self.sequences(split)
        order = range(len(examples))
        if shuffle if shuffle is not None else split == "train":
            order = torch.randperm(len(examples), generator=generator).tolist()
        for start in range(0, len(examples), batch_size):
            yield self.collate([examples[i] for i in order[start : start + batch_size]])

    # True for tasks that are one long stream (language modelling on a corpus): row b of batch k+1
    # continues row b of batch k, so a trainer may carry the state over (truncated BPTT).
    continues: bool = False

    def sample(self) -> str | torch.Tensor:
        """A sensible input to look at in Explore: text for token tasks, [T, F] for numeric."""
        raise NotImplementedError
