"""Keras LSTM autoencoders of the common layout, read as an ``LSTMAutoencoder``:

    LSTM(H) -> RepeatVector(T) -> LSTM(H, return_sequences=True) -> TimeDistributed(Dense(F))

The encoder's final output is repeated T times as the decoder's input; the decoder starts from
zeros; the dense layer reads each step. That is ``AutoencoderConfig(feedback="repeat",
start="zeros", reverse=False)`` with the two LSTMs' weights (read by ``read_keras``, which checks
every HDF5 object first and never runs Keras) and the dense layer's kernel transposed. Only a
Keras 3 ``.keras`` file of exactly this layout is read; anything else is a ModelFileError saying
which layer differs.

    model = read_keras_autoencoder(Path("ae.keras").read_bytes(), "ae.keras")
    recording = record_autoencoder(model, windows)   # lstm_viz.recording.autoencoder
"""

from __future__ import annotations

import io
import zipfile

import torch

from lstm_viz.models.autoencoder import AutoencoderConfig, LSTMAutoencoder

from ._core import ModelFileError
from ._hdf5 import check_inside
from ._keras import read_keras
from ._keras_h5 import config_layers

LAYOUT = ("LSTM", "RepeatVector", "LSTM", "TimeDistributed")


def _layout(config: dict, filename: str) -> tuple[list[dict], dict]:
    """The four layers' configs and the Dense inside TimeDistributed; ModelFileError otherwise."""
    layers = [layer for layer in config_layers(config) if layer.get("class_name") != "InputLayer"]
    classes = tuple(str(layer.get("class_name")) for layer in layers)
    if classes != LAYOUT:
        raise ModelFileError(
            f"{filename} is not an LSTM autoencoder of the layout {' -> '.join(LAYOUT)}: its "
            f"layers are {' -> '.join(classes) or 'none'}"
        )
    settings = [layer.get("config") or {} for layer in layers]
    encoder, repeat, decoder, wrapper = settings
    inner = wrapper.get("layer") or {}
    dense = inner.get("config") or {}
    problems = []
    if encoder.get("return_sequences") or not decoder.get("return_sequences"):
        problems.append("the encoder must return its last output and the decoder every step")
    for name, lstm in (("encoder", encoder), ("decoder", decoder)):
        if lstm.get("go_backwards") or lstm.get("stateful"):
            problems.append(f"the {name} runs backwards or is stateful")
        if (lstm.get("activation"), lstm.get("recurrent_activation")) != ("tanh", "sigmoid"):
            problems.append(f"the {name} does not use tanh and sigmoid")
    if encoder.get("units") != decoder.get("units"):
        problems.append(
            f"encoder and decoder differ in size ({encoder.get('units')} and "
            f"{decoder.get('units')} units); both must have the same"
        )
    if inner.get("class_name") != "Dense" or dense.get("activation", "linear") != "linear":
        problems.append("TimeDistributed must wrap a Dense layer with a linear activation")
    if problems:
        raise ModelFileError(f"{filename}: {'; '.join(problems)}")
    return settings, {**dense, "window": repeat.get("n")}


def read_keras_autoencoder(data: bytes, filename: str) -> LSTMAutoencoder:
    """The autoencoder in a Keras 3 ``.keras`` file (see the module docstring), in eval mode.
    ModelFileError (one line) for another format or layout."""
    import json

    import h5py

    from ._torch import check_zip

    check_zip(data, filename)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = json.loads(archive.read("config.json"))
            weights = archive.read("model.weights.h5")
    except (KeyError, zipfile.BadZipFile, ValueError) as error:
        raise ModelFileError(f"{filename} is not a Keras 3 .keras file ({error})") from None
    settings, dense = _layout(config, filename)
    imported = read_keras(data, filename, "keras")
    lstms = [layer for layer in imported.layers if layer.kind == "lstm"]
    if len(lstms) != 2 or any(layer.problems for layer in lstms):
        raise ModelFileError(f"{filename}: its two LSTM layers could not both be read")
    encoder, decoder = lstms
    name = settings[3].get("name", "time_distributed")
    with h5py.File(io.BytesIO(weights), "r") as h5:
        check_inside(h5, f"{filename} (model.weights.h5)")
        group = h5.get(f"layers/{name}/layer/vars")
        if group is None or "0" not in group:
            raise ModelFileError(f"{filename}: no weights for the dense layer inside {name!r}")
        kernel = torch.from_numpy(group["0"][()]).float()  # [H, F]
        bias = torch.from_numpy(group["1"][()]).float() if "1" in group else None
    hidden, features = encoder.hidden_size, encoder.input_size
    window = dense["window"]
    if tuple(kernel.shape) != (hidden, features) or not isinstance(window, int):
        raise ModelFileError(
            f"{filename}: the dense layer maps {tuple(kernel.shape)}; an autoencoder of "
            f"{features} feature(s) needs ({hidden}, {features})"
        )
    config = AutoencoderConfig(
        input_size=features,
        hidden_size=hidden,
        window=window,
        reverse=False,
        feedback="repeat",
        start="zeros",
    )
    model = LSTMAutoencoder(config)
    state = {f"encoder.{k}": v for k, v in encoder.weights.items()}
    state |= {f"decoder.{k}": v for k, v in decoder.weights.items()}
    state["head.weight"] = kernel.T.contiguous()
    state["head.bias"] = bias if bias is not None else torch.zeros(features)
    model.load_state_dict(state)
    return model.eval()
