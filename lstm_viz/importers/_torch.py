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

import torch

from ._core import (
    MAX_COMPRESSION_RATIO,
    MAX_EXPANDED_BYTES,
    ImportedFile,
    ModelFileError,
    check_elements,
)
from ._state_dict import from_state_dict

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
        recognise_archive(data, filename)
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True, mmap=False)
    except Exception as error:  # UnpicklingError, RuntimeError, EOFError, ... from a bad file
        raise ModelFileError(explain_torch_load(error, filename, data[:16])) from None
    tensors = flatten(obj)
    if not tensors:
        raise ModelFileError(
            f"{filename} holds no tensors (a {type(obj).__name__}); save a state dict: "
            f"{SAVE_STATE_DICT}"
        )
    imported = from_state_dict(tensors, filename, "pytorch")
    if isinstance(obj, dict):  # a training checkpoint: {"epoch": 3, "model_state_dict": ...}
        # Only entries that hold no tensor at all: a plain state dict's entries ARE its tensors
        # ("emb.weight"), and tensors nothing reads are named by from_state_dict's own note.
        # An entry holds tensors when it names one, or a dotted prefix of one.
        holders = {n.rsplit(".", k)[0] for n in tensors for k in range(n.count(".") + 1)}
        plain = [str(key) for key in obj if str(key) not in holders]
        if plain:
            more = f", and {len(plain) - 8} more" if len(plain) > 8 else ""
            imported.notes.append(f"Not read (no tensors): {', '.join(plain[:8])}{more}.")
    return imported


TORCHSCRIPT = (
    "{0} is a TorchScript archive (saved with torch.jit.save): a program, not a state dict. "
    "lstm-viz never runs code from a file, so it is not loaded. Extract its weights in Python "
    "(it runs the archive's code: do it only for a file you trust): "
    'torch.save(torch.jit.load("{0}").state_dict(), "model.pt"), and upload model.pt'
)
QUANTIZED = (
    "{0} is the state dict of a dynamically quantized model (torch.ao.quantization."
    "quantize_dynamic): {1} hold packed int8 weights ({2}), Python objects that cannot be read "
    "as tensors. Save the float model's state dict before quantizing "
    '(torch.save(model.state_dict(), "model.pt") before quantize_dynamic) and upload that'
)
_PACKED = re.compile(rb"([\w.]*?)\.?(_all_weight_values|_packed_params)")


def recognise_archive(data: bytes, filename: str) -> None:
    """Refuse, with a named message and a recipe, a TorchScript archive or a dynamically
    quantized state dict, recognised from the zip's member names and the pickle's bytes (never
    unpickled)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if any("/code/" in n for n in names) or any(n.endswith("/constants.pkl") for n in names):
            raise ModelFileError(TORCHSCRIPT.format(filename))
        pickles = [n for n in names if n.endswith("data.pkl")]
        raw = archive.read(pickles[0])[: 64 * 1024 * 1024] if pickles else b""
    if b"torch.classes.rnn.CellParamsBase" in raw or b"LinearPackedParamsBase" in raw:
        found = [m.group(1).decode("utf-8", "replace") for m in _PACKED.finditer(raw)]
        modules = sorted({m.rstrip(".") for m in found if m}) or ["a module"]
        what = ", ".join(repr(m) for m in modules[:4])
        lstm = b"rnn.CellParamsBase" in raw  # a quantized LSTM/GRU, not only Linear layers
        where = f"{'its recurrent layer and others' if lstm else 'the model'} ({what})"
        raise ModelFileError(QUANTIZED.format(filename, where, "_all_weight_values"))


def explain_torch_load(error: Exception, filename: str, start: bytes = b"") -> str:
    """One line for a file torch.load refused: a pickled object (named), the weights-only
    reader's reason, TorchScript, a file that is not PyTorch's at all (``start``: its first
    bytes), else torch's own first sentence."""
    text = str(error)
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return (
            f"{filename} holds a pickled Python object ({found.group(1)}), not only tensors. "
            f"Loading it would run code from the file, so it is refused. Save the weights "
            f"instead: {SAVE_STATE_DICT}"
        )
    if start and not start.startswith((b"PK", b"\x80")):  # not torch.save's zip, nor a pickle
        shown = "".join(c if c.isprintable() else "." for c in start.decode("latin-1"))
        return (
            f"{filename} is not a PyTorch file: torch.save writes a zip archive (its first "
            f"bytes are 'PK'), and this file starts with {shown!r}. Save the weights with "
            f"{SAVE_STATE_DICT}"
        )
    if "Weights only load failed" in text:
        detail = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
        reason = detail.group(1).strip()[:200] if detail else ""
        return (
            f"{filename} is not a PyTorch file of tensors: the safe (weights-only) reader "
            f"refused it{f' ({reason})' if reason else ''}. Save the weights with "
            f"{SAVE_STATE_DICT}"
        )
    if "TorchScript" in text:
        return TORCHSCRIPT.format(filename)
    if "central directory" in text or "PytorchStreamReader failed" in text:
        return (
            f"{filename} starts like a torch.save file (a zip archive) but its end is missing "
            "or damaged (no archive directory found): it was probably cut short while being "
            "saved, copied or uploaded. Save it again, or upload the whole file."
        )
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    first = first.split(". ")[0]  # PyTorch's own advice (e.g. weights_only=False) is not relayed
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
