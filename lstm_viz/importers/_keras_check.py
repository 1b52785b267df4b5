"""The Keras reference check: a fresh Keras layer built from our reading, the file's weights
set, run on the recording's input (Keras's own loader never opens the file)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lstm_viz.recording.naming import suffix

from ._core import (
    RecurrentLayer,
)
from ._keras import GRU_ORDER, reorder


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
            order = GRU_ORDER
        else:
            cell = keras.layers.LSTM(layer.hidden_size, **args)
            order = (0, 1, 2, 3)
        cell.build((None, None, layer.input_size))
        w_ih = reorder(layer.weights["weight_ih" + s].numpy(), order, layer.hidden_size)
        w_hh = reorder(layer.weights["weight_hh" + s].numpy(), order, layer.hidden_size)
        values = [w_ih.numpy().T, w_hh.numpy().T]
        if layer.bias:
            b_ih = reorder(layer.weights["bias_ih" + s].numpy(), order, layer.hidden_size).numpy()
            b_hh = reorder(layer.weights["bias_hh" + s].numpy(), order, layer.hidden_size).numpy()
            values.append(np.stack([b_ih, b_hh]) if class_name == "GRU" else b_ih + b_hh)
        cell.set_weights(values)
        out = keras.ops.convert_to_numpy(cell(x.numpy()))  # [B, T, H]
        out = torch.from_numpy(np.asarray(out, dtype=np.float32))
        if backwards:
            out = out.flip(1)  # go_backwards returns the steps in reading order
        diffs.append((trace.hidden[0, d] - out).abs().max())
    return float(torch.stack(diffs).max())
