"""A tiny task for trainer tests: running parity of a bit string, per step (hidden: the parity)."""

from __future__ import annotations

import torch

from lstm_viz.models.vocab import PAD, UNKNOWN, Vocab
from lstm_viz.tasks.base import IGNORE, Batch, Task


class RunningParity(Task):
    def __init__(self, n_train: int = 512, n_val: int = 128, max_len: int = 12, seed: int = 0):
        super().__init__(
            name="toy-parity",
            title="Running parity",
            description="After each bit, is the number of ones so far odd?",
            objective="step_class",
            num_outputs=2,
            vocab=Vocab((PAD, UNKNOWN, "0", "1")),
            hidden_variable="parity",
            seed=seed,
            params={"n_train": n_train, "n_val": n_val, "max_len": max_len},
        )
        g = torch.Generator().manual_seed(seed)
        make = lambda n: [  # noqa: E731
            torch.randint(
                0, 2, (int(torch.randint(2, max_len + 1, (1,), generator=g)),), generator=g
            )
            for _ in range(n)
        ]
        self._splits = {"train": make(n_train), "validation": make(n_val)}

    def sequences(self, split):
        return self._splits[split]

    def collate(self, examples):
        lengths = torch.tensor([len(e) for e in examples])
        inputs = torch.zeros(len(examples), int(lengths.max()), dtype=torch.int64)
        targets = torch.full_like(inputs, IGNORE)
        hidden = torch.full(inputs.shape, float("nan"))  # NaN on padding, as base.py says
        for b, bits in enumerate(examples):
            inputs[b, : len(bits)] = bits + 2  # ids of "0", "1"
            parity = bits.cumsum(0) % 2
            targets[b, : len(bits)] = parity
            hidden[b, : len(bits)] = parity.float()
        return Batch(inputs, targets, lengths, hidden)

    def sample(self):
        return "0110101"
