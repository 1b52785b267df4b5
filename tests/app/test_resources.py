"""The app's model and device discovery."""

import torch

from app.resources import (
    ModelRef,
    available_devices,
    find_model,
    list_shipped_models,
    list_trained_models,
    load_model,
)
from lstm_viz.models.checkpoints import models_dir, save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab


def save_tiny(name: str):
    vocab = Vocab(("<pad>", "<unk>", "a", "b"))
    model = SequenceModel(ModelConfig(vocab_size=4, hidden_size=3, embedding_size=2, num_outputs=4))
    return save_checkpoint(models_dir() / name, model, vocab, {"task": {"name": "toy"}})


def test_list_shipped_models_finds_readable_checkpoints(tmp_path):
    from tests.broken_folders import save_tiny as save_in

    save_in(tmp_path / "b-model")
    save_in(tmp_path / "a-model")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{}")
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


def test_trained_models_come_from_the_models_folder_and_load():
    assert list_trained_models() == []
    path = save_tiny("mine")
    (models_dir() / "junk").mkdir()  # not a checkpoint: not listed
    assert list_trained_models() == [ModelRef("trained", "mine", str(path))]
    ref = find_model("trained/mine")
    checkpoint = load_model(ref)
    assert checkpoint.vocab.tokens[2:] == ("a", "b")
    assert load_model(ref) is checkpoint  # cached
    assert find_model("trained/nope") is None and find_model(None) is None
    with torch.no_grad():
        assert checkpoint.model(torch.tensor([[2, 3]]))[0].shape == (1, 2, 4)


def test_cpu_is_always_first():
    assert available_devices()[0] == "cpu"
