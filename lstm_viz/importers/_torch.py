"""PyTorch weights: safetensors files and ``.pt``/``.pth`` state dicts (never unpickled beyond
``weights_only``), and finding recurrent layers by their parameter names.

A state dict names an nn.LSTM's parameters ``<prefix>.weight_ih_l<k>[_reverse]`` (and
``weight_hh``, ``bias_ih``, ``bias_hh``, ``weight_hr`` for a projection, ``weight_peephole`` for
our PeepholeLSTM). The number of gates follows from the shapes (4H: LSTM, 3H: GRU, H: RNN).
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from collections import defaultdict

import torch

from ._core import (
    MAX_COMPRESSION_RATIO,
    MAX_EXPANDED_BYTES,
    ImportedFile,
    Linear,
    ModelFileError,
    RecurrentLayer,
    as_float32,
    check_elements,
    suffix,
    validate,
)

SAVE_STATE_DICT = 'torch.save(model.state_dict(), "model.pt")'

_SAFETENSORS_DTYPES = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
}
_PARAM = re.compile(
    r"^(?:(?P<prefix>.*)\.)?(?P<what>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr|weight_peephole)"
    r"(?:_l(?P<layer>\d+)(?P<reverse>_reverse)?)?$"
)


# ---- reading the files --------------------------------------------------------------------------


def read_safetensors(data: bytes, filename: str) -> ImportedFile:
    """A safetensors file: its header is checked here (sizes, offsets, dtypes) before any tensor
    is made, then safetensors reads it."""
    if len(data) < 8:
        raise ModelFileError(f"{filename} is too short to be a safetensors file")
    (header_size,) = struct.unpack("<Q", data[:8])
    if header_size > min(len(data) - 8, 100 * 1024 * 1024):
        raise ModelFileError(
            f"{filename} is not a safetensors file (its header claims {header_size:,} bytes, "
            f"the file has {len(data):,})"
        )
    try:
        header = json.loads(data[8 : 8 + header_size])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{filename}: the safetensors header is not JSON: {error}") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{filename}: the safetensors header is not a JSON object")
    body = len(data) - 8 - header_size
    shapes = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("shape"), list):
            raise ModelFileError(f"{filename}: tensor {name!r} has no valid shape in the header")
        dtype, shape, offsets = entry.get("dtype"), entry["shape"], entry.get("data_offsets")
        if dtype not in _SAFETENSORS_DTYPES:
            raise ModelFileError(f"{filename}: tensor {name!r} has an unsupported dtype {dtype!r}")
        shape = tuple(shape)
        check_elements([shape], filename)
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) for o in offsets)
        ):
            raise ModelFileError(f"{filename}: tensor {name!r} has invalid data offsets")
        numel = 1
        for s in shape:
            numel *= s
        start, end = offsets
        if not 0 <= start <= end <= body or end - start != numel * _SAFETENSORS_DTYPES[dtype]:
            raise ModelFileError(
                f"{filename}: tensor {name!r} ({dtype} {list(shape)}) does not fit its data "
                f"offsets {offsets} in a {body:,}-byte body"
            )
        shapes.append(shape)
    check_elements(shapes, filename)
    from safetensors.torch import load

    try:
        tensors = load(data)
    except Exception as error:  # safetensors raises its own error types for broken files
        raise ModelFileError(f"{filename} is not a readable safetensors file: {error}") from None
    imported = from_state_dict(tensors, filename, "safetensors")
    metadata = header.get("__metadata__")
    if isinstance(metadata, dict) and metadata:
        imported.notes.append(f"metadata: {json.dumps(metadata)[:200]}")
    return imported


def read_pytorch(data: bytes, filename: str) -> ImportedFile:
    """A ``torch.save``d state dict (or a dict holding one), read with ``weights_only=True``:
    only tensors and plain containers can come out; a pickled module is refused."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        check_zip(data, filename)
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True, mmap=False)
    except Exception as error:  # UnpicklingError, RuntimeError, EOFError, ... from a bad file
        raise ModelFileError(explain_torch_load(error, filename)) from None
    tensors = flatten(obj)
    if not tensors:
        raise ModelFileError(
            f"{filename} holds no tensors (a {type(obj).__name__}); save a state dict: "
            f"{SAVE_STATE_DICT}"
        )
    return from_state_dict(tensors, filename, "pytorch")


def explain_torch_load(error: Exception, filename: str) -> str:
    text = str(error)
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return (
            f"{filename} holds a pickled Python object ({found.group(1)}), not only tensors. "
            f"Loading it would run code from the file, so it is refused. Save the weights "
            f"instead: {SAVE_STATE_DICT}"
        )
    if "Weights only load failed" in text:
        detail = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
        reason = detail.group(1).strip()[:200] if detail else ""
        return (
            f"{filename} is not a PyTorch file of tensors: the safe (weights-only) reader "
            f"refused it{f' ({reason})' if reason else ''}. Save the weights with "
            f"{SAVE_STATE_DICT}"
        )
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"{filename} is not a readable PyTorch file: {first[:300]}"


def check_zip(data: bytes, filename: str) -> None:
    """Refuse an archive whose members would unpack to too much (a zip bomb), before reading."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ModelFileError(f"{filename} is a broken zip archive: {error}") from None
    if len(members) > 10_000:
        raise ModelFileError(f"{filename}: the archive has {len(members):,} members: refused")
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise ModelFileError(
                f"{filename}: member {member.filename!r} would unpack {ratio:,.0f}-fold "
                f"(to {member.file_size:,} bytes): refused as a possible zip bomb"
            )
    if total > MAX_EXPANDED_BYTES:
        raise ModelFileError(
            f"{filename}: the archive would unpack to {total:,} bytes, more than the "
            f"{MAX_EXPANDED_BYTES:,} allowed: refused"
        )


def flatten(obj: object, prefix: str = "", depth: int = 0) -> dict[str, torch.Tensor]:
    """Every tensor in nested dicts/lists, keyed by its dotted path ("model.lstm.weight_ih_l0")."""
    if depth > 20:
        return {}
    if isinstance(obj, torch.Tensor):
        return {prefix: obj} if prefix else {"tensor": obj}
    found: dict[str, torch.Tensor] = {}
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list | tuple):
        items = enumerate(obj)
    else:
        return found
    for key, value in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        found.update(flatten(value, name, depth + 1))
    return found


# ---- finding recurrent layers by name -----------------------------------------------------------


def from_state_dict(tensors: dict[str, torch.Tensor], filename: str, fmt: str) -> ImportedFile:
    """Every recurrent module in a flat state dict, with embeddings and heads found beside it."""
    check_elements([tuple(t.shape) for t in tensors.values()], filename)
    groups: dict[str, dict[str, tuple[str, str, int, int]]] = defaultdict(dict)
    for key in tensors:
        match = _PARAM.match(key)
        if match:
            prefix = match["prefix"] or ""
            layer = int(match["layer"]) if match["layer"] is not None else 0
            direction = 1 if match["reverse"] else 0
            name = match["what"] + suffix(layer, direction)
            groups[prefix][name] = (key, match["what"], layer, direction)
    layers = []
    used = set()
    for prefix, params in groups.items():
        if not any(p[1] == "weight_ih" for p in params.values()):
            continue
        layer = _layer_from_params(prefix, params, tensors)
        used.update(p[0] for p in params.values())
        layers.append(layer)
    if not layers:
        sample = ", ".join(list(tensors)[:6])
        raise ModelFileError(
            f"{filename} has no recurrent layer: no parameter is named like an nn.LSTM's "
            f"(<name>.weight_ih_l0, ...). It has: {sample}{', ...' if len(tensors) > 6 else ''}"
        )
    others = {k: v for k, v in tensors.items() if k not in used}
    for layer in layers:
        layer.embeddings, layer.heads = _neighbours(layer, others)
    return ImportedFile(filename, fmt, layers)


def _layer_from_params(
    prefix: str, params: dict[str, tuple[str, str, int, int]], tensors: dict[str, torch.Tensor]
) -> RecurrentLayer:
    name = prefix or "(top level)"
    layer_ids = sorted({p[2] for p in params.values()})
    if layer_ids != list(range(len(layer_ids))):
        raise ModelFileError(f"recurrent layer {name!r}: its layers {layer_ids} are not 0..n-1")
    bidirectional = any(p[3] == 1 for p in params.values())
    w_hh = tensors[params["weight_hh_l0"][0]] if "weight_hh_l0" in params else None
    w_ih = tensors[params["weight_ih_l0"][0]]
    if w_hh is None or w_hh.dim() != 2 or w_ih.dim() != 2:
        raise ModelFileError(
            f"recurrent layer {name!r}: weight_ih_l0/weight_hh_l0 missing or not 2-D"
        )
    proj_size = 0
    if "weight_hr_l0" in params:
        w_hr = tensors[params["weight_hr_l0"][0]]
        if w_hr.dim() != 2:
            raise ModelFileError(f"recurrent layer {name!r}: weight_hr_l0 is not 2-D")
        proj_size, hidden = int(w_hr.shape[0]), int(w_hr.shape[1])
    else:
        hidden = int(w_hh.shape[1])
    if hidden < 1 or w_hh.shape[0] % hidden:
        raise ModelFileError(
            f"recurrent layer {name!r}: weight_hh_l0 {list(w_hh.shape)} is not gates x hidden"
        )
    gates = w_hh.shape[0] // hidden
    kinds = {4: "lstm", 3: "gru", 1: "rnn_tanh"}
    if gates not in kinds:
        raise ModelFileError(
            f"recurrent layer {name!r}: weight_hh_l0 {list(w_hh.shape)} has {gates} gate blocks; "
            "an LSTM has 4, a GRU 3, an RNN 1"
        )
    kind = kinds[gates]
    if "weight_peephole_l0" in params:
        kind = "peephole_lstm"
    weights, sources = {}, {}
    for ours, (key, *_rest) in params.items():
        weights[ours] = as_float32(tensors[key], key)
        sources[ours] = key
    layer = RecurrentLayer(
        name=name,
        kind=kind,
        input_size=int(w_ih.shape[1]),
        hidden_size=hidden,
        num_layers=len(layer_ids),
        bidirectional=bidirectional,
        bias="bias_ih_l0" in params,
        weights=weights,
        proj_size=proj_size,
        sources=sources,
    )
    if kind == "rnn_tanh":
        layer.notes.append(
            "a vanilla RNN: its nonlinearity is not in the weights; tanh is assumed (choose relu "
            "if it was built with nonlinearity='relu')"
        )
    dtypes = {str(tensors[p[0]].dtype) for p in params.values()}
    if dtypes != {"torch.float32"}:
        layer.notes.append(f"weights stored as {', '.join(sorted(dtypes))}; recorded in float32")
    return validate(layer)


_EMBEDDING_WORDS = ("embed", "encoder", "wte", "tok")
_HEAD_WORDS = ("head", "fc", "linear", "classifier", "decoder", "out", "proj", "dense")


def _neighbours(
    layer: RecurrentLayer, tensors: dict[str, torch.Tensor]
) -> tuple[list[Linear], list[Linear]]:
    """Embedding candidates ([V, input_size] matrices with no bias) and linear-head candidates
    ([O, output_size] with an optional [O] bias), most likely first (by their module's name)."""
    embeddings, heads = [], []
    for key, value in tensors.items():
        if not key.endswith("weight") or value.dim() != 2 or not value.is_floating_point():
            continue
        module = key[: -len("weight")].rstrip(".")
        bias = tensors.get(f"{module}.bias" if module else "bias")
        lower = module.lower()
        if value.shape[1] == layer.input_size and bias is None:
            score = any(w in lower for w in _EMBEDDING_WORDS)
            embeddings.append((not score, Linear(module or key, as_float32(value, key))))
        if value.shape[1] == layer.output_size and module:
            if bias is not None and tuple(bias.shape) != (value.shape[0],):
                continue
            score = any(w in lower for w in _HEAD_WORDS)
            heads.append(
                (
                    not score,
                    Linear(
                        module,
                        as_float32(value, key),
                        None if bias is None else as_float32(bias, f"{module}.bias"),
                    ),
                )
            )
    embeddings.sort(key=lambda pair: pair[0])
    heads.sort(key=lambda pair: pair[0])
    return [e for _, e in embeddings], [h for _, h in heads]
