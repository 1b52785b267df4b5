"""Checkpoints: safetensors + JSON, atomic, listable, deletable; a killed save loses nothing."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
import torch

from lstm_viz import record
from lstm_viz.models.checkpoints import (
    checkpoint_zip,
    delete_checkpoint,
    list_checkpoints,
    load_checkpoint,
    models_dir,
    save_checkpoint,
)
from lstm_viz.models.sequence import SequenceModel
from lstm_viz.training import model_config_for
from tests.unit.toy_task import RunningParity


def model_and_vocab(seed=0):
    torch.manual_seed(seed)
    task = RunningParity()
    return SequenceModel(model_config_for(task, hidden_size=8, embedding_size=4)), task.vocab


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.iterdir()):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def test_round_trip_list_zip_delete(tmp_path):
    model, vocab = model_and_vocab()
    path = save_checkpoint(tmp_path / "a", model, vocab, {"metrics": {"validation_accuracy": 0.5}})
    assert sorted(p.name for p in path.iterdir()) == [
        "config.json",
        "model.safetensors",
        "vocab.json",
    ]
    loaded = load_checkpoint(path)
    assert loaded.vocab == vocab and loaded.info["metrics"]["validation_accuracy"] == 0.5
    ids = torch.tensor([[2, 3, 3, 2]])
    torch.testing.assert_close(loaded.model(ids)[0], model.eval()(ids)[0])
    _, trace = record(loaded.model, ids)  # our models are recordable
    assert trace.kind == "lstm" and trace.cell.shape == (1, 1, 1, 4, 8)
    assert list_checkpoints(tmp_path) == [path]
    with zipfile.ZipFile(__import__("io").BytesIO(checkpoint_zip(path))) as archive:
        assert sorted(archive.namelist()) == [
            "a/config.json",
            "a/model.safetensors",
            "a/vocab.json",
        ]
    delete_checkpoint(path)
    assert not path.exists() and list_checkpoints(tmp_path) == []


def test_only_checkpoints_are_listed_or_deleted(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "config.json").write_text("{}")
    (tmp_path / "notes" / "model.safetensors").write_bytes(b"x")
    assert list_checkpoints(tmp_path) == []
    with pytest.raises(ValueError, match="not written by lstm_viz"):
        delete_checkpoint(tmp_path / "notes")
    assert (tmp_path / "notes").exists()
    with pytest.raises(ValueError, match="is not a checkpoint"):
        load_checkpoint(tmp_path / "missing")


def test_broken_files_get_clear_messages(tmp_path):
    model, vocab = model_and_vocab()
    path = save_checkpoint(tmp_path / "a", model, vocab)
    (path / "model.safetensors").write_bytes(b"not safetensors at all")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load_checkpoint(path)
    path = save_checkpoint(tmp_path / "b", model, vocab)
    (path / "config.json").write_text("{oops")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_checkpoint(path)


def test_models_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LSTM_VIZ_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert models_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("LSTM_VIZ_MODELS_DIR")
    assert models_dir() == Path("models")


def test_a_crash_between_the_two_renames_restores_the_old_checkpoint(tmp_path, monkeypatch):
    model, vocab = model_and_vocab()
    path = save_checkpoint(tmp_path / "a", model, vocab)
    before = digest(path)
    real_replace, calls = os.replace, []

    def crash_on_second(src, dst):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "a", model_and_vocab(seed=1)[0], vocab)
    monkeypatch.setattr(os, "replace", real_replace)
    assert not path.exists()  # the moment of the crash: the old one is hidden aside
    assert list_checkpoints(tmp_path) == [path]  # ... and the next reader puts it back
    assert digest(path) == before


def test_killing_training_midway_leaves_no_half_written_checkpoint(tmp_path):
    """Train in a subprocess that saves at every evaluation, kill -9 it, and look."""
    model, vocab = model_and_vocab()
    previous = save_checkpoint(tmp_path / "previous", model, vocab)
    before = digest(previous)
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parents[3])!r})
        from tests.unit.toy_task import RunningParity
        from lstm_viz.models.sequence import SequenceModel
        from lstm_viz.training import TrainConfig, Trainer, model_config_for
        task = RunningParity(n_train=4096)
        model = SequenceModel(model_config_for(task, hidden_size=64, embedding_size=8))
        config = TrainConfig(epochs=1000, evals_per_epoch=1000, batch_size=8, patience=0,
                             learning_rate=1e-2, device="cpu")
        print("started", flush=True)
        Trainer(model, task, config, checkpoint_dir={str(tmp_path / "training")!r}).fit()
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "started"
    deadline = time.time() + 60
    while not (tmp_path / "training").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.7)  # let it save a few more times
    process.send_signal(signal.SIGKILL)
    process.wait()
    found = list_checkpoints(tmp_path)
    assert {p.name for p in found} == {"previous", "training"}
    for path in found:
        load_checkpoint(path)  # every visible checkpoint is complete and loads
    assert digest(previous) == before


def test_input_signature_says_what_each_kind_of_model_reads(tmp_path):
    """Equal signatures: the same inputs fit both. A ConvLSTM's config has no input_size."""
    from lstm_viz.models.frames import FrameModel, FrameModelConfig
    from lstm_viz.models.sequence import ModelConfig

    model, vocab = model_and_vocab()
    tokens = load_checkpoint(save_checkpoint(tmp_path / "tokens", model, vocab))
    assert tokens.input_signature == ("tokens", vocab.level, tuple(vocab.tokens))
    numbers = SequenceModel(ModelConfig(input_size=3, embedding_size=2, hidden_size=4))
    numeric = load_checkpoint(save_checkpoint(tmp_path / "numbers", numbers))
    assert numeric.input_signature == ("numbers", 3)
    frames = FrameModel(FrameModelConfig(input_channels=2, hidden_channels=2, kernel_size=3))
    frame = load_checkpoint(save_checkpoint(tmp_path / "frames", frames))
    assert frame.input_signature == ("frames", 2)
    assert len({tokens.input_signature, numeric.input_signature, frame.input_signature}) == 3
