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
import re
import zipfile
from dataclasses import dataclass, field
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
    check_elements,
    validate,
)
from ._hdf5 import check_dataset, check_inside

RECURRENT = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
_GRU_ORDER = (1, 0, 2)  # r, z, n from z, r, h
_MAX_CONFIG_BYTES = 16 * 1024 * 1024


@dataclass
class _KerasLayer:
    """One layer as read from the file: its class (from config.json, or guessed from the shapes),
    its settings, and its arrays by role ("kernel", "recurrent_kernel", "bias", "embeddings")."""

    name: str
    class_name: str | None
    config: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    backward: _KerasLayer | None = None  # the backward half of a Bidirectional


def read_keras(data: bytes, filename: str, fmt: str) -> ImportedFile:
    try:
        import h5py
    except ImportError:
        raise ModelFileError(
            "reading Keras files needs the h5py package: pip install h5py"
        ) from None
    notes = []
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
            layers = _from_keras3(h5, config, filename)
    else:
        with h5py.File(io.BytesIO(data), "r") as h5:
            check_inside(h5, filename)  # every dataset's data inside the upload, before reading
            if "layers" in h5 and "model_config" not in h5.attrs:  # Keras 3 .weights.h5
                layers = _from_keras3(h5, None, filename)
                notes.append("a weights-only file: layer kinds inferred from the shapes")
            else:
                raw = h5.attrs.get("model_config")
                config = _json(raw, filename) if raw is not None else None
                if config is None:
                    notes.append("a weights-only file: layer kinds inferred from the shapes")
                group = h5["model_weights"] if "model_weights" in h5 else h5
                layers = _from_legacy(group, config, filename)
    found = _convert(layers, filename)
    if not found:
        kinds = sorted({layer.class_name or "?" for layer in layers})
        raise ModelFileError(
            f"{filename} has no LSTM, GRU or SimpleRNN layer (its layers: {', '.join(kinds)})"
        )
    return ImportedFile(filename, fmt, found, notes)


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


def _config_layers(config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The model's layers as listed in its configuration (one level: nested models are not
    searched). A bare layer saved on its own is a list of one."""
    if not config:
        return []
    inner = config.get("config")
    if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
        return [layer for layer in inner["layers"] if isinstance(layer, dict)]
    if isinstance(inner, list):  # Keras 2 Sequential: "config": [layers]
        return [layer for layer in inner if isinstance(layer, dict)]
    return []


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z][a-z])", r"_\1\2", name).lower()


def _read(dataset: Any, where: str, filename: str) -> np.ndarray:
    """One HDF5 dataset as a float array, its declared shape checked before it is read."""
    import h5py

    if not isinstance(dataset, h5py.Dataset):
        raise ModelFileError(f"{filename}: {where} is not an array")
    shape = tuple(int(s) for s in (dataset.shape or ()))
    check_elements([shape], filename)
    if dataset.dtype.kind != "f":
        raise ModelFileError(f"{filename}: {where} holds {dataset.dtype}, not floating point")
    check_dataset(dataset, where, filename)
    return np.asarray(dataset[()], dtype=np.float32)


def _vars(group: Any, filename: str, where: str) -> list[np.ndarray]:
    """Keras 3 stores a layer's variables as datasets "0", "1", ... in a "vars" group."""
    import h5py

    if not isinstance(group, h5py.Group):
        return []
    keys = sorted((k for k in group.keys() if k.isdigit()), key=int)
    return [_read(group[k], f"{where}/{k}", filename) for k in keys]


def _from_keras3(
    h5: Any, config: dict[str, Any] | None, filename: str, prefix: str = "", depth: int = 0
) -> list[_KerasLayer]:
    import h5py

    root = h5.get("layers")
    if not isinstance(root, h5py.Group):
        raise ModelFileError(f"{filename}: the weights file has no 'layers' group")
    counts: dict[str, int] = {}
    by_key: dict[str, dict[str, Any]] = {}
    for layer in _config_layers(config):
        base = _snake(str(layer.get("class_name", "")))
        n = counts.get(base, 0)
        counts[base] = n + 1
        by_key[base if n == 0 else f"{base}_{n}"] = layer
    if (
        config is not None
        and not by_key
        and config.get("class_name") in (*RECURRENT, "Bidirectional")
    ):
        by_key[_snake(config["class_name"])] = config  # a bare layer saved on its own
    found = []
    rest = sorted((k for k in root.keys() if k not in by_key), key=_natural)
    for key in [k for k in by_key if k in root] + rest:  # the model's own order
        group = root[key]
        if not isinstance(group, h5py.Group):
            continue
        entry = by_key.get(key, {})
        settings = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        name = prefix + str(settings.get("name", key))
        class_name = entry.get("class_name") if entry else None
        where = f"layers/{key}"
        if "layers" in group and depth < 8:  # a model inside the model: its layers, in order
            found.extend(_from_keras3(group, entry or None, filename, f"{name}/", depth + 1))
        elif "forward_layer" in group and "backward_layer" in group:
            halves = []
            for half in ("forward_layer", "backward_layer"):
                arrays = _vars(group[half].get("cell"), filename, f"{where}/{half}/cell/vars")
                if not arrays and "cell" in group[half]:
                    arrays = _vars(group[half]["cell"].get("vars"), filename, f"{where}/{half}")
                inner = (
                    settings.get("layer", {})
                    if half == "forward_layer"
                    else settings.get("backward_layer", settings.get("layer", {}))
                )
                inner_cfg = inner.get("config", {}) if isinstance(inner, dict) else {}
                halves.append(
                    _recurrent_arrays(
                        name,
                        inner.get("class_name") if isinstance(inner, dict) else None,
                        inner_cfg if isinstance(inner_cfg, dict) else {},
                        arrays,
                        f"{where}/{half}/cell/vars",
                    )
                )
            halves[0].backward = halves[1]
            halves[0].config = {**halves[0].config, "merge_mode": settings.get("merge_mode")}
            found.append(halves[0])
        elif "cell" in group:
            arrays = _vars(group["cell"].get("vars"), filename, f"{where}/cell/vars")
            found.append(
                _recurrent_arrays(name, class_name, settings, arrays, f"{where}/cell/vars")
            )
        else:
            arrays = _vars(group.get("vars"), filename, f"{where}/vars")
            layer = _KerasLayer(name, class_name, settings)
            if class_name == "Embedding" or (class_name is None and key.startswith("embedding")):
                if len(arrays) == 1:
                    layer.class_name = "Embedding"
                    layer.arrays["embeddings"] = arrays[0]
            elif class_name == "Dense" or (class_name is None and key.startswith("dense")):
                if 1 <= len(arrays) <= 2:
                    layer.class_name = "Dense"
                    layer.arrays["kernel"] = arrays[0]
                    if len(arrays) == 2:
                        layer.arrays["bias"] = arrays[1]
            found.append(layer)
    return found


def _natural(key: str) -> tuple[str, int]:
    base, _, number = key.rpartition("_")
    return (base, int(number)) if number.isdigit() and base else (key, -1)


def _recurrent_arrays(
    name: str, class_name: str | None, config: dict[str, Any], arrays: list, where: str
) -> _KerasLayer:
    layer = _KerasLayer(name, class_name, config)
    roles = ("kernel", "recurrent_kernel", "bias")
    for i, (role, array) in enumerate(zip(roles, arrays, strict=False)):
        layer.arrays[role] = array
        layer.paths[role] = f"{where}/{i}"
    return layer


def _from_legacy(group: Any, config: dict[str, Any] | None, filename: str) -> list[_KerasLayer]:
    """Legacy HDF5: one group per layer name, its attribute weight_names listing its arrays."""
    import h5py

    settings = {}
    for layer in _config_layers(config):
        inner = layer.get("config")
        if isinstance(inner, dict) and "name" in inner:
            settings[str(inner["name"])] = layer
    found = []
    names = group.attrs.get("layer_names")
    keys = (
        [n.decode() if isinstance(n, bytes) else str(n) for n in names]
        if names is not None
        else list(group.keys())
    )
    for key in keys:
        sub = group.get(key)
        if not isinstance(sub, h5py.Group):
            continue
        raw = sub.attrs.get("weight_names")
        weight_names = [
            n.decode() if isinstance(n, bytes) else str(n) for n in (raw if raw is not None else [])
        ]
        if not weight_names:
            continue
        entry = settings.get(key, {})
        cfg = entry.get("config", {}) if isinstance(entry.get("config"), dict) else {}
        class_name = entry.get("class_name")
        forward = _KerasLayer(key, class_name, cfg)
        backward = _KerasLayer(key, None, {})
        for weight_name in weight_names:
            if weight_name not in sub:
                raise ModelFileError(
                    f"{filename}: layer {key!r} lists {weight_name!r}, not in file"
                )
            array = _read(sub[weight_name], f"{key}/{weight_name}", filename)
            role = weight_name.rsplit("/", 1)[-1].split(":")[0]
            target = backward if "backward" in weight_name else forward
            target.arrays[role] = array
            target.paths[role] = f"model_weights/{key}/{weight_name}"
        if class_name == "Bidirectional" or backward.arrays:
            inner = cfg.get("layer", {}) if isinstance(cfg.get("layer"), dict) else {}
            forward.class_name = inner.get("class_name")
            forward.config = {
                **(inner.get("config") or {}),
                "merge_mode": cfg.get("merge_mode"),
            }
            backward.class_name = forward.class_name
            backward.config = forward.config
            forward.backward = backward
        found.append(forward)
    return found


# ---- conversion ---------------------------------------------------------------------------------


def _guess(layer: _KerasLayer) -> str | None:
    """The class from the shapes: recurrent_kernel [units, gates*units]: 4 LSTM, 3 GRU, 1 RNN."""
    recurrent = layer.arrays.get("recurrent_kernel")
    if recurrent is None or recurrent.ndim != 2 or recurrent.shape[0] == 0:
        return None
    gates = recurrent.shape[1] / recurrent.shape[0]
    return {4.0: "LSTM", 3.0: "GRU", 1.0: "SimpleRNN"}.get(gates)


def _activation(value: Any) -> str:
    if isinstance(value, dict):
        value = (
            value.get("config", {}).get("name")
            if isinstance(value.get("config"), dict)
            else value.get("class_name")
        )
    return str(value).lower() if value is not None else ""


def _convert(layers: list[_KerasLayer], filename: str) -> list[RecurrentLayer]:
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
        recurrent = _recurrent_layer(halves, filename)
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


def _is_recurrent(layer: _KerasLayer) -> bool:
    return layer.class_name in RECURRENT or "recurrent_kernel" in layer.arrays


def _recurrent_layer(halves: list[_KerasLayer], filename: str) -> RecurrentLayer:
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
            raise ModelFileError(
                f"{where}: activation {activation!r} and recurrent_activation "
                f"{recurrent_activation!r}; PyTorch's cells use 'tanh' and 'sigmoid'"
            )
    if config.get("go_backwards") and len(halves) == 1:
        raise ModelFileError(f"{where}: go_backwards=True alone (reads the input reversed)")
    if kind == "gru" and config.get("reset_after") is False:
        raise ModelFileError(
            f"{where}: reset_after=False applies the reset gate before the recurrent matrix "
            "product; PyTorch's GRU applies it after (Keras 3's default, reset_after=True)"
        )
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
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
        order = _GRU_ORDER if kind == "gru" else tuple(range(gates))
        weights["weight_ih" + s] = _reorder(kernel.T, order, units)
        weights["weight_hh" + s] = _reorder(recurrent.T, order, units)
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
                weights["bias_ih" + s] = _reorder(bias[0], order, units)
                weights["bias_hh" + s] = _reorder(bias[1], order, units)
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
    merge = config.get("merge_mode")
    if len(halves) == 2 and merge not in (None, "concat"):
        layer.notes.append(f"merge_mode {merge!r}: the Keras layer combines the two directions")
    if config.get("return_sequences") is False:
        layer.notes.append("return_sequences=False: Keras passes on only the last step")
    return validate(layer)


def _reorder(w: np.ndarray, order: tuple[int, ...], units: int) -> torch.Tensor:
    blocks = np.split(np.ascontiguousarray(w), len(order), axis=0)
    return as_float32(np.concatenate([blocks[i] for i in order]).copy(), "weights")


# ---- the check ----------------------------------------------------------------------------------


def check_with_keras(layer: RecurrentLayer, x: torch.Tensor, trace: Any):
    """Build a fresh Keras layer of the same kind and sizes (from our own arguments, never from
    the file's configuration), give it the file's weights, run it on the same input and compare
    the hidden state at every step. None when Keras is not installed."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except Exception:  # not installed, or its configured backend is not
        return None
    from ._build import Check

    name = f"Keras {keras.__version__} ({keras.backend.backend()} backend)"
    try:
        diff = _keras_difference(keras, layer, x, trace)
    except Exception as error:  # Keras refused the layer: no check, say why
        return Check(name, float("nan"), f"failed: {str(error)[:300]}")
    return Check(name, diff, "the hidden state at every step")


def _keras_difference(keras: Any, layer: RecurrentLayer, x: torch.Tensor, trace: Any) -> float:
    reference = layer.reference
    class_name = reference["class_name"]
    directions = [False, True] if layer.bidirectional else [False]
    diffs = []
    for d, backwards in enumerate(directions):
        s = suffix(0, d)
        args = dict(return_sequences=True, go_backwards=backwards, use_bias=layer.bias)
        if class_name == "SimpleRNN":
            cell = keras.layers.SimpleRNN(
                layer.hidden_size, activation=reference["activation"], **args
            )
            order = (0,)
        elif class_name == "GRU":
            cell = keras.layers.GRU(layer.hidden_size, reset_after=True, **args)
            order = _GRU_ORDER
        else:
            cell = keras.layers.LSTM(layer.hidden_size, **args)
            order = (0, 1, 2, 3)
        cell.build((None, None, layer.input_size))
        w_ih = _reorder(layer.weights["weight_ih" + s].numpy(), order, layer.hidden_size)
        w_hh = _reorder(layer.weights["weight_hh" + s].numpy(), order, layer.hidden_size)
        values = [w_ih.numpy().T, w_hh.numpy().T]
        if layer.bias:
            b_ih = _reorder(layer.weights["bias_ih" + s].numpy(), order, layer.hidden_size).numpy()
            b_hh = _reorder(layer.weights["bias_hh" + s].numpy(), order, layer.hidden_size).numpy()
            values.append(np.stack([b_ih, b_hh]) if class_name == "GRU" else b_ih + b_hh)
        cell.set_weights(values)
        out = keras.ops.convert_to_numpy(cell(x.numpy()))  # [B, T, H]
        out = torch.from_numpy(np.asarray(out, dtype=np.float32))
        if backwards:
            out = out.flip(1)  # go_backwards returns the steps in reading order
        diffs.append((trace.hidden[0, d] - out).abs().max())
    return float(torch.stack(diffs).max())
