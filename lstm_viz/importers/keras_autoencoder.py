"""Keras LSTM autoencoders of the common layout, read as an ``LSTMAutoencoder``:

    LSTM(H) -> RepeatVector(T) -> LSTM(H, return_sequences=True) -> TimeDistributed(Dense(F))

The encoder's final output is repeated T times as the decoder's input; the decoder starts from
zeros; the dense layer reads each step. That is ``AutoencoderConfig(feedback="repeat",
start="zeros", reverse=False)`` with the two LSTMs' weights (read by ``keras_layers``, which
checks every HDF5 object first and never runs Keras) and the dense layer's kernel transposed.
A Keras 3 ``.keras`` file or a legacy ``.h5`` (``model.save("ae.h5")``, Keras 2 or 3) of exactly
this layout is read; a file of other layers is NotAnAutoencoder, one of this layout with other
settings a ModelFileError saying which layer differs. Layers are found by their class and
position, never by their names (Keras numbers names per session: "lstm_5").

    model = read_keras_autoencoder(Path("ae.keras").read_bytes(), "ae.keras")
    model = read_keras_autoencoder_isolated(data, "ae.keras")  # the same, in a child process
    recording = record_autoencoder(model, windows)   # lstm_viz.recording.autoencoder

    python -m lstm_viz.importers.keras_autoencoder   # the child: "<filename>\\n<bytes>" on stdin
"""

from __future__ import annotations

import sys
from dataclasses import asdict

import torch

from lstm_viz.models.autoencoder import AutoencoderConfig, LSTMAutoencoder

from ._core import ModelFileError
from ._keras import _convert, keras_layers
from ._keras_h5 import config_layers


class NotAnAutoencoder(ModelFileError):
    """The file is not a Keras model of the autoencoder layout (another format, other layers):
    the generic layer table reads it instead."""


LAYOUT = ("LSTM", "RepeatVector", "LSTM", "TimeDistributed")


def _layout(config: dict, filename: str) -> tuple[list[dict], dict]:
    """The four layers' configs and the Dense inside TimeDistributed; ModelFileError otherwise."""
    layers = [layer for layer in config_layers(config) if layer.get("class_name") != "InputLayer"]
    classes = tuple(str(layer.get("class_name")) for layer in layers)
    if classes != LAYOUT:
        raise NotAnAutoencoder(
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
    """The autoencoder in a Keras ``.keras`` or legacy ``.h5`` file (see the module docstring),
    in eval mode. NotAnAutoencoder for another format or other layers; ModelFileError (one
    line) for this layout with settings or weights it cannot take."""
    from . import detect_format

    fmt = detect_format(data, filename)
    if fmt not in ("keras", "keras-h5"):
        raise NotAnAutoencoder(f"{filename} is not a Keras file")
    layers, config, _ = keras_layers(data, filename, fmt)
    if not config:
        raise NotAnAutoencoder(f"{filename} holds weights only: its layout is unknown")
    settings, dense = _layout(config, filename)
    lstms = _convert([layer for layer in layers if layer.class_name == "LSTM"], filename)
    if len(lstms) != 2 or any(layer.problems for layer in lstms):
        problems = "; ".join(p for layer in lstms for p in layer.problems)
        why = f": {problems}" if problems else ""
        raise ModelFileError(f"{filename}: its two LSTM layers could not both be read{why}")
    encoder, decoder = lstms
    wrappers = [layer for layer in layers if layer.class_name == "TimeDistributed"]
    if len(wrappers) != 1 or "kernel" not in wrappers[0].arrays:
        raise ModelFileError(f"{filename}: no weights for the dense layer inside TimeDistributed")
    kernel = torch.from_numpy(wrappers[0].arrays["kernel"]).float()  # [H, F]
    bias = wrappers[0].arrays.get("bias")
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
    state["head.bias"] = (
        torch.from_numpy(bias).float() if bias is not None else torch.zeros(features)
    )
    model.load_state_dict(state)
    return model.eval()


def read_keras_autoencoder_isolated(data: bytes, filename: str) -> LSTMAutoencoder:
    """``read_keras_autoencoder`` in a child process with the upload reader's limits
    (lstm_viz.importers._isolated.run_isolated): HDF5 is parsed there, never in the caller.
    The same errors, and ModelFileError when the child runs out of time or memory or crashes."""
    from safetensors.torch import load

    from ._isolated import read_reply, run_isolated

    message = filename.encode("utf-8", "replace").replace(b"\n", b" ") + b"\n" + data
    command = [sys.executable, "-m", "lstm_viz.importers.keras_autoencoder"]
    reply = run_isolated(command, message, filename, "reading it")
    meta, body = read_reply(reply, filename)
    if "not_an_autoencoder" in meta:
        raise NotAnAutoencoder(meta["not_an_autoencoder"])
    model = LSTMAutoencoder(AutoencoderConfig(**meta["config"]))
    model.load_state_dict(load(body))
    return model.eval()


def _main() -> int:
    from safetensors.torch import save

    from ._isolated import answer

    filename, _, data = sys.stdin.buffer.read().partition(b"\n")

    def work() -> tuple[dict, bytes]:
        try:
            model = read_keras_autoencoder(data, filename.decode("utf-8", "replace"))
        except NotAnAutoencoder as error:
            return {"not_an_autoencoder": str(error)}, b""
        state = save({k: v.contiguous() for k, v in model.state_dict().items()})
        return {"config": asdict(model.config)}, state

    return answer(work)


if __name__ == "__main__":
    raise SystemExit(_main())
