"""What every importer returns: the recurrent layers found in a file, in PyTorch's own layout.

Each format's reader turns the file into ``RecurrentLayer``s whose weights are named and laid out
exactly as an ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (or our ``PeepholeLSTM``) names and lays out its
parameters (``weight_ih_l0``, ``bias_hh_l1_reverse``, gate blocks i, f, g, o / r, z, n), so one
``build()`` serves every format. Nothing from a file is executed: readers only parse data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import torch

from lstm_viz.recording.naming import GATE_BLOCKS, suffix

# onnxruntime's telemetry opt-outs, read when it initializes: they must be set before it is
# imported. ORT_DISABLE_TELEMETRY is the one its 1DS telemetry reads (1.32: with it no socket
# opens; with only ORT_TELEMETRY_DISABLED its uploader still resolved an outside host).
ORT_TELEMETRY_OFF = {"ORT_DISABLE_TELEMETRY": "1", "ORT_TELEMETRY_DISABLED": "1"}


def onnxruntime_telemetry_off() -> None:
    """Switch onnxruntime's telemetry off for this process (where the environment does not
    already decide); call before ``import onnxruntime``."""
    for name, value in ORT_TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)


onnxruntime_telemetry_off()  # every import of lstm_viz.importers, before anything loads onnxruntime

# ---- limits (the Upload page states them) -------------------------------------------------------

# A file format -> the packages its own runtime's check needs (onnxruntime runs the graph; Keras
# loads the file in safe mode). The checks skip when one is missing; the Upload page says which.
RUNTIME_PACKAGES = {"onnx": ("onnx", "onnxruntime"), "keras": ("keras",), "keras-h5": ("keras",)}


def missing_runtime(file_format: str) -> list[str]:
    """The packages of RUNTIME_PACKAGES[file_format] this Python lacks ([] for other formats)."""
    from importlib.util import find_spec

    return [name for name in RUNTIME_PACKAGES.get(file_format, ()) if find_spec(name) is None]


MAX_FILE_MB = 200  # the largest file read; .streamlit/config.toml's maxUploadSize says the same
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
MAX_EXPANDED_BYTES = 1024 * 1024 * 1024  # what the members of an archive may unpack to, in all
MAX_COMPRESSION_RATIO = 200  # deflate rarely beats 10:1 on weights; zip bombs reach 1000:1
MAX_ELEMENTS = 256 * 1024 * 1024  # numbers in all tensors together (1 GiB of float32)
MAX_LAYERS = 64  # stacked layers in one recurrent module

KINDS = ("lstm", "peephole_lstm", "gru", "rnn_tanh", "rnn_relu")
KIND_LABELS = {
    "lstm": "LSTM",
    "peephole_lstm": "peephole LSTM",
    "gru": "GRU",
    "rnn_tanh": "RNN (tanh)",
    "rnn_relu": "RNN (relu)",
}


def spans(values: list[int], limit: int | None = None) -> str:
    """Sorted integers as runs: [0, 1, 2, 5] -> "0-2, 5" ("none" for none); with ``limit``, the
    first ``limit`` runs, then "..."."""
    if not values:
        return "none"
    parts, start = [], values[0]
    for a, b in zip(values, values[1:] + [None], strict=True):
        if b != a + 1:
            parts.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    if limit is not None and len(parts) > limit:
        parts = [*parts[:limit], "..."]
    return ", ".join(parts)


class ModelFileError(ValueError):
    """An uploaded file that cannot be read as a model, with a message that says why."""


@dataclass
class Linear:
    """A matrix found beside a recurrent layer: an embedding [V, E] or a linear head [O, N]."""

    name: str  # where it is in the file
    weight: torch.Tensor
    bias: torch.Tensor | None = None


@dataclass
class RecurrentLayer:
    """One recurrent module found in a file, mapped onto PyTorch's layout.

    ``weights`` holds every parameter nn.LSTM / nn.GRU / nn.RNN / PeepholeLSTM would have, named as
    they name them, float32 on the CPU. ``sources`` says, per parameter, where it came from and how
    it was converted (for the mapping table). ``embeddings`` and ``heads`` are the candidates found
    beside the layer (first: the most likely one). ``problems`` lists what makes it unusable (e.g.
    NaN weights); ``notes`` what the user should know (e.g. an assumed nonlinearity).
    """

    name: str
    kind: str  # one of KINDS
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    bias: bool
    weights: dict[str, torch.Tensor]
    proj_size: int = 0
    sources: dict[str, str] = field(default_factory=dict)
    embeddings: list[Linear] = field(default_factory=list)
    heads: list[Linear] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Format-specific data for checking against the format's own runtime (ONNX node names, Keras
    # layer name); None where only nn.LSTM/GRU/RNN can check.
    reference: dict[str, Any] | None = None
    # Steps the file's model skips: {"kind": "ids", "value": 0, "by": "embedding"} (Keras
    # Embedding(mask_zero=True): id 0) or {"kind": "features", "value": 0.0, "by": "masking"}
    # (Keras Masking: a step whose features all equal value). None: every step is read.
    masking: dict[str, Any] | None = None
    reverse: bool = False  # reads the sequence last step first (ONNX direction="reverse")
    # Initial states the file fixes ({"initial_h": [per layer: [D, B or 1, H] lists], ...});
    # None: zeros (PyTorch's default).
    initial_state: dict[str, list] | None = None
    # The number of steps the file's model fixes for this layer's input (a Keras Input((T, F))
    # or Input((T,)) of token ids); None: any length.
    steps: int | None = None

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Features per step of the layer's output: directions x (projected) hidden size."""
        return self.directions * (self.proj_size or self.hidden_size)

    def describe(self) -> str:
        layers = f"{self.num_layers} × " if self.num_layers > 1 else ""
        bi = "bidirectional " if self.bidirectional else ""
        proj = f", projected to {self.proj_size}" if self.proj_size else ""
        kind = KIND_LABELS[self.kind]
        if not self.weights:
            return f"{kind} (not usable)"
        rev = "reverse " if self.reverse else ""
        return f"{layers}{bi}{rev}{kind} {self.input_size} → {self.hidden_size}{proj}"

    def row(self) -> dict[str, Any]:
        """One row of the mapping table (plain values)."""
        return {
            "layer": self.name,
            "kind": self.kind,
            "input size": self.input_size,
            "hidden size": self.hidden_size,
            "layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "projection": self.proj_size,
            "bias": self.bias,
            "embedding": self.embeddings[0].name if self.embeddings else "",
            "head": self.heads[0].name if self.heads else "",
            "status": "; ".join(self.problems) if self.problems else "ok",
        }


@dataclass
class ImportedFile:
    """A file read as data: its format and every recurrent layer found in it."""

    filename: str
    format: str  # "safetensors", "pytorch", "onnx", "keras", "keras-h5"
    layers: list[RecurrentLayer]
    notes: list[str] = field(default_factory=list)

    def layer(self, name: str | None = None) -> RecurrentLayer:
        """The layer called ``name`` (default: the first usable one, else the first);
        ModelFileError naming the others."""
        if not self.layers:
            raise ModelFileError(f"{self.filename} has no recurrent layer")
        if name is None:
            return next((layer for layer in self.layers if not layer.problems), self.layers[0])
        for layer in self.layers:
            if layer.name == name:
                return layer
        known = ", ".join(repr(layer.name) for layer in self.layers)
        raise ModelFileError(f"{self.filename} has no recurrent layer {name!r}; it has {known}")

    def table(self) -> list[dict[str, Any]]:
        """The mapping table: one row per recurrent layer."""
        return [layer.row() for layer in self.layers]

    def mapping(self, name: str | None = None) -> list[dict[str, str]]:
        """Per parameter of one layer: our name, its shape, and where it came from in the file."""
        layer = self.layer(name)
        return [
            {
                "parameter": key,
                "shape": " × ".join(str(s) for s in value.shape),
                "from the file": layer.sources.get(key, ""),
            }
            for key, value in layer.weights.items()
        ]


def unusable(name: str, kind: str, problem: str) -> RecurrentLayer:
    """A recurrent layer found in a file but refused (``problem`` says why and what to do): it is
    listed with the file's other layers, which stay usable; building it raises ``problem``."""
    return RecurrentLayer(
        name=name,
        kind=kind if kind in KINDS else "lstm",
        input_size=0,
        hidden_size=0,
        num_layers=1,
        bidirectional=False,
        bias=False,
        weights={},
        problems=[problem],
    )


# ---- shared checks ------------------------------------------------------------------------------


def expected_shapes(layer: RecurrentLayer) -> dict[str, tuple[int, ...]]:
    """Every parameter the PyTorch module for ``layer`` has, with its shape."""
    gates = GATE_BLOCKS[layer.kind] * layer.hidden_size
    out = layer.proj_size or layer.hidden_size
    shapes: dict[str, tuple[int, ...]] = {}
    for k in range(layer.num_layers):
        width = layer.input_size if k == 0 else layer.directions * out
        for d in range(layer.directions):
            s = suffix(k, d)
            shapes["weight_ih" + s] = (gates, width)
            shapes["weight_hh" + s] = (gates, out)
            if layer.bias:
                shapes["bias_ih" + s] = (gates,)
                shapes["bias_hh" + s] = (gates,)
            if layer.proj_size:
                shapes["weight_hr" + s] = (layer.proj_size, layer.hidden_size)
            if layer.kind == "peephole_lstm":
                shapes["weight_peephole" + s] = (3, layer.hidden_size)
    return shapes


def validate(layer: RecurrentLayer) -> RecurrentLayer:
    """Check the layer's configuration and that its weights have exactly the expected shapes;
    note non-finite weights in ``problems``. ModelFileError for a malformed layer."""
    where = f"recurrent layer {layer.name!r}"
    if layer.kind not in KINDS:
        raise ModelFileError(f"{where}: unknown kind {layer.kind!r}")
    for what, value, low, high in (
        ("input size", layer.input_size, 1, 1 << 20),
        ("hidden size", layer.hidden_size, 1, 1 << 20),
        ("number of layers", layer.num_layers, 1, MAX_LAYERS),
        ("projection size", layer.proj_size, 0, layer.hidden_size - 1),
    ):
        if not low <= value <= high:
            raise ModelFileError(f"{where}: {what} {value} is out of range [{low}, {high}]")
    if layer.proj_size and layer.kind != "lstm":
        raise ModelFileError(f"{where}: only an LSTM can have a projection")
    expected = expected_shapes(layer)
    missing = [k for k in expected if k not in layer.weights]
    if missing:
        raise ModelFileError(f"{where}: missing weights {missing}")
    extra = [k for k in layer.weights if k not in expected]
    if extra:
        raise ModelFileError(f"{where}: unexpected weights {extra}")
    for key, shape in expected.items():
        got = tuple(layer.weights[key].shape)
        if got != shape:
            raise ModelFileError(
                f"{where}: {key} has shape {list(got)}, expected {list(shape)} for "
                f"{layer.describe()}"
            )
    layer.weights = {k: layer.weights[k] for k in expected}  # the module's own order
    for key, value in layer.weights.items():
        bad = int((~torch.isfinite(value)).sum())
        if bad:
            layer.problems.append(f"{key} has {bad} NaN/Inf value{'s' if bad > 1 else ''}")
    return layer


def as_float32(array: Any, name: str) -> torch.Tensor:
    """A tensor or numpy array of floating point numbers -> float32 CPU tensor (a copy)."""
    tensor = torch.as_tensor(array) if not isinstance(array, torch.Tensor) else array
    if not tensor.is_floating_point():
        raise ModelFileError(f"{name} holds {tensor.dtype} numbers, not floating point weights")
    return tensor.detach().to("cpu", torch.float32).clone()


def check_elements(shapes: list[tuple[int, ...]], what: str) -> None:
    """Refuse declared shapes that add up to more numbers than MAX_ELEMENTS (before allocating)."""
    total = 0
    for shape in shapes:
        count = 1
        for size in shape:
            if not isinstance(size, int) or size < 0:
                raise ModelFileError(f"{what}: a tensor declares an invalid shape {list(shape)}")
            count *= size
        total += count
        if total > MAX_ELEMENTS:
            raise ModelFileError(
                f"{what}: its tensors declare more than {MAX_ELEMENTS:,} numbers in all "
                f"(a shape of {list(shape)}): refused"
            )
