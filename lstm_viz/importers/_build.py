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
    max_difference: float  # largest |ours - reference| over every compared number; NaN: not run
    compared: str  # what was compared, in words (or why it was not run)
    # "replay": our recording vs our reading (the same weights through nn.LSTM/GRU/RNN);
    # "runtime": our reading vs the file's own runtime (its graph in onnxruntime, its model in
    # Keras).
    role: str = "replay"

    @property
    def ok(self) -> bool:
        return math.isfinite(self.max_difference) and self.max_difference < TOLERANCE

    @property
    def ran(self) -> bool:
        return math.isfinite(self.max_difference)

    @property
    def status(self) -> str:
        """'agrees', 'DIFFERS' or 'not run'."""
        return "agrees" if self.ok else "DIFFERS" if self.ran else "not run"

    @property
    def title(self) -> str:
        return {
            "runtime": "our reading vs the file's runtime",
            "replay": "our recording vs our reading",
        }.get(self.role, "the mapping")

    def __str__(self) -> str:
        if not self.ran:
            return f"{self.title} ({self.reference}): not run: {self.compared}"
        return (
            f"{self.title} ({self.reference}): {self.status}, max |difference| "
            f"{self.max_difference:.3g} ({self.compared})"
        )


class Checked:
    """What a recording says of its ``checks`` (a list of Check), for the CLI and the page."""

    checks: list[Check]

    @property
    def disagrees(self) -> bool:
        """A check ran and found our numbers differ from its reference (show it in red)."""
        return any(c.ran and not c.ok for c in self.checks)

    @property
    def runtime_checked(self) -> bool:
        """Our reading was compared with the file's own runtime, and agreed."""
        return any(c.role == "runtime" and c.ok for c in self.checks)


TOLERANCE = 1e-4  # the largest difference a check calls agreement


def recurrent_input(module: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """What the recurrent module itself reads: the embedded ids, or the features as they are."""
    embedding = getattr(module, "embedding", None)
    with torch.no_grad():
        return embedding(inputs) if embedding is not None else inputs  # [B, T, I]


def check_with_torch(
    layer: RecurrentLayer, x: torch.Tensor, trace: Any, initial_state: Any = None
) -> Check:
    """Replay through a fresh nn.LSTM/GRU/RNN (or PeepholeLSTM) with the same weights: the last
    layer's output at every step, and every layer's final h (and c) against the trace."""
    rnn = recurrent_module(layer, _nonlinearity(trace))
    flip = 3 if layer.reverse else None  # a reverse layer: recorded on the reversed input
    with torch.no_grad():
        read = x.flip(1) if flip else x
        output, state = rnn(read) if initial_state is None else rnn(read, initial_state)
    hidden = trace.hidden.flip(flip) if flip else trace.hidden  # [L, D, B, T, P]
    cell = trace.cell.flip(flip) if flip and "cell" in trace.names else getattr(trace, "cell", None)
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
                diffs.append((cell[k, d, :, last] - c_n[k * dirs + d]).abs().max())
    name = {"lstm": "LSTM", "peephole_lstm": "PeepholeLSTM", "gru": "GRU"}.get(layer.kind, "RNN")
    where = "lstm_viz." if layer.kind == "peephole_lstm" else "torch.nn."
    return Check(
        f"{where}{name}",
        float(torch.stack(diffs).max()),
        "the last layer's hidden state at every step, every layer's final states",
    )


def _nonlinearity(trace: Any) -> str | None:
    return trace.kind.removeprefix("rnn_") if trace.kind.startswith("rnn") else None


def checks(
    layer: RecurrentLayer,
    x: torch.Tensor,
    trace: Any,
    ids: torch.Tensor | None = None,
    initial_state: Any = None,
) -> list[Check]:
    """Every check available for this layer: our recording vs our reading (nn.* on the same
    weights) always; our reading vs the file's own runtime where one exists and is installed
    (the uploaded ONNX graph in onnxruntime; the Keras file loaded by Keras in safe mode, in a
    child process). A file of weights only (a state dict) has no runtime: record_imported's
    notes say so and list the choices made.
    x: what the recurrent module read [B, T, I]; ids: the token ids [B, T] when it read them
    through the file's embedding (the runtime then starts from them); initial_state: h0 or
    (h0, c0) [L*D, B, H] when the recording started from them."""
    found = [check_with_torch(layer, x, trace, initial_state)]
    reference = layer.reference or {}
    result = None
    if reference.get("format") == "onnx":
        from ._onnx_check import check_with_onnxruntime

        result = check_with_onnxruntime(layer, x, trace, ids, initial_state)
    elif reference.get("format") == "keras":
        from ._keras_check import check_with_keras

        result = check_with_keras(layer, x, trace, ids)
    if result is not None:
        found.append(result)
    return found
