"""Keras ``ConvLSTM2D`` layers: read as data, run as our ConvLSTM, checked against Keras itself.

    result = record_conv("model.keras", frames)   # frames [time, height, width, channels]
    result.trace    # a conv_lstm Trace (every layer of the stack; trace.maps(name) for pictures)
    result.checks   # our recording vs Keras's own output of the stack's last layer

Consecutive ConvLSTM2D layers (nothing with weights between them, the same filters and kernel
size) become one stacked ConvLSTM. Layout: a Keras kernel [kh, kw, C_in, 4C] is our weight_ih
permuted (3, 2, 0, 1); the recurrent kernel likewise; gate blocks i, f, c, o are ours i, f, g, o;
one bias. Only what our ConvLSTM computes is accepted: padding "same", strides 1, dilation 1,
channels_last, activation tanh, recurrent_activation sigmoid, forwards; anything else is refused
with the reason. The file is never run by Keras in this process (see _keras_check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._build import Check, Checked
from ._core import MAX_FILE_BYTES, ModelFileError, as_float32
from ._keras_h5 import KerasLayer

CLASS = "ConvLSTM2D"
MAX_FRAME_PIXELS = 256 * 256
MAX_FRAMES = 500


@dataclass
class ConvStack:
    """Consecutive ConvLSTM2D layers of a file, as one stacked ConvLSTM."""

    names: list[str]  # the Keras layers, first to last
    module: Any  # lstm_viz.ConvLSTM holding their weights
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.names[0] if len(self.names) == 1 else f"{self.names[0]}..{self.names[-1]}"

    def describe(self) -> str:
        m = self.module
        layers = f"{m.num_layers} × " if m.num_layers > 1 else ""
        kh, kw = m.kernel_size
        return (
            f"{layers}ConvLSTM {m.input_channels} → {m.hidden_channels} channels, kernel {kh}×{kw}"
        )


@dataclass
class ConvRecording(Checked):
    """What ``record_conv`` returns; ``lines()`` is what the CLI prints and the page shows."""

    stack: ConvStack
    frames: np.ndarray  # [T, H, W, C] as read
    trace: Any  # lstm_viz.Trace of kind conv_lstm
    checks: list[Check]
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        c, h, w = self.trace.config["spatial_shape"]
        out = [
            f"recorded {self.stack.name} ({self.stack.describe()}): {self.trace.num_steps} "
            f"frames, every gate and state as {c} × {h} × {w} maps"
        ]
        out += [f"note: {n}" for n in self.notes]
        out += [f"check: {c}" for c in self.checks]
        return out


def _read(source: str | Path | bytes, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), filename or "the file"
    path = Path(source)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ModelFileError(f"cannot read {path}: {error.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{path.name} has {size / 2**20:,.1f} MB: too large")
    return path.read_bytes(), filename or path.name


def conv_stacks(source: str | Path | bytes, filename: str | None = None) -> list[ConvStack]:
    """Every stack of ConvLSTM2D layers in a Keras file (.keras or .h5), [] when it has none.
    ModelFileError for a ConvLSTM2D layer our ConvLSTM cannot compute (with the reason)."""
    from . import detect_format
    from ._keras import keras_layers

    data, filename = _read(source, filename)
    if detect_format(data, filename) not in ("keras", "keras-h5"):
        return []
    layers, _, _ = keras_layers(data, filename, detect_format(data, filename))
    stacks: list[list[KerasLayer]] = []
    previous = None
    for layer in layers:
        if layer.class_name != CLASS:
            if layer.arrays:  # a layer with weights ends a stack
                previous = None
            continue
        _check_settings(layer, filename)
        fits = previous is not None and (
            layer.config.get("filters"),
            list(layer.config.get("kernel_size") or []),
        ) == (previous.config.get("filters"), list(previous.config.get("kernel_size") or []))
        if fits and previous.config.get("return_sequences") is not False:
            stacks[-1].append(layer)
        else:
            stacks.append([layer])
        previous = layer
    return [_stack(group, filename) for group in stacks]


def _check_settings(layer: KerasLayer, filename: str) -> None:
    where = f"{filename}: {CLASS} layer {layer.name!r}"
    cfg = layer.config
    wrong = []
    if cfg.get("padding", "valid") != "same":
        wrong.append(f"padding {cfg.get('padding', 'valid')!r} (only 'same')")
    for key in ("strides", "dilation_rate"):
        if list(cfg.get(key) or [1, 1]) != [1, 1]:
            wrong.append(f"{key} {cfg.get(key)} (only 1)")
    if cfg.get("data_format", "channels_last") not in (None, "channels_last"):
        wrong.append(f"data_format {cfg.get('data_format')!r} (only channels_last)")
    from ._keras import _activation

    if _activation(cfg.get("activation", "tanh")) != "tanh":
        wrong.append(f"activation {_activation(cfg.get('activation'))!r} (only tanh)")
    if _activation(cfg.get("recurrent_activation", "sigmoid")) != "sigmoid":
        wrong.append(
            f"recurrent_activation {_activation(cfg.get('recurrent_activation'))!r} (only sigmoid)"
        )
    if cfg.get("go_backwards"):
        wrong.append("go_backwards=True (reads the frames reversed)")
    if wrong:
        raise ModelFileError(
            f"{where} uses {', '.join(wrong)}; lstm-viz's ConvLSTM computes only those, and "
            "never substitutes another computation: re-save it with the settings named"
        )


def _stack(group: list[KerasLayer], filename: str):
    from lstm_viz.recording.conv_lstm import ConvLSTM

    first = group[0]
    kernel = first.arrays.get("kernel")
    if kernel is None or kernel.ndim != 4:
        raise ModelFileError(f"{filename}: {CLASS} {first.name!r} has no 4-D kernel")
    kh, kw, channels_in, gates = kernel.shape
    channels = gates // 4
    if gates != 4 * channels or channels < 1:
        raise ModelFileError(
            f"{filename}: {first.name!r} kernel {list(kernel.shape)} is not 4 gates"
        )
    has_bias = "bias" in first.arrays
    with torch.device("meta"):
        module = ConvLSTM(channels_in, channels, (kh, kw), num_layers=len(group), bias=has_bias)
    weights, sources = {}, {}
    for k, layer in enumerate(group):
        inputs = channels_in if k == 0 else channels
        expect = {
            "kernel": (kh, kw, inputs, 4 * channels),
            "recurrent_kernel": (kh, kw, channels, 4 * channels),
        }
        if has_bias:
            expect["bias"] = (4 * channels,)
        for role, shape in expect.items():
            array = layer.arrays.get(role)
            if array is None or tuple(array.shape) != shape:
                found = None if array is None else list(array.shape)
                raise ModelFileError(
                    f"{filename}: {CLASS} {layer.name!r} {role} is {found}, expected {list(shape)}"
                )
        if set(layer.arrays) - set(expect):
            raise ModelFileError(f"{filename}: {layer.name!r} has unexpected arrays")
        where = layer.paths
        weights[f"weight_ih_l{k}"] = as_float32(
            np.ascontiguousarray(layer.arrays["kernel"].transpose(3, 2, 0, 1)), layer.name
        )
        weights[f"weight_hh_l{k}"] = as_float32(
            np.ascontiguousarray(layer.arrays["recurrent_kernel"].transpose(3, 2, 0, 1)), layer.name
        )
        sources[f"weight_ih_l{k}"] = where.get("kernel", "kernel") + " (permuted 3, 2, 0, 1)"
        sources[f"weight_hh_l{k}"] = (
            where.get("recurrent_kernel", "recurrent_kernel") + " (permuted 3, 2, 0, 1)"
        )
        if has_bias:
            weights[f"bias_l{k}"] = as_float32(layer.arrays["bias"].copy(), layer.name)
            sources[f"bias_l{k}"] = where.get("bias", "bias")
    for name, w in weights.items():
        if not torch.isfinite(w).all():
            raise ModelFileError(f"{filename}: {name} holds NaN or Inf values")
    module.load_state_dict(weights, assign=True)
    stack = ConvStack([layer.name for layer in group], module.eval(), sources)
    if group[-1].config.get("return_sequences") is False:
        stack.notes.append("return_sequences=False: Keras passes on only the last step")
    if any(layer.config.get("stateful") for layer in group):
        stack.notes.append(
            "stateful=True: Keras carries states between batches; recorded from zeros"
        )
    return stack


def read_frames(source: str | Path | bytes | np.ndarray, channels: int) -> np.ndarray:
    """Frames [time, height, width, channels] (float32) from an .npy file, its bytes or an
    array; [time, height, width] is read as one channel. ModelFileError (one line) otherwise."""
    if isinstance(source, np.ndarray):
        array = source
    else:
        import io

        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        try:
            array = np.load(io.BytesIO(raw), allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise ModelFileError(
                f"the frames are not a .npy array ({str(error)[:120]}); save them with "
                "numpy.save, shaped [time, height, width, channels]"
            ) from None
    if array.ndim == 3 and channels == 1:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] != channels or array.dtype.kind not in "fiub":
        raise ModelFileError(
            f"the frames are {array.dtype} {list(array.shape)}; the model reads numbers shaped "
            f"[time, height, width, {channels}] (channels last, as Keras)"
        )
    steps, height, width, _ = array.shape
    if not (1 <= steps <= MAX_FRAMES and 1 <= height * width <= MAX_FRAME_PIXELS):
        raise ModelFileError(
            f"{steps} frames of {height} × {width}: at most {MAX_FRAMES} frames of "
            f"{MAX_FRAME_PIXELS:,} pixels are recorded"
        )
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ModelFileError("the frames contain NaN or Inf values")
    return array


def record_conv(
    source: str | Path | bytes,
    frames: str | Path | bytes | np.ndarray | None = None,
    filename: str | None = None,
    *,
    stack: int = 0,
    random_shape: tuple[int, int, int] = (8, 12, 12),
    seed: int = 0,
    runtime_check: bool = True,
) -> ConvRecording:
    """Record a stack of a Keras file's ConvLSTM2D layers on frames [T, H, W, C] and check the
    recording against Keras's own output of the stack's last layer (the file loaded in safe
    mode in a child process, when Keras is installed). frames None: random frames of
    ``random_shape`` (time, height, width). ModelFileError (one line) for a file without
    ConvLSTM2D layers, unsupported settings, or frames of the wrong shape."""
    from lstm_viz import record

    data, filename = _read(source, filename)
    stacks = conv_stacks(data, filename)
    if not stacks:
        raise ModelFileError(f"{filename} has no {CLASS} layer")
    if not 0 <= stack < len(stacks):
        raise ModelFileError(f"{filename} has {len(stacks)} ConvLSTM stack(s); no stack {stack}")
    found = stacks[stack]
    channels = found.module.input_channels
    notes = list(found.notes)
    if frames is None:
        steps, height, width = random_shape
        rng = np.random.default_rng(seed)
        array = rng.standard_normal((steps, height, width, channels)).astype(np.float32)
        notes.append(f"random frames (seed {seed}): {steps} × {height} × {width} × {channels}")
    else:
        array = read_frames(frames, channels)
    x = torch.from_numpy(array).permute(0, 3, 1, 2)[None]  # [1, T, C, H, W]
    _, trace = record(found.module, x)
    checks = []
    if runtime_check:
        check = _check_with_keras(data, filename, found, array, trace)
        if check is None:
            notes.append("Keras is not installed here: no runtime check")
        else:
            checks.append(check)
    return ConvRecording(found, array, trace, checks, notes)


def _check_with_keras(data, filename, stack: ConvStack, frames: np.ndarray, trace):
    from ._core import missing_runtime
    from ._keras_check import _run_child, compare_output

    if missing_runtime("keras"):
        return None
    name = "Keras (the file loaded in safe mode)"
    request = {"filename": filename, "layer": stack.names[-1], "through": [CLASS]}
    try:
        out, how = _run_child(data, request, frames[None])
    except RuntimeError as error:
        return Check(name, float("nan"), str(error)[:400], role="runtime")
    ours = trace.maps("hidden")[-1, 0].permute(0, 1, 3, 4, 2).numpy()  # [1, T, H, W, C]
    if out.ndim == 4:  # return_sequences=False: the last step
        ours = ours[:, -1]
    what = f"the last layer's output at every step, {how}"
    return compare_output(name, out, ours, what, how)


# ---- in a child process (the Upload page) -------------------------------------------------------


@dataclass
class IsolatedConvRecording:
    """What the child sends back: the lines the CLI prints, the trace, and the check's verdict."""

    lines: list[str]
    trace: Any
    disagrees: bool


def record_conv_isolated(
    data: bytes, filename: str, frames: bytes | None = None, timeout: float = 300
) -> IsolatedConvRecording:
    """``record_conv`` run in a child process with the same limits as ``inspect_isolated``
    (the file's HDF5 is parsed there, never in the caller); the Keras check runs in its own
    child from there. ModelFileError with the reason for a bad file or frames, or a child that
    failed."""
    import json
    import struct
    import sys
    import tempfile

    from lstm_viz import Trace

    from ._isolated import read_reply, run_isolated

    header = json.dumps({"filename": filename}).encode()
    frames = frames or b""
    message = struct.pack("<QQQ", len(header), len(data), len(frames)) + header + data + frames
    command = [sys.executable, "-m", "lstm_viz.importers._conv"]
    reply = run_isolated(command, message, filename, "recording", timeout)
    meta, body = read_reply(reply, filename)
    with tempfile.TemporaryDirectory(prefix="lstm-viz-conv-") as folder:
        path = Path(folder) / "reply.npz"
        path.write_bytes(body)
        trace = Trace.load(path)
    return IsolatedConvRecording(meta["lines"], trace, meta["disagrees"])


def _main() -> int:
    import json
    import struct
    import sys

    from ._isolated import answer

    raw = sys.stdin.buffer.read()
    sizes = struct.unpack("<QQQ", raw[:24])
    header = json.loads(raw[24 : 24 + sizes[0]])
    data = raw[24 + sizes[0] : 24 + sizes[0] + sizes[1]]
    frames = raw[24 + sizes[0] + sizes[1] :] or None

    def work() -> tuple[dict, bytes]:
        result = record_conv(data, frames, header["filename"])
        path = Path("trace.npz").resolve()
        result.trace.save(path)
        return {"lines": result.lines(), "disagrees": result.disagrees}, path.read_bytes()

    return answer(work)


if __name__ == "__main__":
    raise SystemExit(_main())
