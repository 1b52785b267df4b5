"""Keras layers read out of HDF5: Keras 3's model.weights.h5 (``layers/<snake_case(class)>[_k]``,
matched to config.json in order) and legacy .h5 (``weight_names``), every dataset's storage
checked to lie inside the file before its data is read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core import (
    ModelFileError,
    check_elements,
)
from ._hdf5 import check_dataset

RECURRENT = {
    "LSTM": "lstm",
    "GRU": "gru",
    "SimpleRNN": "rnn",
    "CuDNNLSTM": "lstm",  # Keras 2 GPU layers: the same cells, CuDNN's weight layout
    "CuDNNGRU": "gru",
}
CUDNN = ("CuDNNLSTM", "CuDNNGRU")


def config_layers(config: dict[str, Any] | None) -> list[dict[str, Any]]:
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


# Layers whose output has as many steps as their input (a fixed length passes through them).
_SAME_STEPS = {
    "InputLayer", "Masking", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout",
    "Embedding", "Dense", "TimeDistributed", "Activation", "LayerNormalization",
    "BatchNormalization",
}  # fmt: skip


def _length(shape: Any) -> int | None:
    """T of a batch shape [None, T, ...] (None where the length is free or the shape odd)."""
    if isinstance(shape, list | tuple) and len(shape) >= 2:
        steps = shape[1]
        if type(steps) is int and 0 < steps:
            return steps
    return None


def fixed_steps(config: dict[str, Any] | None) -> dict[str, int]:
    """Per recurrent layer name: the number of steps its input has in the file's model, where
    the model fixes it (Keras ``Input((T, F))`` / ``Input((T,))``, a first layer's
    ``batch_input_shape``, or a RepeatVector(T) before it), carried through layers that keep
    the number of steps. Layers whose input length is free are left out."""
    found: dict[str, int] = {}
    entries = config_layers(config)
    inner = config.get("config") if isinstance(config, dict) else None
    current = _length(inner.get("build_input_shape")) if isinstance(inner, dict) else None
    for entry in entries:
        kind = entry.get("class_name")
        cfg = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        given = _length(cfg.get("batch_shape")) or _length(cfg.get("batch_input_shape"))
        if given is not None:
            current = given
        elif kind == "RepeatVector":
            n = cfg.get("n")
            current = n if type(n) is int and n > 0 else None
        if kind in (*RECURRENT, *CUDNN, "Bidirectional"):
            if current is not None:
                found[str(cfg.get("name", ""))] = current
            inner_cfg = cfg.get("layer", {}).get("config", {}) if kind == "Bidirectional" else cfg
            if not (isinstance(inner_cfg, dict) and inner_cfg.get("return_sequences")):
                current = None  # one vector per sequence from here on
        elif kind not in _SAME_STEPS and kind != "RepeatVector" and given is None:
            current = None
    return found


@dataclass
class KerasLayer:
    """One layer as read from the file: its class (from config.json, or guessed from the shapes),
    its settings, and its arrays by role ("kernel", "recurrent_kernel", "bias", "embeddings")."""

    name: str
    class_name: str | None
    config: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    backward: KerasLayer | None = None  # the backward half of a Bidirectional


def _snake(name: str) -> str:
    """Keras 3's own to_snake_case (its weights file names layers by it): "ConvLSTM2D" ->
    "conv_lstm2d", "SimpleRNN" -> "simple_rnn"; a digit does not start a new word."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


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


def weight_keys(config: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Each layer of ``config`` by its group name under "layers/" in a Keras 3 weights file.

    Keras 3 (keras/src/saving/saving_lib.py) names a container's layers in that file by their
    class, to_snake_case, numbered within the container in the model's order: "lstm", "lstm_1",
    "time_distributed". Never by the layer's own name ("lstm_5" after models built earlier in
    the same session), which is why a file is not read by its layer names."""
    counts: dict[str, int] = {}
    by_key: dict[str, dict[str, Any]] = {}
    for layer in config_layers(config):
        base = _snake(str(layer.get("class_name", "")))
        n = counts.get(base, 0)
        counts[base] = n + 1
        by_key[base if n == 0 else f"{base}_{n}"] = layer
    return by_key


def from_keras3(
    h5: Any, config: dict[str, Any] | None, filename: str, prefix: str = "", depth: int = 0
) -> list[KerasLayer]:
    import h5py

    root = h5.get("layers")
    if not isinstance(root, h5py.Group):
        raise ModelFileError(f"{filename}: the weights file has no 'layers' group")
    by_key = weight_keys(config)
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
            found.extend(from_keras3(group, entry or None, filename, f"{name}/", depth + 1))
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
        elif isinstance(group.get("layer"), h5py.Group):  # a wrapper (TimeDistributed): its layer
            arrays = _vars(group["layer"].get("vars"), filename, f"{where}/layer/vars")
            layer = KerasLayer(name, class_name, settings)
            inner = settings.get("layer") if isinstance(settings.get("layer"), dict) else {}
            if inner.get("class_name") == "Dense" and 1 <= len(arrays) <= 2:
                layer.arrays["kernel"] = arrays[0]  # as the legacy .h5 reader finds it
                if len(arrays) == 2:
                    layer.arrays["bias"] = arrays[1]
            found.append(layer)
        else:
            arrays = _vars(group.get("vars"), filename, f"{where}/vars")
            layer = KerasLayer(name, class_name, settings)
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
) -> KerasLayer:
    layer = KerasLayer(name, class_name, config)
    roles = ("kernel", "recurrent_kernel", "bias")
    for i, (role, array) in enumerate(zip(roles, arrays, strict=False)):
        layer.arrays[role] = array
        layer.paths[role] = f"{where}/{i}"
    return layer


def from_legacy(group: Any, config: dict[str, Any] | None, filename: str) -> list[KerasLayer]:
    """Legacy HDF5: one group per layer name, its attribute weight_names listing its arrays."""
    import h5py

    settings = {}
    for layer in config_layers(config):
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
        forward = KerasLayer(key, class_name, cfg)
        backward = KerasLayer(key, None, {})
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
