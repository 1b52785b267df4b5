"""Bring your own model: read recurrent layers from a file as data, map them onto PyTorch's
cells, record them, and check the recording against a reference.

    imported = inspect_file("model.pt")          # every recurrent layer found, as a table
    layer = imported.layer()                     # or imported.layer("encoder.lstm")
    module = build(layer, default_choice(layer)) # nn.LSTM, or embedding -> LSTM -> head
    output, trace = lstm_viz.record(module, inputs)
    checks(layer, recurrent_input(module, inputs), trace)  # max |ours - reference|

Formats: safetensors; PyTorch state dicts (``torch.load(weights_only=True)``: a pickled module is
refused); ONNX (LSTM, GRU, RNN nodes); Keras 3 ``.keras`` and legacy ``.h5`` (LSTM, GRU,
SimpleRNN, Bidirectional). Nothing from a file is executed: ONNX and Keras files are parsed as
protobuf / zip + JSON + HDF5 data, never loaded by onnx's or Keras's model loaders. Only bytes
inside the file are read: HDF5 external storage, external links and virtual datasets, and ONNX
external data, are refused before any data is read.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ._build import (
    Check,
    Choice,
    ImportedModel,
    build,
    check_with_torch,
    checks,
    default_choice,
    recurrent_input,
    recurrent_module,
)
from ._checkpoint import head_reading, save_as_checkpoint, to_sequence_model
from ._conv import ConvRecording, ConvStack, conv_stacks, record_conv, record_conv_isolated
from ._core import (
    MAX_ELEMENTS,
    MAX_EXPANDED_BYTES,
    MAX_FILE_BYTES,
    MAX_FILE_MB,
    RUNTIME_PACKAGES,
    ImportedFile,
    Linear,
    ModelFileError,
    RecurrentLayer,
    missing_runtime,
)
from ._inputs import MAX_STEPS, Prepared, prepare, read_vocab
from ._isolated import inspect_isolated
from ._record import Recording, record_imported
from ._workspace import MAX_MODELS, UploadFolder, folder_name

FORMATS = {
    ".safetensors": "safetensors",
    ".pt": "pytorch",
    ".pth": "pytorch",
    ".bin": "pytorch",
    ".ckpt": "pytorch",
    ".onnx": "onnx",
    ".keras": "keras",
    ".h5": "keras-h5",
    ".hdf5": "keras-h5",
}
EXTENSIONS = sorted({ext.lstrip(".") for ext in FORMATS})


def inspect_file(source: str | Path | bytes, filename: str | None = None) -> ImportedFile:
    """Read a model file (a path, or its bytes with its name) and find every recurrent layer.

    ModelFileError (a ValueError) with a clear message for anything that is not a readable model
    with at least one recurrent layer; nothing in the file is executed.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        filename = filename or "the file"
    else:
        path = Path(source)
        filename = filename or path.name
        try:
            size = path.stat().st_size
        except OSError as error:
            raise ModelFileError(f"cannot read {path}: {error.strerror}") from None
        if size > MAX_FILE_BYTES:
            raise ModelFileError(_too_big(filename, size))
        data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(_too_big(filename, len(data)))
    if not data:
        raise ModelFileError(f"{filename} is empty")
    fmt = detect_format(data, filename)
    try:
        if fmt == "safetensors":
            from ._torch import read_safetensors

            return read_safetensors(data, filename)
        if fmt == "pytorch":
            from ._torch import read_pytorch

            return read_pytorch(data, filename)
        if fmt == "onnx":
            from ._onnx import read_onnx

            return read_onnx(data, filename)
        from ._keras import read_keras

        return read_keras(data, filename, fmt)
    except ModelFileError:
        raise
    except (MemoryError, RecursionError) as error:
        raise ModelFileError(f"{filename} is too large or too deeply nested to read") from error
    except Exception as error:  # a parser's own error on a malformed file: say so, never crash
        raise ModelFileError(
            f"{filename} could not be read as {fmt}: {type(error).__name__}: {str(error)[:300]}"
        ) from None


def _too_big(filename: str, size: int) -> str:
    return f"{filename} has {size / 2**20:,.1f} MB; the limit is {MAX_FILE_MB} MB"


def detect_format(data: bytes, filename: str) -> str:
    """The format, from the file's extension, confirmed (or found) from its first bytes."""
    ext = Path(filename).suffix.lower()
    by_name = FORMATS.get(ext)
    if data[:8] == b"\x89HDF\r\n\x1a\n":
        return "keras-h5"
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            names = []
        if "config.json" in names and "model.weights.h5" in names:
            return "keras"
        return by_name or "pytorch"
    if by_name is not None:
        return by_name
    known = ", ".join(f".{e}" for e in EXTENSIONS)
    raise ModelFileError(f"{filename}: unknown file type {ext or '(no extension)'}; known: {known}")


__all__ = [
    "RUNTIME_PACKAGES",
    "missing_runtime",
    "EXTENSIONS",
    "FORMATS",
    "MAX_ELEMENTS",
    "MAX_EXPANDED_BYTES",
    "MAX_FILE_BYTES",
    "MAX_FILE_MB",
    "MAX_MODELS",
    "MAX_STEPS",
    "Prepared",
    "prepare",
    "Recording",
    "record_imported",
    "read_vocab",
    "head_reading",
    "save_as_checkpoint",
    "to_sequence_model",
    "Check",
    "Choice",
    "ConvRecording",
    "ConvStack",
    "conv_stacks",
    "record_conv",
    "record_conv_isolated",
    "ImportedFile",
    "ImportedModel",
    "Linear",
    "ModelFileError",
    "RecurrentLayer",
    "UploadFolder",
    "folder_name",
    "build",
    "check_with_torch",
    "checks",
    "default_choice",
    "detect_format",
    "inspect_file",
    "inspect_isolated",
    "recurrent_input",
    "recurrent_module",
]
