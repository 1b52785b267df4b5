"""AppTest: the Train page's "Your models" lists every kind of trained model folder (sequence
models, encoder-decoders, LSTM autoencoders), and downloads or deletes each."""

from __future__ import annotations

import io
import zipfile

from app.components.train.models import model_row
from app.components.train.owners import ALLOW_DELETE_OTHERS
from app.resources import list_autoencoders, list_trained_models
from lstm_viz.models.checkpoints import checkpoint_zip, models_dir
from tests.app.test_seq2seq_page import save_tiny
from tests.app.test_train_page import train_page
from tests.series_models import save_autoencoder_folder


def test_every_kind_of_model_is_listed_downloaded_and_deleted(monkeypatch):
    save_tiny()  # models_dir()/tiny-dates, an encoder-decoder
    save_autoencoder_folder(models_dir() / "my-ecg-ae", hidden=6, window=32)
    refs = {
        r.name: r for r in [*list_trained_models(), *list_autoencoders()] if r.source == "trained"
    }
    assert model_row(refs["my-ecg-ae"])["model"] == (
        "LSTM autoencoder · 6 units · windows of 32 steps"
    )
    for name in ("tiny-dates", "my-ecg-ae"):  # a zip of the folder, as the download sends
        with zipfile.ZipFile(io.BytesIO(checkpoint_zip(refs[name].path))) as archive:
            assert f"{name}/model.safetensors" in archive.namelist()

    monkeypatch.setenv(ALLOW_DELETE_OTHERS, "1")  # not trained by this session
    at = train_page()
    table = at.dataframe[0].value
    assert set(table["name"]) >= {"tiny-dates", "my-ecg-ae"}
    at.selectbox(key="train.models.pick").select("my-ecg-ae").run()
    at.checkbox(key="train.models.confirm.my-ecg-ae").check().run()
    at.button(key="train.models.delete").click().run()
    assert not at.exception, at.exception
    assert not (models_dir() / "my-ecg-ae").exists() and (models_dir() / "tiny-dates").exists()
    assert "Deleted my-ecg-ae" in at.success[-1].value
