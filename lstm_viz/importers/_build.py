"""From an imported layer to a module ``record`` records, its input, and the check against a
reference (nn.LSTM/GRU/RNN always; onnxruntime and Keras when installed)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from lstm_viz.recording.peephole import PeepholeLSTM

from ._core import ModelFileError, RecurrentLayer


@dataclass(frozen=True)
class Choice:
    """What to build from a layer: with its embedding and head (by name, or none), and, for a
    vanilla RNN, its nonlinearity."""

    embedding: str | None = None  # the name of one of layer.embeddings, or None: read features
    head: str | None = None  # the name of one of layer.heads, or None: no head
    nonlinearity: str | None = None  # "tanh" or "relu", for an RNN; None: as found


class ImportedModel(nn.Module):
    """embedding (optional) -> the recurrent module -> linear head (optional).

    forward(inputs [B, T] token ids with an embedding, else [B, T, input_size])
      -> (head output [B, T, O] or the recurrent output [B, T, D*P], final state)
    """

    def __init__(
        self, rnn: nn.Module, embedding: nn.Embedding | None, head: nn.Linear | None
    ) -> None:
        super().__init__()
        self.embedding = embedding
        self.rnn = rnn
        self.head = head

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, Any]:
        x = self.embedding(inputs) if self.embedding is not None else inputs  # [B, T, I]
        out, state = self.rnn(x)  # [B, T, D*P]
        return (self.head(out) if self.head is not None else out), state


def recurrent_module(layer: RecurrentLayer, nonlinearity: str | None = None) -> nn.Module:
    """The nn.LSTM / nn.GRU / nn.RNN / PeepholeLSTM (batch_first) holding the layer's weights."""
    if layer.problems:
        raise ModelFileError(f"layer {layer.name!r} cannot be used: {'; '.join(layer.problems)}")
    kwargs = dict(
        num_layers=layer.num_layers,
        bias=layer.bias,
        batch_first=True,
        bidirectional=layer.bidirectional,
    )
    size = (layer.input_size, layer.hidden_size)
    kind = layer.kind
    if kind.startswith("rnn") and nonlinearity:
        if nonlinearity not in ("tanh", "relu"):
            raise ModelFileError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        kind = f"rnn_{nonlinearity}"
    with torch.device("meta"):  # no memory until the file's weights are put in
        if kind == "lstm":
            module = nn.LSTM(*size, proj_size=layer.proj_size, **kwargs)
        elif kind == "peephole_lstm":
            module = PeepholeLSTM(*size, **kwargs)
        elif kind == "gru":
            module = nn.GRU(*size, **kwargs)
        else:
            module = nn.RNN(*size, nonlinearity=kind.removeprefix("rnn_"), **kwargs)
    module.load_state_dict(layer.weights, assign=True)
    if isinstance(module, nn.RNNBase):
        module._init_flat_weights()  # the fused kernel's view of the weights just assigned
    return module.eval()


def build(layer: RecurrentLayer, choice: Choice | None = None) -> nn.Module:
    """A module ``lstm_viz.record`` records: the bare recurrent module, or an ImportedModel with
    the chosen embedding and head. ModelFileError for an unusable layer or choice."""
    choice = choice or Choice()
    rnn = recurrent_module(layer, choice.nonlinearity)
    if choice.embedding is None and choice.head is None:
        return rnn
    embedding = head = None
    if choice.embedding is not None:
        found = _pick(layer.embeddings, choice.embedding, "embedding", layer)
        _check_finite(found.weight, found.name)
        embedding = nn.Embedding.from_pretrained(found.weight, freeze=True)
    if choice.head is not None:
        found = _pick(layer.heads, choice.head, "head", layer)
        _check_finite(found.weight, found.name)
        head = nn.Linear(found.weight.shape[1], found.weight.shape[0], bias=found.bias is not None)
        with torch.no_grad():
            head.weight.copy_(found.weight)
            if found.bias is not None:
                head.bias.copy_(found.bias)
    return ImportedModel(rnn, embedding, head).eval()


def _pick(candidates: list, name: str, what: str, layer: RecurrentLayer):
    for candidate in candidates:
        if candidate.name == name:
            return candidate
    known = ", ".join(repr(c.name) for c in candidates) or "none"
    raise ModelFileError(f"layer {layer.name!r} has no {what} {name!r} beside it (found: {known})")


def _check_finite(weight: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(weight).all()):
        raise ModelFileError(f"{name} has NaN/Inf weights")


def default_choice(layer: RecurrentLayer, embedding: bool = True, head: bool = True) -> Choice:
    """The most likely embedding and head found beside the layer (when asked for and found)."""
    return Choice(
        embedding=layer.embeddings[0].name if embedding and layer.embeddings else None,
        head=layer.heads[0].name if head and layer.heads else None,
    )


# ---- the check ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One comparison of our recording with a reference implementation on the same weights."""

    reference: str  # e.g. "torch.nn.LSTM", "onnxruntime 1.23", "Keras 3.15 (torch backend)"
    max_difference: float  # largest |ours - reference| over every compared number
    compared: str  # what was compared, in words

    @property
    def ok(self) -> bool:
        return math.isfinite(self.max_difference) and self.max_difference < 1e-4


def recurrent_input(module: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """What the recurrent module itself reads: the embedded ids, or the features as they are."""
    embedding = getattr(module, "embedding", None)
    with torch.no_grad():
        return embedding(inputs) if embedding is not None else inputs  # [B, T, I]


def check_with_torch(layer: RecurrentLayer, x: torch.Tensor, trace: Any) -> Check:
    """Replay through a fresh nn.LSTM/GRU/RNN (or PeepholeLSTM) with the same weights: the last
    layer's output at every step, and every layer's final h (and c) against the trace."""
    rnn = recurrent_module(layer, _nonlinearity(trace))
    with torch.no_grad():
        output, state = rnn(x)  # [B, T, D*P]
    hidden = trace.hidden  # [L, D, B, T, P]
    dirs, size = layer.directions, hidden.shape[-1]
    diffs = []
    for d in range(dirs):
        ours = hidden[-1, d]  # [B, T, P]
        diffs.append((ours - output[..., d * size : (d + 1) * size]).abs().max())
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    for k in range(layer.num_layers):
        for d in range(dirs):
            last = 0 if d else hidden.shape[3] - 1
            diffs.append((hidden[k, d, :, last] - h_n[k * dirs + d]).abs().max())
            if c_n is not None:
                diffs.append((trace.cell[k, d, :, last] - c_n[k * dirs + d]).abs().max())
    name = {"lstm": "LSTM", "peephole_lstm": "PeepholeLSTM", "gru": "GRU"}.get(layer.kind, "RNN")
    where = "lstm_viz." if layer.kind == "peephole_lstm" else "torch.nn."
    return Check(
        f"{where}{name}",
        float(torch.stack(diffs).max()),
        "the last layer's hidden state at every step, every layer's final states",
    )


def _nonlinearity(trace: Any) -> str | None:
    return trace.kind.removeprefix("rnn_") if trace.kind.startswith("rnn") else None


def checks(layer: RecurrentLayer, x: torch.Tensor, trace: Any) -> list[Check]:
    """Every check available for this layer: nn.* always, the format's own runtime when it is
    installed (onnxruntime, Keras). x: what the recurrent module read [B, T, I]."""
    found = [check_with_torch(layer, x, trace)]
    reference = layer.reference or {}
    if reference.get("format") == "onnx":
        from ._onnx_check import check_with_onnxruntime

        result = check_with_onnxruntime(layer, x, trace)
        if result is not None:
            found.append(result)
    elif reference.get("format") == "keras":
        from ._keras_check import check_with_keras

        result = check_with_keras(layer, x, trace)
        if result is not None:
            found.append(result)
    return found
