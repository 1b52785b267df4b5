"""Small user-style models the tests save and upload, as people write them."""

from __future__ import annotations

import torch
from torch import nn


class Classifier(nn.Module):
    """The typical user model: embedding -> 2-layer LSTM (batch_first) -> linear head, 3 classes.
    ``head``: the head's attribute name (people write ``fc`` or ``head``)."""

    def __init__(self, vocab_size: int = 20, hidden: int = 16, head: str = "fc") -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 10)
        self.lstm = nn.LSTM(10, hidden, num_layers=2, batch_first=True)
        self.head_name = head
        setattr(self, head, nn.Linear(hidden, 3))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        output, _ = self.lstm(self.embedding(ids))  # [B, T, H]
        return getattr(self, self.head_name)(output[:, -1])
