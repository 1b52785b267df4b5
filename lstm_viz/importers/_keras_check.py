"""The Keras reference check: the uploaded file itself, loaded by Keras in safe mode in a child
process, and the recurrent layer's output taken from a sub-model on the same input.

The child (``python -m lstm_viz.importers._keras_check``) gets the same confinement as the
reading child (_isolated: an empty temporary folder, a few named environment variables, memory
and time limits). Keras loads the file with ``safe_mode=True`` (no lambda deserialisation),
``compile=False`` and no custom objects; a file whose configuration has a Lambda layer is not
loaded at all. Keras 3 does not know Keras 2's CuDNNLSTM/CuDNNGRU: those files get no runtime
check (the check says so).

Which input: token ids through the model's own layers (its embedding and mask) when the
recording read ids through the file's embedding; the model's own input when only input-side
layers without weights (Masking, Dropout) come before the layer; else the layer called on the
features directly (without the model's mask).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np
import torch

from ._core import RecurrentLayer

TIMEOUT_SECONDS = 180
_PASS_THROUGH = {"InputLayer", "Masking", "Dropout", "SpatialDropout1D", "GaussianNoise"}
_CODE_LAYERS = ('"Lambda"', '"TFOpLambda"', '"SlicingOpLambda"')


def check_with_keras(
    layer: RecurrentLayer, x: torch.Tensor, trace: Any, ids: torch.Tensor | None = None
):
    """Compare our recording of ``layer`` (made from our reading of the file) with Keras's own
    output of that layer, the file loaded by Keras in a child process. x: [1, T, I] features;
    ids: [1, T] token ids when they were read through the file's embedding. None when Keras is
    not installed; a Check with NaN (not run, and why) when Keras cannot load the file."""
    from ._build import Check
    from ._core import missing_runtime

    if missing_runtime("keras"):
        return None
    reference = layer.reference or {}
    name = "Keras (the file loaded in safe mode)"
    if not isinstance(reference.get("model"), bytes):
        return Check(name, float("nan"), "the file's bytes are not at hand", role="runtime")
    request = {"filename": reference.get("filename", "model.keras"), "layer": layer.name}
    fed = ids if ids is not None else x
    try:
        out, how = _run_child(reference["model"], request, fed.numpy())
    except RuntimeError as error:
        return Check(name, float("nan"), str(error)[:400], role="runtime")
    ours = torch.cat([trace.hidden[0, d] for d in range(layer.directions)], dim=-1).numpy()
    if out.ndim == 2:  # return_sequences=False: the last step of each direction
        size = layer.hidden_size
        parts = [ours[:, -1 if d == 0 else 0, d * size : (d + 1) * size] for d in range(2)]
        ours = np.concatenate(parts[: layer.directions], axis=-1)
    return compare_output(name, out, ours, f"the layer's output at every step, {how}", how)


def compare_output(name: str, out: np.ndarray, ours: np.ndarray, what: str, how: str):
    """The runtime Check of Keras's output ``out`` against ours: the largest difference, or
    inf with both shapes when they differ."""
    from ._build import Check

    if out.shape != ours.shape:
        return Check(
            name,
            float("inf"),
            f"Keras's output has shape {list(out.shape)}, ours {list(ours.shape)} ({how})",
            role="runtime",
        )
    diff = float(np.abs(out.astype(np.float64) - ours).max())
    return Check(name, diff, what, role="runtime")


def _run_child(data: bytes, request: dict, array: np.ndarray) -> tuple[np.ndarray, str]:
    from ._isolated import MEMORY_BYTES, _limits, child_environment

    header = json.dumps({**request, "dtype": str(array.dtype), "shape": list(array.shape)})
    raw = header.encode()
    message = struct.pack("<QQ", len(raw), len(data)) + raw + data + array.tobytes()
    with tempfile.TemporaryDirectory(prefix="lstm-viz-keras-") as folder:
        env = {**child_environment(folder), "KERAS_BACKEND": "torch"}
        try:
            result = subprocess.run(
                [sys.executable, "-m", "lstm_viz.importers._keras_check"],
                input=message,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                cwd=folder,
                env=env,
                preexec_fn=_limits(MEMORY_BYTES) if os.name == "posix" else None,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"Keras took over {TIMEOUT_SECONDS} s") from None
    if result.returncode != 0 or len(result.stdout) < 8:
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise RuntimeError(f"the Keras child failed ({' '.join(tail)[:300]})")
    (size,) = struct.unpack("<Q", result.stdout[:8])
    meta = json.loads(result.stdout[8 : 8 + size])
    if meta.get("input"):
        raise RuntimeError(f"Keras could not run the file on this input: {meta['error']}")
    if "error" in meta:
        raise RuntimeError(f"Keras could not load or run the file: {meta['error']}")
    out = np.frombuffer(result.stdout[8 + size :], dtype=np.float32).reshape(meta["shape"])
    return out, meta["how"]


# ---- the child --------------------------------------------------------------------------------


def _config_text(path: str) -> str:
    import zipfile

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return archive.read("config.json").decode("utf-8", "replace")
    import h5py

    with h5py.File(path, "r") as h5:
        raw = h5.attrs.get("model_config")
    if raw is None:
        raise ValueError("a weights-only file: there is no model for Keras to load")
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _find(model: Any, name: str) -> Any:
    parts = name.split("/")
    layer = model
    for part in parts:
        layer = layer.get_layer(part)
    return layer


def _compute(path: str, request: dict, array: np.ndarray) -> tuple[np.ndarray, str]:
    text = _config_text(path)
    for marker in _CODE_LAYERS:
        if marker in text:
            raise ValueError("the file has a Lambda layer (Python code): Keras is not run on it")
    if '"CuDNNLSTM"' in text or '"CuDNNGRU"' in text:
        raise ValueError("Keras 3 cannot load Keras 2's CuDNNLSTM/CuDNNGRU layers")
    import keras

    model = keras.saving.load_model(path, safe_mode=True, compile=False)
    layer = _find(model, request["layer"])
    ids = array.dtype.kind in "iu"
    allowed = _PASS_THROUGH | ({"Embedding"} if ids else set()) | set(request.get("through", ()))
    before = []
    for other in getattr(model, "layers", []):
        if other is layer:
            break
        before.append(type(other).__name__)
    width = model.inputs[0].shape[-1] if len(model.inputs) == 1 else None
    if ids or (set(before) <= allowed and width == array.shape[-1]):
        if set(before) <= allowed:
            _check_length(model.inputs[0].shape, array.shape[1], ids)
            sub = keras.Model(model.inputs, layer.output)
            out = sub.predict(array, verbose=0)
            how = "from the model's own input through its layers " + (
                f"({', '.join(before)})" if before else ""
            )
            return np.asarray(out, dtype=np.float32), how.strip()
        if ids:
            raise ValueError(f"layers with weights come before this layer: {before}")
    out = layer(array)
    if isinstance(out, list | tuple):
        out = out[0]
    return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float32), "the layer called alone"


class InputMismatch(ValueError):
    """The input does not fit the model's own input (its fixed number of steps)."""


def _check_length(shape: Any, steps: int, ids: bool) -> None:
    """InputMismatch, in words, when the model's input fixes a number of steps other than
    ``steps`` (Keras's own error is a shape dump)."""
    fixed = shape[1] if len(shape) > 1 else None
    if isinstance(fixed, int) and fixed != steps:
        what = "token ids" if ids else "steps"
        fix = f"give {fixed} token ids" if ids else f"set Steps (or the CSV's rows) to {fixed}"
        raise InputMismatch(f"the model expects {fixed} {what}; this input has {steps}: {fix}")


def _main() -> int:
    import warnings

    warnings.filterwarnings("ignore")
    raw = sys.stdin.buffer.read()
    size, length = struct.unpack("<QQ", raw[:16])
    request = json.loads(raw[16 : 16 + size])
    data = raw[16 + size : 16 + size + length]
    array = np.frombuffer(raw[16 + size + length :], dtype=request["dtype"])
    array = array.reshape(request["shape"])
    suffix = ".keras" if data[:4] == b"PK\x03\x04" else ".h5"
    path = os.path.join(os.getcwd(), "model" + suffix)
    with open(path, "wb") as handle:
        handle.write(data)
    try:
        out, how = _compute(path, request, array)
        meta = {"shape": list(out.shape), "how": how}
        body = out.astype(np.float32).tobytes()
    except InputMismatch as error:
        meta, body = {"error": str(error), "input": True}, b""
    except Exception as error:  # Keras refused the file: the check says so, never crashes
        first = " ".join(str(error).split("\n", 1)[0].split())  # Keras's first line, one line
        meta, body = {"error": f"{type(error).__name__}: {first[:200]}"}, b""
    reply = json.dumps(meta).encode()
    sys.stdout.buffer.write(struct.pack("<Q", len(reply)) + reply + body)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
