"""AppTest: the Train page's autoencoder form trains on sines, calibrates, saves a folder Explore
opens (selected in the sidebar), and says what is wrong with a CSV column it cannot use."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from app import state
from lstm_viz.models.autoencoder import load_autoencoder
from lstm_viz.models.checkpoints import models_dir

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
K = "train.autoencoder"


def train_page() -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.run()
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_train_page_trains_a_calibrated_autoencoder_on_sines():
    at = train_page()
    at.selectbox(key=f"{K}.source").set_value("sines")
    at.run()
    at.number_input(key=f"{K}.window").set_value(16)
    at.number_input(key=f"{K}.hidden").set_value(4)
    at.number_input(key=f"{K}.seconds").set_value(20)
    at.number_input(key=f"{K}.epochs").set_value(1)
    at.button(key=f"{K}.go").click()
    at.run()
    assert not at.exception, at.exception
    saved = load_autoencoder(models_dir() / "sines-autoencoder")
    assert saved.model.config.window == 16 and saved.model.config.hidden_size == 4
    assert saved.anomaly["threshold"] > 0 and saved.info["task"]["name"] == "sines"
    assert at.session_state[state.CHOICES]["model"] == "trained/sines-autoencoder"
    assert any("sines-autoencoder saved" in s.value for s in at.success)


def test_train_page_autoencoder_without_a_csv_file_says_so():
    at = train_page()
    at.selectbox(key=f"{K}.source").set_value("csv")
    at.run()
    at.button(key=f"{K}.go").click()
    at.run()
    assert not at.exception, at.exception
    assert any("no CSV file uploaded" in e.value for e in at.error)
    assert not (models_dir() / "csv-autoencoder").exists()
