"""Keras 3 files (.keras, .h5) load, record, and match Keras on the same file; settings
PyTorch cannot express are refused."""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported anywhere

import numpy as np
import pytest
import torch

import lstm_viz
from lstm_viz.importers import (
    Choice,
    ModelFileError,
    build,
    checks,
    inspect_file,
    recurrent_input,
)

from ._common import TOL

# ---- Keras 3 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras_model():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("these tests run Keras on its torch backend (KERAS_BACKEND=torch)")
    keras.utils.set_random_seed(7)
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(30, 6, name="emb")(inputs)
    x = keras.layers.LSTM(5, return_sequences=True, name="enc")(x)
    x = keras.layers.GRU(4, return_sequences=True, name="mid")(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True), name="bi")(x)
    x = keras.layers.SimpleRNN(3, return_sequences=True, name="top")(x)
    outputs = keras.layers.Dense(2, name="out")(x)
    return keras, keras.Model(inputs, outputs)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_matches_keras(keras_model, tmp_path, suffix):
    keras, model = keras_model
    path = tmp_path / f"model{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    imported = inspect_file(path)
    assert [(r["layer"], r["kind"], r["bidirectional"]) for r in imported.table()] == [
        ("enc", "lstm", False),
        ("mid", "gru", False),
        ("bi", "lstm", True),
        ("top", "rnn_tanh", False),
    ]
    ids = np.random.default_rng(0).integers(0, 30, (3, 7))
    layer_input = ids
    for name in ("enc", "mid", "bi", "top"):
        layer = imported.layer(name)
        expected = keras.ops.convert_to_numpy(
            keras.Model(model.inputs, model.get_layer(name).output)(ids)
        )
        if name == "enc":
            module = build(layer, Choice(embedding="emb"))
            inputs = torch.from_numpy(layer_input)
        else:
            module = build(layer)
            inputs = torch.from_numpy(np.asarray(layer_input, dtype=np.float32))
        _, trace = lstm_viz.record(module, inputs)
        ours = torch.cat([trace.hidden[0, d] for d in range(layer.directions)], dim=-1)
        np.testing.assert_allclose(ours.numpy(), expected, atol=TOL, rtol=0)
        found = checks(layer, recurrent_input(module, inputs), trace)
        assert found[-1].reference.startswith("Keras")
        assert all(c.max_difference < TOL for c in found), found
        layer_input = expected
    top = imported.layer("top")
    assert [h.name for h in top.heads] == ["out"]


def test_keras_settings_pytorch_cannot_express_are_refused(tmp_path):
    keras = pytest.importorskip("keras")
    for layer, message in [
        (keras.layers.GRU(3, reset_after=False), "reset_after=False"),
        (keras.layers.LSTM(3, activation="relu"), "activation 'relu'"),
    ]:
        model = keras.Sequential([keras.Input((None, 2)), layer])
        path = tmp_path / "m.keras"
        model.save(path)
        layer = inspect_file(path).layer()  # listed, refused alone (other layers stay usable)
        assert message in layer.problems[0]
        with pytest.raises(ModelFileError, match=message):
            build(layer)


def test_keras_layers_inside_a_nested_model(tmp_path):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("runs Keras on its torch backend")
    inner = keras.Sequential(
        [keras.Input((None, 3)), keras.layers.LSTM(4, return_sequences=True, name="a")],
        name="inner",
    )
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, keras.layers.Dense(2, name="d")(inner(inputs)))
    model.save(tmp_path / "nested.keras")
    layer = inspect_file(tmp_path / "nested.keras").layer("inner/a")
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype(np.float32)
    _, trace = lstm_viz.record(build(layer), torch.from_numpy(x))
    expected = keras.ops.convert_to_numpy(inner(x))
    np.testing.assert_allclose(trace.hidden[0, 0].numpy(), expected, atol=TOL, rtol=0)
    assert [h.name for h in layer.heads] == ["d"]
