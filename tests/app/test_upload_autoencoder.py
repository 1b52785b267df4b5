"""AppTest: a Keras LSTM -> RepeatVector -> LSTM -> TimeDistributed(Dense) file on the Upload
page is offered for the anomaly view: calibrated on normal signal, saved as an autoencoder folder
in this session's own upload folder (never the shared models folder) and selected; Explore then
shows its anomaly view. (Other layouts are refused by the
importer: tests/unit/importers/test_keras_autoencoder.py.)"""

from __future__ import annotations

import os

import numpy as np
import pytest

from app import state
from lstm_viz.models.autoencoder import load_autoencoder
from lstm_viz.models.checkpoints import models_dir
from tests.app.test_upload_page import upload, upload_page

T, H = 8, 4


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory) -> bytes:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras runs on its torch backend here (KERAS_BACKEND=torch)")
    keras.utils.set_random_seed(0)
    layers = keras.layers

    def autoencoder():
        return keras.Sequential(
            [
                keras.Input((T, 1)),
                layers.LSTM(H),
                layers.RepeatVector(T),
                layers.LSTM(H, return_sequences=True),
                layers.TimeDistributed(layers.Dense(1)),
            ]
        )

    autoencoder()  # built twice, as in a notebook: the saved layer names are numbered
    model = autoencoder()
    for weight in model.weights:
        weight.assign(np.random.default_rng(1).normal(0, 0.5, weight.shape))
    folder = tmp_path_factory.mktemp("keras")
    model.save(folder / "my ae.keras")  # legacy .h5: tests/unit/importers/test_keras_autoencoder
    return folder.joinpath("my ae.keras").read_bytes()


def test_a_keras_autoencoder_opens_in_the_anomaly_view(keras_file):
    at = upload(upload_page(), "my ae.keras", keras_file)
    assert any("is an LSTM autoencoder" in m.value for m in at.markdown)
    at.selectbox(key=f"{state.UPLOAD_PREFIX}.autoencoder.normal").set_value("sines")
    at.button(key=f"{state.UPLOAD_PREFIX}.autoencoder.open").click()
    at.run()
    assert not at.exception, at.exception
    (ref,) = at.session_state[state.UPLOADED_MODELS]  # this session's, nobody else's
    assert (ref.id, ref.kind) == ("uploaded/my-ae-autoencoder", "autoencoder")
    assert not models_dir().exists() or not any(models_dir().iterdir())
    saved = load_autoencoder(ref.path)
    assert (saved.model.config.window, saved.model.config.feedback) == (T, "repeat")
    assert saved.anomaly["threshold"] > 0 and saved.info["source"]["format"] == "keras"
    assert at.session_state[state.CHOICES]["model"] == "uploaded/my-ae-autoencoder"
    assert any("LSTM autoencoder · windows of 8 steps" in c.value for c in at.caption)
