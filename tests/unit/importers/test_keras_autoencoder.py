"""A Keras LSTM -> RepeatVector -> LSTM -> TimeDistributed(Dense) autoencoder imports, and its
recording matches Keras: the reconstruction and the decoder's hidden states within 1e-5."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported anywhere

from lstm_viz.importers import ModelFileError  # noqa: E402
from lstm_viz.importers.keras_autoencoder import read_keras_autoencoder  # noqa: E402
from lstm_viz.recording.autoencoder import record_autoencoder  # noqa: E402

T, F, H = 9, 2, 5


@pytest.fixture(scope="module")
def keras_model(tmp_path_factory):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("these tests run Keras on its torch backend (KERAS_BACKEND=torch)")
    keras.utils.set_random_seed(0)
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((T, F)),
            layers.LSTM(H),
            layers.RepeatVector(T),
            layers.LSTM(H, return_sequences=True),
            layers.TimeDistributed(layers.Dense(F)),
        ]
    )
    for weight in model.weights:  # nonzero biases, so a dropped bias would show
        weight.assign(np.random.default_rng(1).normal(0, 0.5, weight.shape))
    path = tmp_path_factory.mktemp("keras") / "ae.keras"
    model.save(path)
    return keras, model, path


def test_recording_matches_keras(keras_model):
    keras, model, path = keras_model
    ours = read_keras_autoencoder(path.read_bytes(), path.name)
    assert (ours.config.feedback, ours.config.start, ours.config.window) == ("repeat", "zeros", T)
    x = np.random.default_rng(2).normal(size=(3, T, F)).astype(np.float32)
    recording = record_autoencoder(ours, torch.from_numpy(x))
    want = np.asarray(model.predict(x, verbose=0))
    np.testing.assert_allclose(recording["reconstruction"].numpy(), want, atol=1e-5)
    decoder_out = keras.Model(model.inputs, model.layers[2].output).predict(x, verbose=0)
    np.testing.assert_allclose(recording.decoder.hidden[0, 0].numpy(), decoder_out, atol=1e-5)
    encoder_out = keras.Model(model.inputs, model.layers[0].output).predict(x, verbose=0)
    np.testing.assert_allclose(
        recording.encoder.hidden[0, 0, :, -1].numpy(), encoder_out, atol=1e-5
    )


def test_another_layout_is_refused(tmp_path, keras_model):
    keras = keras_model[0]
    other = keras.Sequential([keras.Input((T, F)), keras.layers.LSTM(H), keras.layers.Dense(1)])
    path = tmp_path / "other.keras"
    other.save(path)
    with pytest.raises(ModelFileError, match="not an LSTM autoencoder of the layout"):
        read_keras_autoencoder(path.read_bytes(), path.name)
