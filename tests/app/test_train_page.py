"""The Train page (AppTest): train a tiny model, find it in the picker; bad input loses nothing."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from app import state
from lstm_viz.checkpoints import list_checkpoints, load_checkpoint, models_dir

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


def train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception, at.exception
    return at


def set_tiny_dyck(at: AppTest, name: str) -> None:
    at.selectbox(key="train.task").set_value("dyck").run()
    for param, value in {
        "train_size": 64,
        "validation_size": 32,
        "min_length": 6,
        "max_length": 12,
    }.items():
        at.number_input(key=f"train.task.dyck.{param}").set_value(value)
    at.number_input(key="train.model.hidden_size").set_value(8)
    at.number_input(key="train.epochs").set_value(2)
    at.text_input(key="train.name").set_value(name)


def test_a_tiny_model_trains_and_appears_in_the_picker():
    at = train_page()
    set_tiny_dyck(at, "tiny-dyck")
    at.button(key="train.submit").click().run()
    assert not at.exception, at.exception
    assert [p.name for p in list_checkpoints()] == ["tiny-dyck"]
    checkpoint = load_checkpoint(models_dir() / "tiny-dyck")
    assert checkpoint.info["task"]["name"] == "dyck"
    assert checkpoint.model.config.hidden_size == 8
    picker = at.sidebar.selectbox(key=state.MODEL_PICKER)
    assert "🏋️ Trained · tiny-dyck" in picker.options
    assert picker.value == "trained/tiny-dyck"  # selected for Explore
    assert any("tiny-dyck" in s.value for s in at.success)
    # Open in Explore: the model's task sample is handed over and its heatmaps are drawn.
    at.button(key="train.open").click().run()
    assert not at.exception, at.exception
    sample = at.session_state[state.EXPLORE_INPUT]
    assert sample and set(sample) <= set("()[]")
    assert len(at.get("plotly_chart")) >= 6


def test_bad_input_is_refused_with_a_message_and_nothing_is_written():
    at = train_page()
    at.selectbox(key="train.task").set_value("text-user").run()
    at.text_area(key="train.text.paste").set_value("too short")
    at.text_input(key="train.name").set_value("should-not-exist")
    at.button(key="train.submit").click().run()
    assert not at.exception, at.exception
    assert at.error and "500" in at.error[0].value  # the limit is stated
    assert list_checkpoints() == []

    at.text_area(key="train.text.paste").set_value("abc\x00\x01\x02" * 200)  # binary
    at.button(key="train.submit").click().run()
    assert at.error and list_checkpoints() == []

    at.selectbox(key="train.task").set_value("csv").run()
    at.text_area(key="train.csv.paste").set_value(
        "t,x\n" + "".join(f"{i},{i}\n" for i in range(80))
    )
    at.button(key="train.submit").click().run()  # no column chosen
    assert at.error and "column" in at.error[0].value.lower()
    assert list_checkpoints() == []


def test_an_existing_checkpoint_is_only_replaced_when_confirmed():
    at = train_page()
    set_tiny_dyck(at, "keep-me")
    at.button(key="train.submit").click().run()
    first = (models_dir() / "keep-me" / "model.safetensors").read_bytes()
    at.switch_page("views/train.py").run()
    set_tiny_dyck(at, "keep-me")
    at.number_input(key="train.seed").set_value(7)
    at.run()
    assert any("exists" in w.value for w in at.warning)
    at.button(key="train.submit").click().run()
    assert at.error  # not confirmed: refused
    assert (models_dir() / "keep-me" / "model.safetensors").read_bytes() == first
