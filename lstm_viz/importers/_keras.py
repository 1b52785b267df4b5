"""Keras files: ``.keras`` (a zip of config.json + model.weights.h5) and legacy ``.h5``, read as
JSON and HDF5 data with h5py. Keras's own loader is never called on a file: it can deserialise
custom objects and lambda layers, which would run code from the file. Before any data is read,
every HDF5 object is checked to keep its data inside the file (``_hdf5.check_inside``).

Layouts: a Keras kernel is [input, gates*units] (PyTorch's weight_ih transposed), its
recurrent_kernel [units, gates*units]. LSTM gate blocks i, f, c, o are PyTorch's i, f, g, o; it
has one bias (PyTorch's bias_ih; bias_hh is zero). GRU blocks z, r, h become PyTorch's r, z, n;
with ``reset_after=True`` (Keras 3's default) its bias is [2, 3*units]: input and recurrent
biases, exactly PyTorch's GRU. ``reset_after=False`` applies the reset gate before the recurrent
product, which PyTorch's GRU cannot express: refused with that explanation.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np
import torch

from lstm_viz.recording.naming import suffix

from ._core import (
    ImportedFile,
    Linear,
    ModelFileError,
    RecurrentLayer,
    as_float32,
    unusable,
    validate,
)
from ._hdf5 import check_inside
from ._keras_h5 import (
    CUDNN,
    RECURRENT,
    KerasLayer,
    config_layers,
    fixed_steps,
    from_keras3,
    from_legacy,
)
from ._keras_layout import GRU_ORDER, from_cudnn, reorder

_MAX_CONFIG_BYTES = 16 * 1024 * 1024


def read_keras(data: bytes, filename: str, fmt: str) -> ImportedFile:
    layers, config, notes = keras_layers(data, filename, fmt)
    if not layers:
        raise ModelFileError(_not_a_model(data if fmt != "keras" else b"", filename))
    found = _convert(layers, filename)
    if not found:
        kinds = sorted({layer.class_name or "?" for layer in layers})
        conv = (
            ": its ConvLSTM2D layers record from frames (python -m lstm_viz record --model FILE "
            "--input frames.npy, [time, height, width, channels])"
            if "ConvLSTM2D" in kinds
            else ""
        )
        other = sorted({"ConvLSTM1D", "ConvLSTM3D"} & set(kinds))
        if other and not conv:
            conv = (
                f": {' and '.join(other)} layers are not read (lstm-viz records Keras ConvLSTM2D "
                "layers, from frames; a ConvLSTM1D is a ConvLSTM2D over frames one pixel high)"
            )
        raise ModelFileError(
            f"{filename} has no LSTM, GRU or SimpleRNN layer (its layers: {', '.join(kinds)})"
            + conv
        )
    masks = _masks(config)
    lengths = fixed_steps(config)
    for layer in found:
        layer.steps = lengths.get(layer.name)
        if layer.reference is not None:  # the check loads the file itself (safe mode, a child)
            layer.reference.update({"model": data, "filename": filename})
        layer.masking, note = masks.get(layer.name, (None, None))
        if note:
            layer.notes.append(note)
    return ImportedFile(filename, fmt, found, notes)


def keras_layers(
    data: bytes, filename: str, fmt: str
) -> tuple[list[KerasLayer], dict[str, Any] | None, list[str]]:
    """(every layer with weights, as read; the model configuration or None; notes) of a
    .keras or .h5 file, every HDF5 object checked to keep its data inside the file first."""
    try:
        import h5py
    except ImportError:
        raise ModelFileError(
            "reading Keras files needs the h5py package: pip install h5py"
        ) from None
    notes = []
    config = None
    if fmt == "keras":
        from ._torch import check_zip

        check_zip(data, filename)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            missing = {"config.json", "model.weights.h5"} - set(archive.namelist())
            if missing:
                raise ModelFileError(
                    f"{filename} is not a Keras 3 model: the archive has no {sorted(missing)}"
                )
            info = archive.getinfo("config.json")
            if info.file_size > _MAX_CONFIG_BYTES:
                raise ModelFileError(f"{filename}: config.json has {info.file_size:,} bytes")
            config = _json(archive.read("config.json"), filename)
            weights = archive.read("model.weights.h5")
        with h5py.File(io.BytesIO(weights), "r") as h5:
            check_inside(h5, f"{filename} (model.weights.h5)")
            layers = from_keras3(h5, config, filename)
    else:
        with h5py.File(io.BytesIO(data), "r") as h5:
            check_inside(h5, filename)  # every dataset's data inside the upload, before reading
            if "layers" in h5 and "model_config" not in h5.attrs:  # Keras 3 .weights.h5
                layers = from_keras3(h5, None, filename)
                notes.append("a weights-only file: layer kinds inferred from the shapes")
            else:
                raw = h5.attrs.get("model_config")
                config = _json(raw, filename) if raw is not None else None
                if config is None:
                    notes.append("a weights-only file: layer kinds inferred from the shapes")
                group = h5["model_weights"] if "model_weights" in h5 else h5
                layers = from_legacy(group, config, filename)
    return layers, config, notes


def _not_a_model(data: bytes, filename: str) -> str:
    """What an HDF5 file without Keras layers holds (its top-level names), and what it is when
    recognised: LSTMVis data files (states1/output1, words) are recorded states, not a model."""
    import h5py

    names: list[str] = []
    if data:
        with h5py.File(io.BytesIO(data), "r") as h5:
            names = sorted(h5.keys())[:8]
    shown = ", ".join(names) or "nothing"
    lstmvis = any(n.startswith(("states", "output")) for n in names) or names == ["words"]
    what = (
        " It looks like an LSTMVis data file: recorded states (or word ids) of some model, not "
        "a model: lstm-viz records states from a model's weights. Upload the model itself "
        "(.pt/.safetensors state dict, .keras, .h5 or .onnx)"
        if lstmvis
        else " Upload a Keras model (.keras, or .h5 saved with model.save)"
    )
    return f"{filename} is an HDF5 file with {shown} and no Keras model layers, not a model.{what}"


def _masks(config: dict[str, Any] | None) -> dict[str, tuple[dict | None, str | None]]:
    """Per recurrent layer name: the mask Keras applies to its input steps (from an
    Embedding(mask_zero=True) or a Masking layer before it), and a note for a layer reached by
    a mask it cannot see in its own input (it follows another recurrent layer)."""
    found: dict[str, tuple[dict | None, str | None]] = {}
    current, direct = None, False
    for entry in config_layers(config):
        kind = entry.get("class_name")
        cfg = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        name = str(cfg.get("name", ""))
        if kind == "Embedding" and cfg.get("mask_zero"):
            current, direct = {"kind": "ids", "value": 0, "by": name}, True
        elif kind == "Masking":
            value = float(cfg.get("mask_value", 0.0))
            current, direct = {"kind": "features", "value": value, "by": name}, True
        elif kind in (*RECURRENT, *CUDNN, "Bidirectional") and current is not None:
            if direct:
                found[name] = (current, None)
            else:
                found[name] = (
                    None,
                    f"the model masks steps before an earlier layer ({current['by']!r}); "
                    "recorded alone, this layer reads every step",
                )
            inner = cfg.get("layer", {}).get("config", {}) if kind == "Bidirectional" else cfg
            direct = False
            if isinstance(inner, dict) and inner.get("return_sequences") is False:
                current = None
    return found


def _json(raw: Any, filename: str) -> dict[str, Any]:
    if isinstance(raw, bytes | np.bytes_):
        raw = bytes(raw).decode("utf-8", errors="replace")
    try:
        value = json.loads(raw)
    except (TypeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{filename}: the model configuration is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise ModelFileError(f"{filename}: the model configuration is not a JSON object")
    return value


# ---- conversion ---------------------------------------------------------------------------------


def _guess(layer: KerasLayer) -> str | None:
    """The class from the shapes: recurrent_kernel [units, gates*units]: 4 LSTM, 3 GRU, 1 RNN."""
    recurrent = layer.arrays.get("recurrent_kernel")
    if recurrent is None or recurrent.ndim != 2 or recurrent.shape[0] == 0:
        return None
    gates = recurrent.shape[1] / recurrent.shape[0]
    bias = layer.arrays.get("bias")
    if bias is not None and bias.ndim == 1 and bias.shape[0] == 2 * recurrent.shape[1]:
        return {4.0: "CuDNNLSTM", 3.0: "CuDNNGRU"}.get(gates)  # CuDNN's two bias vectors
    return {4.0: "LSTM", 3.0: "GRU", 1.0: "SimpleRNN"}.get(gates)


def _activation(value: Any) -> str:
    if isinstance(value, dict):
        value = (
            value.get("config", {}).get("name")
            if isinstance(value.get("config"), dict)
            else value.get("class_name")
        )
    return str(value).lower() if value is not None else ""


def _convert(layers: list[KerasLayer], filename: str) -> list[RecurrentLayer]:
    found = []
    for position, layer in enumerate(layers):
        class_name = layer.class_name
        if class_name in (None, "Bidirectional") or (
            class_name not in RECURRENT and layer.backward
        ):
            class_name = _guess(layer)
        if class_name not in RECURRENT:
            continue
        layer.class_name = class_name
        halves = [layer] + ([layer.backward] if layer.backward else [])
        for half in halves:
            half.class_name = class_name
        try:
            recurrent = _recurrent_layer(halves, filename)
        except ModelFileError as error:  # this layer alone is refused; the others stay usable
            found.append(unusable(layer.name, RECURRENT[class_name], str(error)))
            continue
        # Beside it: the embeddings before it and the dense layers after it, up to the next
        # recurrent layer (the file lists layers in the model's order).
        embeddings, dense = [], []
        for other in reversed(layers[:position]):
            if _is_recurrent(other):
                break
            if other.class_name == "Embedding":
                embeddings.append(other)
        for other in layers[position + 1 :]:
            if _is_recurrent(other):
                break
            if other.class_name == "Dense":
                dense.append(other)
        recurrent.embeddings = [
            Linear(e.name, as_float32(e.arrays["embeddings"], e.name))
            for e in embeddings
            if e.arrays["embeddings"].ndim == 2
            and e.arrays["embeddings"].shape[1] == recurrent.input_size
        ]
        recurrent.heads = [
            Linear(
                d.name,
                as_float32(d.arrays["kernel"].T.copy(), d.name),
                as_float32(d.arrays["bias"], d.name) if "bias" in d.arrays else None,
            )
            for d in dense
            if d.arrays["kernel"].ndim == 2
            and d.arrays["kernel"].shape[0] == recurrent.output_size
            and ("bias" not in d.arrays or d.arrays["bias"].shape == (d.arrays["kernel"].shape[1],))
        ]
        found.append(recurrent)
    return found


def _is_recurrent(layer: KerasLayer) -> bool:
    return layer.class_name in RECURRENT or "recurrent_kernel" in layer.arrays


def _recurrent_layer(halves: list[KerasLayer], filename: str) -> RecurrentLayer:
    first = halves[0]
    where = f"{filename}: {first.class_name} layer {first.name!r}"
    config = first.config
    kind = RECURRENT[first.class_name]
    activation = _activation(config.get("activation", "tanh"))
    if kind == "rnn":
        if activation not in ("tanh", "relu"):
            raise ModelFileError(f"{where}: activation {activation!r} (only tanh or relu)")
        kind = f"rnn_{activation}"
    else:
        recurrent_activation = _activation(config.get("recurrent_activation", "sigmoid"))
        if activation != "tanh" or recurrent_activation != "sigmoid":
            hard = (
                " ('hard_sigmoid' was Keras 2.0-2.2's default; Keras 2 computes it as "
                "clip(0.2x + 0.5, 0, 1), Keras 3 as relu6(x + 3) / 6)"
                if recurrent_activation == "hard_sigmoid"
                else ""
            )
            raise ModelFileError(
                f"{where} uses activation {activation!r} and recurrent_activation "
                f"{recurrent_activation!r}{hard}; lstm-viz records PyTorch's cells, which use "
                "'tanh' and 'sigmoid', and never substitutes another function: this layer is "
                "not recorded. Retrain or re-save it with activation='tanh' and "
                "recurrent_activation='sigmoid' to record it"
            )
    if config.get("go_backwards") and len(halves) == 1:
        raise ModelFileError(f"{where}: go_backwards=True alone (reads the input reversed)")
    if kind == "gru" and config.get("reset_after") is False:
        raise ModelFileError(
            f"{where}: reset_after=False applies the reset gate before the recurrent matrix "
            "product; PyTorch's GRU applies it after (Keras 3's default, reset_after=True)"
        )
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    if first.class_name in CUDNN:
        for half in halves:
            from_cudnn(half, gates)
    weights, sources = {}, {}
    has_bias = None
    input_size = hidden = None
    for d, half in enumerate(halves):
        kernel = half.arrays.get("kernel")
        recurrent = half.arrays.get("recurrent_kernel")
        bias = half.arrays.get("bias")
        if kernel is None or recurrent is None or kernel.ndim != 2 or recurrent.ndim != 2:
            raise ModelFileError(f"{where}: kernel and recurrent_kernel must be 2-D matrices")
        units = recurrent.shape[0]
        if recurrent.shape[1] != gates * units or kernel.shape[1] != gates * units:
            raise ModelFileError(
                f"{where}: kernel {list(kernel.shape)} / recurrent_kernel "
                f"{list(recurrent.shape)} do not fit {gates} gates of {units} units"
            )
        if hidden is not None and (units, kernel.shape[0]) != (hidden, input_size):
            raise ModelFileError(f"{where}: its two directions have different sizes")
        hidden, input_size = units, kernel.shape[0]
        if has_bias is None:
            has_bias = bias is not None
        s = suffix(0, d)
        order = GRU_ORDER if kind == "gru" else tuple(range(gates))
        weights["weight_ih" + s] = reorder(kernel.T, order, units)
        weights["weight_hh" + s] = reorder(recurrent.T, order, units)
        note = " (transposed; gates zrh → rzn)" if kind == "gru" else " (transposed)"
        sources["weight_ih" + s] = half.paths.get("kernel", "kernel") + note
        sources["weight_hh" + s] = half.paths.get("recurrent_kernel", "recurrent_kernel") + note
        if bias is not None:
            if kind == "gru":
                if bias.shape != (2, gates * units):
                    raise ModelFileError(
                        f"{where}: bias {list(bias.shape)}; a GRU with reset_after=True has "
                        f"[2, {gates * units}] (reset_after=False is not supported)"
                    )
                weights["bias_ih" + s] = reorder(bias[0], order, units)
                weights["bias_hh" + s] = reorder(bias[1], order, units)
                sources["bias_ih" + s] = half.paths.get("bias", "bias") + "[0] (gates zrh → rzn)"
                sources["bias_hh" + s] = half.paths.get("bias", "bias") + "[1] (gates zrh → rzn)"
            else:
                if bias.shape != (gates * units,):
                    raise ModelFileError(
                        f"{where}: bias {list(bias.shape)} is not [{gates * units}]"
                    )
                weights["bias_ih" + s] = as_float32(bias.copy(), "bias")
                weights["bias_hh" + s] = torch.zeros(gates * units)
                sources["bias_ih" + s] = half.paths.get("bias", "bias")
                sources["bias_hh" + s] = "zeros (Keras has one bias)"
    layer = RecurrentLayer(
        name=first.name,
        kind=kind,
        input_size=int(input_size),
        hidden_size=int(hidden),
        num_layers=1,
        bidirectional=len(halves) == 2,
        bias=bool(has_bias),
        weights=weights,
        sources=sources,
        reference={"format": "keras", "class_name": first.class_name, "activation": activation},
    )
    if first.class_name in CUDNN:
        layer.notes.append(
            f"a Keras 2 {first.class_name} layer: its CuDNN weight layout converted as Keras 2 "
            "itself converted it for the CPU layer (per gate: input kernel k.T.reshape(k.shape, "
            "order='F'), recurrent kernel k.T; "
            + ("the two biases summed)" if kind == "lstm" else "biases as [2, 3*units])")
        )
    merge = config.get("merge_mode")
    if len(halves) == 2 and merge not in (None, "concat"):
        layer.notes.append(f"merge_mode {merge!r}: the Keras layer combines the two directions")
    if config.get("stateful"):
        layer.notes.append(
            "stateful=True: Keras carries states between batches; recorded from zeros"
        )
    if config.get("return_sequences") is False:
        layer.notes.append("return_sequences=False: Keras passes on only the last step")
    return validate(layer)


# ---- the check ----------------------------------------------------------------------------------
