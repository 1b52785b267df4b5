"""A Keras LSTM -> RepeatVector -> LSTM -> TimeDistributed(Dense) autoencoder imports, saved as
.keras or legacy .h5 after other models in the same session (so its layers are named "lstm_5",
"time_distributed_2", as in a notebook), and its recording matches Keras: the reconstruction and
the decoder's hidden states within 1e-5. The child-process reader gives the same model."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported anywhere

from lstm_viz.importers import ModelFileError  # noqa: E402
from lstm_viz.importers.keras_autoencoder import (  # noqa: E402
    NotAnAutoencoder,
    read_keras_autoencoder,
    read_keras_autoencoder_isolated,
)
from lstm_viz.recording.autoencoder import record_autoencoder  # noqa: E402

T, F, H = 9, 2, 5


@pytest.fixture(scope="module")
def keras_model(tmp_path_factory):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("these tests run Keras on its torch backend (KERAS_BACKEND=torch)")
    keras.utils.set_random_seed(0)
    layers = keras.layers

    def autoencoder():
        return keras.Sequential(
            [
                keras.Input((T, F)),
                layers.LSTM(H),
                layers.RepeatVector(T),
                layers.LSTM(H, return_sequences=True),
                layers.TimeDistributed(layers.Dense(F)),
            ]
        )

    autoencoder(), autoencoder()  # cells run twice in a notebook: Keras numbers the names
    model = autoencoder()
    assert model.layers[-1].name != "time_distributed"
    for weight in model.weights:  # nonzero biases, so a dropped bias would show
        weight.assign(np.random.default_rng(1).normal(0, 0.5, weight.shape))
    folder = tmp_path_factory.mktemp("keras")
    model.save(folder / "ae.keras")
    model.save(folder / "ae.h5")  # the legacy format, as most tutorials still save
    return keras, model, folder


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_recording_matches_keras(keras_model, suffix):
    keras, model, folder = keras_model
    path = folder / f"ae{suffix}"
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
    with pytest.raises(NotAnAutoencoder, match="not an LSTM autoencoder of the layout"):
        read_keras_autoencoder(path.read_bytes(), path.name)


def test_the_child_process_reader_gives_the_same_model(keras_model):
    data = (keras_model[2] / "ae.keras").read_bytes()
    here = read_keras_autoencoder(data, "ae.keras").state_dict()
    there = read_keras_autoencoder_isolated(data, "ae.keras")
    assert there.config == read_keras_autoencoder(data, "ae.keras").config
    assert all(torch.equal(value, there.state_dict()[key]) for key, value in here.items())
    with pytest.raises(ModelFileError, match="not a Keras 3 .keras file|zip"):
        read_keras_autoencoder_isolated(b"PK\x03\x04 broken", "broken.keras")
