"""Our sequence model: an input layer, a recurrent core, and a head. Recordable with ``record``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_viz.recording.peephole import PeepholeLSTM
from lstm_viz.tasks.base import Objective

CELLS = ("lstm", "peephole_lstm", "gru", "rnn_tanh", "rnn_relu")
PER_STEP = ("next_token", "step_class", "step_value")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a SequenceModel; saved as the "model" part of config.json."""

    cell: str = "lstm"  # one of CELLS: the recurrent core
    vocab_size: int = 0  # > 0: the input is token ids, read through an embedding
    input_size: int = 0  # > 0: the input is numeric features per step, read through a linear layer
    embedding_size: int = 32  # width of the embedding (or of the numeric input projection)
    hidden_size: int = 64  # units per layer and direction
    num_layers: int = 1
    bidirectional: bool = False  # only for objectives that may look ahead (not next_token)
    dropout: float = 0.0  # between recurrent layers, while training
    objective: Objective = "next_token"  # what the head predicts (see tasks/base.py)
    num_outputs: int = 1  # classes, vocabulary size or values per prediction

    def __post_init__(self) -> None:
        problems = []
        if self.cell not in CELLS:
            problems.append(f"cell must be one of {CELLS}, got {self.cell!r}")
        if (self.vocab_size > 0) == (self.input_size > 0):
            problems.append("exactly one of vocab_size (tokens) and input_size (numbers) is > 0")
        for name, low, high in (
            ("embedding_size", 1, 4096),
            ("hidden_size", 1, 4096),
            ("num_layers", 1, 8),
            ("num_outputs", 1, 1_000_000),
        ):
            value = getattr(self, name)
            if not low <= value <= high:
                problems.append(f"{name} must be in [{low}, {high}], got {value}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        if self.bidirectional and self.objective == "next_token":
            problems.append("a next-token model cannot be bidirectional: it would see the answer")
        if problems:
            raise ValueError("; ".join(problems))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


def make_recurrent(config: ModelConfig) -> nn.Module:
    kwargs = dict(
        num_layers=config.num_layers,
        batch_first=True,
        dropout=config.dropout if config.num_layers > 1 else 0.0,
        bidirectional=config.bidirectional,
    )
    size = (config.embedding_size, config.hidden_size)
    if config.cell == "lstm":
        return nn.LSTM(*size, **kwargs)
    if config.cell == "peephole_lstm":
        return PeepholeLSTM(*size, **kwargs)
    if config.cell == "gru":
        return nn.GRU(*size, **kwargs)
    return nn.RNN(*size, nonlinearity=config.cell.removeprefix("rnn_"), **kwargs)


class SequenceModel(nn.Module):
    """input layer (embedding or linear) -> recurrent core -> linear head.

    forward(inputs [B, T] ids or [B, T, F] numbers, lengths [B] or None, state or None)
      -> (predictions, state): [B, T, num_outputs] per step (padded steps hold garbage), or
      [B, num_outputs] per sequence (read at each sequence's last step; a bidirectional core's
      backward half at step 0).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        if config.vocab_size > 0:
            self.embedding = nn.Embedding(config.vocab_size, config.embedding_size, padding_idx=0)
        else:
            self.embedding = nn.Linear(config.input_size, config.embedding_size)
        self.rnn = make_recurrent(config)
        directions = 2 if config.bidirectional else 1
        self.head = nn.Linear(directions * config.hidden_size, config.num_outputs)

    def forward(
        self, inputs: torch.Tensor, lengths: torch.Tensor | None = None, state: Any = None
    ) -> tuple[torch.Tensor, Any]:
        x = self.embedding(inputs)  # [B, T, E]
        steps = x.shape[1]
        ragged = lengths is not None and bool((lengths != steps).any())
        # Padding sits after the real steps, so a one-directional core reads every real step
        # exactly as without it, and padded predictions are never scored: packing (4x slower to
        # train on the CPU, here) is only needed so a backward direction starts at each end.
        # (The returned state is then the state after the padding, for ragged batches.)
        if ragged and self.config.bidirectional:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed, state)
            out = pad_packed_sequence(out, batch_first=True, total_length=steps)[0]
        else:
            out, state = self.rnn(x, state)  # [B, T, D*H]
        if self.config.objective in PER_STEP:
            return self.head(out), state  # [B, T, O]
        batch = torch.arange(out.shape[0], device=out.device)
        last = (
            (lengths.to(out.device) - 1)
            if lengths is not None
            else torch.full_like(batch, steps - 1)
        )
        size = self.config.hidden_size
        summary = out[batch, last, :size]  # forward direction: after the last real step
        if self.config.bidirectional:  # backward direction: after reading back to step 0
            summary = torch.cat([summary, out[:, 0, size:]], dim=-1)
        return self.head(summary), state  # [B, O]

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
