"""AppTest: every page works with every kind of broken model folder present, in the models
folder and in the shipped folder; a broken model that is picked (or linked) says why it cannot
be read; Train refuses models over its stated limits, never saves two runs under one name, and
deletes only its own models (issue 13)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import state
from app.components.sidebar import escape_markdown
from lstm_viz.models import checkpoints
from lstm_viz.models.checkpoints import list_checkpoints, models_dir
from lstm_viz.models.names import reserve_name
from tests.broken_folders import copy_hostile, make_broken, save_tiny

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
PAGES = [
    "views/learn.py",
    "views/explore.py",
    "views/train.py",
    "views/analyze.py",
    "views/upload.py",
]


@pytest.fixture
def broken(tmp_path, monkeypatch) -> dict[str, str]:
    """Every broken kind in the models folder and the shipped folder, beside good models;
    {model id: phrase of its reason}."""
    shipped = tmp_path / "shipped"
    monkeypatch.setenv("LSTM_VIZ_PRETRAINED_DIR", str(shipped))
    cases = {f"trained/{k}": v for k, v in copy_hostile(models_dir()).items()}
    cases |= {f"trained/{k}": v for k, v in make_broken(models_dir()).items()}
    cases |= {f"shipped/{k}": v for k, v in copy_hostile(shipped).items()}
    save_tiny(models_dir() / "good-trained")
    save_tiny(shipped / "good-shipped")
    # A folder this user may not read (chmod 000 for anyone but root, who runs these tests).
    save_tiny(models_dir() / "v-locked")
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if "v-locked" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("lstm_viz.models.folders.open", refusing_open, raising=False)
    cases["trained/v-locked"] = "permission denied"
    return cases


def run(page: str | None = None, **session) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


def sidebar_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_and_lists_each_broken_folder_with_its_reason(broken, page):
    at = run(page)
    listed = sidebar_text(at)
    for model_id, phrase in broken.items():
        name = model_id.split("/")[1]
        assert f"**{escape_markdown(name)}**" in listed, name
        assert escape_markdown(phrase) in listed, (name, phrase)
    picker = at.sidebar.selectbox(key=state.MODEL_PICKER)
    assert "📦 Shipped · good-shipped" in picker.options
    assert "🏋️ Trained · good-trained" in picker.options
    assert "⚠️ 🏋️ Trained · c-deep-json (unreadable)" in picker.options


@pytest.mark.parametrize(
    "model_id",
    [
        "trained/c-deep-json",
        "trained/c-model-null",
        "trained/c-task-string",
        "shipped/c-task-string",
        "trained/v-vocab-1e8",
        "trained/v-wrong-shapes",
    ],
)
@pytest.mark.parametrize("page", ["views/explore.py", "views/analyze.py"])
def test_a_picked_broken_model_says_why_it_cannot_be_read(broken, model_id, page):
    at = run(page, **{state.SELECT_MODEL: model_id})
    assert at.session_state[state.CHOICES]["model"] == model_id
    (error,) = at.main.error
    assert "cannot be read" in error.value
    assert escape_markdown(broken[model_id]) in error.value


def test_a_link_to_a_broken_model_says_why(broken):
    at = run(**{state.LINK: {"page": "explore", "model": "trained/c-model-null"}})
    assert not at.exception
    assert at.session_state[state.CHOICES]["model"] == "trained/c-model-null"
    assert '"model" must be an object' in at.main.error[0].value


def test_learn_with_a_picked_broken_model(broken):
    at = run("views/learn.py", **{state.SELECT_MODEL: "trained/c-deep-json"})
    assert at.session_state[state.CHOICES]["model"] == "trained/c-deep-json"


def test_a_folder_name_is_shown_escaped(tmp_path):
    save_tiny(models_dir() / "x").joinpath("config.json").write_text("{")
    (models_dir() / "x").rename(models_dir() / "![img](http:__h_p.png)")
    at = run()
    listed = sidebar_text(at)
    assert "![img](" not in listed and "\\[img\\]" in listed  # the link syntax is escaped


def test_pages_run_with_a_read_only_models_folder_and_a_leftover(monkeypatch):
    save_tiny(models_dir() / "good")
    save_tiny(models_dir() / "gone").rename(models_dir() / ".old-gone-1234abcd")

    def read_only(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(checkpoints.os, "replace", read_only)
    monkeypatch.setattr(checkpoints.shutil, "rmtree", read_only)
    for page in ("views/explore.py", "views/train.py"):
        at = run(page, **{state.SELECT_MODEL: "trained/good"})
        assert "read-only" in sidebar_text(at).replace("\\", "")
    assert at.dataframe[0].value["name"].tolist() == ["good"]


# ---- the Train page -----------------------------------------------------------------------------
def train_page(**session) -> AppTest:
    return run("views/train.py", **session)


def test_the_form_states_its_limits_and_refuses_a_huge_model_before_building_it():
    at = train_page()
    assert any("20 million parameters" in c.value for c in at.caption)
    for hidden, layers, phrase in (
        (2048, 2, "training is limited to 20,000,000"),
        (4096, 8, "at most 100,000,000 are built"),
    ):
        at.number_input(key="train.model.hidden_size").set_value(hidden)
        at.number_input(key="train.model.num_layers").set_value(layers)
        at.button(key="train.submit").click().run()
        assert not at.exception, at.exception
        text = "\n".join(e.value for e in at.error)
        assert "Nothing was trained" in text and phrase in text, text
        assert list_checkpoints(models_dir()) == []


TINY = {
    "train.task.dyck.train_size": 64,
    "train.task.dyck.validation_size": 32,
    "train.task.dyck.min_length": 10,
    "train.task.dyck.max_length": 20,
    "train.model.hidden_size": 8,
    "train.model.embedding_size": 8,
    "train.epochs": 1,
    "train.batch_size": 16,
}


def test_a_default_name_taken_meanwhile_saves_under_the_next_free_name():
    """Two sessions were offered the same default name; the other one reserved it first."""
    at = train_page()
    default = at.text_input(key="train.name").value
    for key, value in TINY.items():
        at.number_input(key=key).set_value(value)
    with reserve_name(models_dir(), default):  # the other session, training right now
        at.button(key="train.submit").click().run()
    assert not at.exception, at.exception
    assert [p.name for p in list_checkpoints(models_dir())] == [f"{default}-2"]
    assert at.session_state[state.TRAIN_RUN]["name"] == f"{default}-2"


def test_a_typed_name_being_trained_elsewhere_is_refused():
    at = train_page()
    at.text_input(key="train.name").set_value("shared-name")
    with reserve_name(models_dir(), "shared-name"):
        at.button(key="train.submit").click().run()
    assert "being trained right now" in "\n".join(e.value for e in at.error)
    assert list_checkpoints(models_dir()) == []


def pick_model(at: AppTest, name: str) -> AppTest:
    at.selectbox(key="train.models.pick").select(name).run()
    assert not at.exception, at.exception
    return at


def test_another_sessions_model_cannot_be_deleted(monkeypatch):
    """On a server others reach (a classroom's 0.0.0.0; on 127.0.0.1 anyone may delete:
    tests/app/test_train_page_fixes.py)."""
    from tests.app.test_train_page_fixes import server_address

    save_tiny(models_dir() / "theirs", {"task": {"name": "toy"}, "owner": "another-session"})
    with server_address("0.0.0.0"):
        at = pick_model(train_page(), "theirs")
        assert at.checkbox(key="train.models.confirm.theirs").disabled
        assert at.button(key="train.models.delete").disabled
        assert any("LSTM_VIZ_ALLOW_DELETE_OTHERS=1" in c.value for c in at.caption)

        monkeypatch.setenv("LSTM_VIZ_ALLOW_DELETE_OTHERS", "1")  # the teacher allows it
        at.run()
        at.checkbox(key="train.models.confirm.theirs").check().run()
        at.button(key="train.models.delete").click().run()
        assert not at.exception, at.exception
    assert not (models_dir() / "theirs").exists()


def test_a_model_trained_in_this_session_can_be_deleted():
    save_tiny(models_dir() / "mine", {"task": {"name": "toy"}, "owner": "this-session"})
    at = train_page(**{"train.owner": "this-session"})
    at.checkbox(key="train.models.confirm.mine").check().run()
    at.button(key="train.models.delete").click().run()
    assert not at.exception, at.exception
    assert not (models_dir() / "mine").exists()


def test_deleting_a_symlinked_model_removes_only_the_link(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_ALLOW_DELETE_OTHERS", "1")
    real = save_tiny(tmp_path / "elsewhere" / "real")
    models_dir().mkdir(parents=True, exist_ok=True)
    (models_dir() / "linked").symlink_to(real, target_is_directory=True)
    at = pick_model(train_page(), "linked")
    at.checkbox(key="train.models.confirm.linked").check().run()
    at.button(key="train.models.delete").click().run()
    assert not at.exception, at.exception
    assert not os.path.lexists(models_dir() / "linked")
    assert (real / "model.safetensors").is_file()
