"""AppTest: the Train page trains a tiny model into the picker; bad input is refused, clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import state
from lstm_viz.models.checkpoints import list_checkpoints, load_checkpoint, models_dir
from lstm_viz.tasks import TASKS
from tests.app.test_emergence_page import check_train_scrubber

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TINY = {  # widget key -> value: a dyck model that trains in about a second
    "train.task.dyck.train_size": 64,
    "train.task.dyck.validation_size": 32,
    "train.task.dyck.min_length": 10,
    "train.task.dyck.max_length": 20,
    "train.model.hidden_size": 8,
    "train.model.embedding_size": 8,
    "train.epochs": 2,
    "train.batch_size": 16,
}


def train_page() -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.run()
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception, at.exception
    return at


def fill(at: AppTest, values: dict) -> None:
    for key, value in values.items():
        at.number_input(key=key).set_value(value)


def submit(at: AppTest) -> AppTest:
    at.button(key="train.submit").click().run()
    assert not at.exception, at.exception
    return at


def choose_task(at: AppTest, name: str) -> AppTest:
    at.selectbox(key="train.task").select(name).run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def test_trains_a_tiny_model_into_the_picker():
    at = train_page()
    assert "Train" in at.title[0].value
    at.text_input(key="train.name").set_value("tiny-dyck")
    fill(at, TINY)
    submit(at)

    assert [p.name for p in list_checkpoints(models_dir())] == ["tiny-dyck"]
    checkpoint = load_checkpoint(models_dir() / "tiny-dyck")
    assert checkpoint.info["task"]["name"] == "dyck"
    assert checkpoint.model.config.hidden_size == 8
    picker = at.sidebar.selectbox(key=state.MODEL_PICKER)
    assert "🏋️ Trained · tiny-dyck" in picker.options
    assert picker.value == "trained/tiny-dyck"  # selected, ready for Explore
    assert at.session_state[state.CHOICES]["model"] == "trained/tiny-dyck"
    run = at.session_state[state.TRAIN_RUN]
    assert run["status"] == "finished" and run["saved"]
    assert run["history"], "no evaluation was recorded"
    assert "`tiny-dyck` is saved" in at.success[0].value
    assert "accuracy" in at.success[0].value
    # one throughput for the run: the message's and the bar's (the bar's last redraw came before
    # the final validation, and said something else)
    speed = f"{run['tokens_per_second']:,.0f} tokens/s"
    assert speed in at.success[0].value and speed in at.get("progress")[0].proto.text
    assert at.get("vega_lite_chart"), "no curves"
    assert "tiny-dyck" in at.dataframe[0].value["name"].tolist()  # in the models table
    assert at.text_input(key="train.name").value.startswith("dyck-lstm-")  # a fresh default
    check_train_scrubber(at)  # units emerging during training: the run's probe.npz

    # Open in Explore hands over the task's sample input, and Explore draws the model.
    at.button(key="train.open").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key="explore.text.trained/tiny-dyck").value == run["sample"]
    assert run["sample"] and set(run["sample"]) <= set("()[]")
    assert len(at.get("plotly_chart")) >= 6


def test_an_interrupted_run_reports_the_kept_checkpoint():
    """What the page does after Stop: the Trainer saved the best checkpoint, the run's record
    still says "running"; the next run says it was stopped and selects the checkpoint."""
    at = train_page()
    at.text_input(key="train.name").set_value("kept")
    fill(at, TINY)
    submit(at)
    run = at.session_state[state.TRAIN_RUN]
    run.update(status="running")  # as if a click had interrupted the training
    at.session_state[state.TRAIN_RUN] = run
    at.run()
    assert not at.exception, at.exception
    assert "Stopped after" in at.success[0].value
    assert "the best checkpoint so far is kept as `kept`" in at.success[0].value
    assert at.session_state[state.CHOICES]["model"] == "trained/kept"


def refused(at: AppTest, *messages: str) -> None:
    """An st.error that names the problem, and nothing written or changed on disk."""
    text = errors(at)
    assert "Nothing was trained" in text
    for message in messages:
        assert message.lower() in text.lower(), text
    assert list_checkpoints(models_dir()) == []
    assert at.session_state[state.TRAIN_RUN] is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the text is empty"),
        ("   \n  ", "the text is empty"),
        ("ab\x00cd\x01\x02" * 200, "looks binary"),
        ("too short " * 5, "too short"),
    ],
    ids=["empty", "blank", "binary", "short"],
)
def test_bad_user_text_is_refused(text, message):
    at = choose_task(train_page(), "text-user")
    at.text_area(key="train.text.paste").set_value(text)
    refused(submit(at), message)


CSV_OK = "t,value\n" + "\n".join(f"{i},{(i * 7) % 11}" for i in range(80))


@pytest.mark.parametrize(
    "data, column, message",
    [
        (CSV_OK.replace("\n40,", "\n40,oops"), "value", "non-numeric cell"),
        ("t,value\n" + "\n".join(f"{i},{i}" for i in range(10)), "value", "at least 50"),
        (CSV_OK, None, "no column chosen"),
        ("", None, "the CSV file is empty"),
    ],
    ids=["non-numeric", "too-few-rows", "no-column", "no-file"],
)
def test_bad_csv_is_refused(data, column, message):
    at = choose_task(train_page(), "csv")
    at.text_area(key="train.csv.paste").set_value(data).run()
    if data:
        assert at.selectbox(key="train.csv.column").options == ["t", "value"]
    if column:
        at.selectbox(key="train.csv.column").select(column)
    refused(submit(at), message)


def test_out_of_range_settings_are_refused():
    at = train_page()
    # Each input carries the library's range, so a browser cannot go past it...
    size = at.number_input(key="train.task.dyck.train_size")
    assert (size.min, size.max) == TASKS["dyck"].limits["train_size"]
    assert at.number_input(key="train.model.hidden_size").min == 1
    # ...and what only the library can judge (one setting against another) is an error.
    fill(at, {"train.task.dyck.min_length": 40, "train.task.dyck.max_length": 10})
    refused(submit(at), "min_length")

    at = train_page()
    at.text_input(key="train.name").set_value("no spaces please")
    refused(submit(at), "not allowed")


def test_replacing_a_checkpoint_needs_confirmation_and_deleting_too():
    at = train_page()
    at.text_input(key="train.name").set_value("mine")
    fill(at, TINY)
    submit(at)
    (saved,) = list_checkpoints(models_dir())
    before = (saved / "model.safetensors").read_bytes()

    # Same name again: a warning, and without the tick nothing is replaced.
    at.text_input(key="train.name").set_value("mine").run()
    assert "training will replace it" in at.warning[0].value
    fill(at, {**TINY, "train.seed": 1})
    submit(at)
    assert "already exists" in errors(at)
    assert (saved / "model.safetensors").read_bytes() == before

    # Delete: the button is disabled until the confirmation is ticked.
    at.selectbox(key="train.models.pick").select("mine").run()
    assert at.button(key="train.models.delete").disabled  # a browser cannot click it
    assert saved.exists()
    at.checkbox(key="train.models.confirm.mine").check().run()
    at.button(key="train.models.delete").click().run()
    assert not at.exception, at.exception
    assert not saved.exists()
    assert "Deleted mine" in at.success[-1].value
    assert at.session_state[state.CHOICES]["model"] is None  # gone from the picker too


def _outcome_of_a_timed_out_run():
    from app.components.train.run import render_outcome

    render_outcome(
        {
            "metric": "accuracy",
            "name": "dyck-lstm-1130",
            "status": "finished",
            "stopped": "time",
            "steps": 166,
            "seconds": 120.0,
            "tokens_per_second": 900.0,
            "saved": True,
            "best_metric": 0.71,
            "unit": "tokens",
            "notes": [],
            "progress": {
                "step": 166,
                "total_steps": 315,
                "fraction": 166 / 315,
                "loss": 0.4,
                "tokens_per_second": 900.0,
                "eta_seconds": 0.0,
                "elapsed": 120.0,
            },
            "history": [],
            "model_id": "trained/dyck-lstm-1130",
            "sample": "(())",
        }
    )


def test_a_run_stopped_by_its_time_limit_says_it_is_incomplete():
    """Issue 16: the default run stopped at 120 s at step 166 of 315 and showed a green tick."""
    from tests.app.test_analyze_page import save_dyck

    at = AppTest.from_function(_outcome_of_a_timed_out_run, default_timeout=30).run()
    assert not at.warning and "no longer in the models folder" in at.info[0].value  # not saved
    save_dyck("dyck-lstm-1130")
    at = AppTest.from_function(_outcome_of_a_timed_out_run, default_timeout=30).run()
    assert not at.exception, at.exception
    assert not at.success  # no tick for an incomplete run
    message = at.warning[0].value
    assert "incomplete" in message and "166 steps" in message and "of 315 planned (53%)" in message


def test_the_learning_rate_box_shows_the_value_it_holds():
    at = train_page()
    box = at.number_input(key=f"{state.TRAIN_PREFIX}.learning_rate")
    # "%.4f" showed 1e-05, the smallest rate allowed, as 0.0000 and 0.00035 as 0.0004.
    for rate in (box.min, 0.00035, box.value, 0.0035, box.max):
        assert float(box.proto.format % rate) == rate


def test_the_models_folder_is_named_without_the_servers_absolute_path(tmp_path, monkeypatch):
    """Every student on the network sees this line: no user name or home folder in it."""
    from app.components.train.models import where_stored

    monkeypatch.chdir(tmp_path)
    assert where_stored(tmp_path / "models") == "`models/` (in the app's folder)"
    elsewhere = tmp_path.parent / "shared-models"
    assert where_stored(elsewhere) == "a folder named `shared-models`"
    assert str(tmp_path) not in where_stored(elsewhere)
