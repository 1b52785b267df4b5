"""The app's model and device discovery."""

from app.resources import ModelRef, available_devices, list_shipped_models, models_dir


def test_list_shipped_models_finds_folders_with_a_config(tmp_path):
    (tmp_path / "b-model").mkdir()
    (tmp_path / "b-model" / "config.json").write_text("{}")
    (tmp_path / "a-model").mkdir()
    (tmp_path / "a-model" / "config.json").write_text("{}")
    (tmp_path / "empty").mkdir()
    (tmp_path / "README.md").write_text("not a model")

    found = list_shipped_models(tmp_path)
    assert [m.id for m in found] == ["shipped/a-model", "shipped/b-model"]
    assert found[0].path == str(tmp_path / "a-model")


def test_list_shipped_models_without_a_folder_is_empty(tmp_path):
    assert list_shipped_models(tmp_path / "missing") == []


def test_model_ref_id_and_label():
    ref = ModelRef("trained", "mine")
    assert ref.id == "trained/mine"
    assert ref.label == "🏋️ Trained · mine"


def test_models_dir_defaults_to_models_and_follows_the_env_var(monkeypatch, tmp_path):
    monkeypatch.delenv("LSTM_VIZ_MODELS_DIR", raising=False)
    assert str(models_dir()) == "models"
    monkeypatch.setenv("LSTM_VIZ_MODELS_DIR", str(tmp_path))
    assert models_dir() == tmp_path


def test_cpu_is_always_first():
    assert available_devices()[0] == "cpu"
