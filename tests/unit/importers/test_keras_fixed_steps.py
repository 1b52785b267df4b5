"""A Keras file whose model fixes its input length (Input((T, F)), Input((T,)) of token ids,
Keras 2's batch_input_shape, a RepeatVector(T)): the length is read onto the recurrent layer
(RecurrentLayer.steps), survives the reading child's reply, and is the default input length.
(The Upload page and the Keras check on it: tests/app/test_upload_fixed_steps.py.)"""

from __future__ import annotations

import os

import pytest

from lstm_viz.importers import Choice, inspect_file, prepare
from lstm_viz.importers._isolated import decode, encode
from lstm_viz.importers._keras_h5 import fixed_steps

T = 6


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory) -> dict[str, bytes]:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    layers = keras.layers
    folder = tmp_path_factory.mktemp("fixed")
    models = {
        "ae.h5": keras.Sequential(
            [
                keras.Input((T, 1)),
                layers.LSTM(4),
                layers.RepeatVector(T + 1),
                layers.LSTM(4, return_sequences=True),
                layers.TimeDistributed(layers.Dense(1)),
            ]
        ),
        "text.keras": keras.Sequential(
            [keras.Input((T,)), layers.Embedding(9, 3), layers.GRU(4), layers.Dense(2)]
        ),
        "free.keras": keras.Sequential([keras.Input((None, 2)), layers.LSTM(4)]),
    }
    for name, model in models.items():
        model.save(folder / name)
    return {name: (folder / name).read_bytes() for name in models}


def test_the_fixed_length_is_read_kept_and_the_default(keras_files):
    ae = inspect_file(keras_files["ae.h5"], "ae.h5")
    assert [layer.steps for layer in ae.layers] == [T, T + 1]  # the decoder: RepeatVector(T + 1)
    again = decode(encode(ae))  # the reading child's reply
    assert [layer.steps for layer in again.layers] == [T, T + 1]
    first = again.layers[0]
    assert prepare(first, Choice(), "random:").inputs.shape == (1, T, 1)
    assert prepare(first, Choice(), "random:3").inputs.shape == (1, 3, 1)
    text = inspect_file(keras_files["text.keras"], "text.keras").layers[0]
    assert text.steps == T
    free = inspect_file(keras_files["free.keras"], "free.keras").layers[0]
    assert free.steps is None
    assert prepare(free, Choice(), "random:").inputs.shape == (1, 20, 2)


def test_fixed_steps_reads_keras_2_configs_and_stops_where_the_length_changes():
    def layer(kind, **config):
        return {"class_name": kind, "config": {"name": kind.lower(), **config}}

    keras2 = {  # Keras 2 Sequential: "config": [layers], the first with batch_input_shape
        "class_name": "Sequential",
        "config": [
            layer("Masking", batch_input_shape=[None, 12, 3]),
            layer("LSTM", return_sequences=True),
            layer("GRU", return_sequences=False),
            layer("RepeatVector", n=5),
            layer("SimpleRNN"),
        ],
    }
    assert fixed_steps(keras2) == {"lstm": 12, "gru": 12, "simplernn": 5}
    pooled = {
        "config": {
            "layers": [
                layer("InputLayer", batch_shape=[None, 8, 1]),
                layer("Conv1D"),  # may change the length: not carried
                layer("LSTM"),
            ]
        }
    }
    assert fixed_steps(pooled) == {}
    assert fixed_steps(None) == {}
