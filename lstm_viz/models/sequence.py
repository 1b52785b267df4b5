"""Our sequence model: an input layer, a recurrent core, and a head. Recordable with ``record``."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_viz.recording.naming import GATE_BLOCKS
from lstm_viz.recording.peephole import PeepholeLSTM

CELLS = ("lstm", "peephole_lstm", "gru", "rnn_tanh", "rnn_relu")

# What the head predicts:
#   next_token     language modelling: at every step, the next token (targets [B, T] token ids)
#   step_class     at every step, one of num_outputs classes (targets [B, T])
#   step_value     at every step, num_outputs real values (targets [B, T, num_outputs])
#   sequence_class once per sequence, after its last step, one of num_outputs classes (targets [B])
#   sequence_value once per sequence, num_outputs real values (targets [B, num_outputs])
Objective = Literal["next_token", "step_class", "step_value", "sequence_class", "sequence_value"]

PER_STEP = ("next_token", "step_class", "step_value")
# Hard ceilings for any model lstm_viz builds or loads (checked before allocating anything):
MAX_PARAMETERS = 100_000_000  # 400 MB of float32 weights
MAX_VOCAB_SIZE = 1_000_000
MAX_INPUT_SIZE = 100_000


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
    objective: Objective = "next_token"  # what the head predicts (see Objective above)
    num_outputs: int = 1  # classes, vocabulary size or values per prediction

    def __post_init__(self) -> None:
        problems = []
        if self.cell not in CELLS:
            problems.append(f"cell must be one of {CELLS}, got {self.cell!r}")
        if (self.vocab_size > 0) == (self.input_size > 0):
            problems.append("exactly one of vocab_size (tokens) and input_size (numbers) is > 0")
        for name, kind in _TYPES.items():
            value = getattr(self, name)
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
                problems.append(f"{name} must be {_TYPE_WORDS[kind]}, got {value!r:.40}")
        if problems:
            raise ValueError("; ".join(problems))
        if self.objective not in get_args(Objective):
            problems.append(
                f"objective must be one of {get_args(Objective)}, got {self.objective!r}"
            )
        for name, low, high in (
            ("vocab_size", 0, MAX_VOCAB_SIZE),
            ("input_size", 0, MAX_INPUT_SIZE),
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
        if not problems and self.num_parameters() > MAX_PARAMETERS:
            problems.append(
                f"the model would have {self.num_parameters():,} parameters; "
                f"at most {MAX_PARAMETERS:,} are built"
            )
        if problems:
            raise ValueError("; ".join(problems))

    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        """{name: shape} of SequenceModel(self).state_dict(), computed without building it."""
        directions = 2 if self.bidirectional else 1
        rows, hidden = GATE_BLOCKS[self.cell] * self.hidden_size, self.hidden_size
        if self.vocab_size > 0:
            shapes = {"embedding.weight": (self.vocab_size, self.embedding_size)}
        else:
            shapes = {
                "embedding.weight": (self.embedding_size, self.input_size),
                "embedding.bias": (self.embedding_size,),
            }
        for layer in range(self.num_layers):
            inputs = self.embedding_size if layer == 0 else directions * hidden
            for direction in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                shapes[f"rnn.weight_ih{sfx}"] = (rows, inputs)
                shapes[f"rnn.weight_hh{sfx}"] = (rows, hidden)
                shapes[f"rnn.bias_ih{sfx}"] = (rows,)
                shapes[f"rnn.bias_hh{sfx}"] = (rows,)
                if self.cell == "peephole_lstm":
                    shapes[f"rnn.weight_peephole{sfx}"] = (3, hidden)
        shapes["head.weight"] = (self.num_outputs, directions * hidden)
        shapes["head.bias"] = (self.num_outputs,)
        return shapes

    def num_parameters(self) -> int:
        """The parameter count of SequenceModel(self), computed without building it."""
        return sum(math.prod(shape) for shape in self.state_shapes().values())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        """The config a checkpoint's "model" section describes; ValueError (one line) for
        anything else: not an object, unknown fields, wrong types, values out of range, or a
        model over MAX_PARAMETERS (nothing is allocated)."""
        if not isinstance(data, dict):
            raise ValueError(f"the model settings must be an object, got {type(data).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


_KINDS = {"str": str, "int": numbers.Integral, "bool": bool, "float": numbers.Real}
_TYPES = {f.name: _KINDS.get(f.type, str) for f in fields(ModelConfig)}  # objective: str
_TYPE_WORDS = {
    str: "text",
    numbers.Integral: "a whole number",
    bool: "true or false",
    numbers.Real: "a number",
}


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
