"""AppTest: the entrypoint and every page run without an exception."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import resources, state
from app.resources import ModelRef

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
PAGES = {
    "views/learn.py": "Learn",
    "views/explore.py": "Explore",
    "views/train.py": "Train",
    "views/analyze.py": "Analyze",
    "views/upload.py": "Upload",
}


def run_app(**session_state) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    for key, value in session_state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_default_page_is_explore():
    at = run_app()
    assert "Explore" in at.title[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(page):
    at = run_app()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    assert PAGES[page] in at.title[0].value


def test_sidebar_without_models_says_so_and_defaults_to_cpu():
    at = run_app()
    assert "No shipped models yet" in at.sidebar.info[0].value
    assert at.session_state[state.CHOICES] == {"model": None, "device": "cpu"}
    devices = at.sidebar.selectbox(key=state.DEVICE_PICKER)
    assert devices.options[0] == "CPU"
    assert len(devices.options) == len(resources.available_devices())
    assert devices.value == "cpu"


def test_model_picker_lists_every_source(tmp_path, monkeypatch):
    from tests.app.test_resources import save_tiny

    save_tiny("mine")
    from tests.broken_folders import save_tiny as save_in

    shipped = tmp_path / "shipped"
    for name in ["tiny-char", "bracket-counter"]:
        save_in(shipped / name)
    (shipped / "not-a-model").mkdir()  # listed last, as unreadable
    monkeypatch.setenv("LSTM_VIZ_PRETRAINED_DIR", str(shipped))

    at = run_app(
        **{
            state.UPLOADED_MODELS: [ModelRef("uploaded", "theirs.safetensors")],
        }
    )
    picker = at.sidebar.selectbox(key=state.MODEL_PICKER)
    assert picker.options == [
        "📦 Shipped · bracket-counter",
        "📦 Shipped · tiny-char",
        "🏋️ Trained · mine",
        "📤 Uploaded · theirs.safetensors",
        "⚠️ 📦 Shipped · not-a-model (unreadable)",
    ]
    assert at.session_state[state.CHOICES]["model"] == "shipped/bracket-counter"
    # A folder that is no real checkpoint: Explore says so instead of raising.
    picker.select("shipped/not-a-model").run()
    assert not at.exception
    assert "not-a-model** cannot be read" in at.main.error[0].value

    picker.select("uploaded/theirs.safetensors").run()
    assert not at.exception
    assert at.session_state[state.CHOICES] == {
        "model": "uploaded/theirs.safetensors",
        "device": "cpu",
    }
    assert not at.main.error
