"""Units emerging during training: the probe history the Trainer keeps in the checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz import record
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.models.sequence import SequenceModel
from lstm_viz.training import TrainConfig, Trainer, model_config_for
from lstm_viz.training.probe import PROBE_FILE, ProbeRecorder, load_probe
from tests.unit.toy_task import RunningParity


def small_model(task):
    return SequenceModel(model_config_for(task, hidden_size=8, embedding_size=4))


def test_trainer_records_the_probe_at_every_evaluation_and_resume_appends(tmp_path):
    task = RunningParity(n_train=128, n_val=32)
    folder = tmp_path / "parity"
    config = TrainConfig(epochs=3, evals_per_epoch=2, device="cpu")
    result = Trainer(small_model(task), task, config, checkpoint_dir=folder).fit()
    history = load_probe(folder)
    assert history.steps == [e.step for e in result.history]
    assert history.metrics == pytest.approx([e.val_metric for e in result.history])
    assert history.metric == "accuracy"
    assert history.trace.num_layers == 1 and history.trace.values["cell"].shape[2] == 6
    assert history.trace.tokens[0] == list("0110101")
    # The model changed between the first and the last evaluation.
    first, last = history.at(0), history.at(-1)
    assert not torch.allclose(first.hidden, last.hidden)
    # Resuming keeps the history and appends to it.
    resumed = Trainer.resume(folder, task, TrainConfig(epochs=1, evals_per_epoch=1, device="cpu"))
    resumed.fit()
    longer = load_probe(folder)
    assert longer.steps[:6] == history.steps and len(longer.steps) == 7
    np.testing.assert_array_equal(longer.at(2).cell.numpy(), history.at(2).cell.numpy())
    assert not list(folder.glob(".probe-*"))  # no temporary file left behind
    assert load_checkpoint(folder).model is not None  # the folder is still a checkpoint


def test_the_best_checkpoints_recording_is_in_the_history(tmp_path):
    task = RunningParity(n_train=128, n_val=32)
    folder = tmp_path / "p"
    result = Trainer(
        small_model(task), task, TrainConfig(epochs=2, device="cpu"), checkpoint_dir=folder
    ).fit()
    best = max(range(len(result.history)), key=lambda k: result.history[k].val_metric)
    history = load_probe(folder)
    model = load_checkpoint(folder).model
    ids = torch.tensor([task.vocab.encode("0110101")])
    _, want = record(model, ids)
    torch.testing.assert_close(history.at(best).cell, want.cell, rtol=1e-3, atol=1e-3)  # float16
    assert history.trace.cell.dtype == torch.float32


def test_long_histories_are_thinned_and_missing_ones_are_none(tmp_path, monkeypatch):
    import lstm_viz.training.probe as probe

    monkeypatch.setattr(probe, "MAX_SNAPSHOTS", 4)
    task = RunningParity(n_train=16, n_val=8)
    recorder = ProbeRecorder(task, tmp_path)
    model = small_model(task)
    for step in range(1, 7):
        recorder.record(model, step * 10, 0.5)
    history = load_probe(tmp_path)
    assert history.steps[0] == 10 and history.steps[-1] == 60 and len(history.steps) <= 4
    assert load_probe(tmp_path / "nothing") is None
    kept = ProbeRecorder(task, None)  # in memory until saved (the shipped-model build)
    kept.record(model, 5, 0.25)
    assert not (tmp_path / "later").exists()
    assert load_probe(kept.save(tmp_path / "later").parent).steps == [5]
    (tmp_path / "x").mkdir()
    record(model, torch.tensor([[2, 3]]))[1].save(tmp_path / "x" / PROBE_FILE)
    with pytest.raises(ValueError, match="not a probe history"):
        load_probe(tmp_path / "x")


def test_a_shipped_model_build_keeps_its_probe_history(tmp_path):
    import dataclasses

    from lstm_viz.pretrained import RECIPES, build

    base = RECIPES["brackets-lstm"]
    recipe = dataclasses.replace(
        base, task_params={**base.task_params, "train_size": 96}, hidden_size=4, epochs=2
    )
    built = build(recipe, tmp_path / "b", progress=False)
    history = load_probe(built.path)
    assert len(history.steps) == 2 and history.metric == "accuracy"  # one per epoch
    assert history.steps[-1] == load_checkpoint(built.path).info["training"]["step"]


def test_recording_the_probe_draws_no_random_numbers():
    """Training with the probe gives the weights training without it gives, dropout on. The
    shipped models kept their hashes when their builds added probe.npz. Since dropout draws from
    the run's own stream (training/randomness.py), even a probe that drew random numbers from
    torch's global generator would change nothing: checked too."""
    from lstm_viz.training.probe import ProbeRecorder

    class Drawing(ProbeRecorder):
        def record(self, *args):
            torch.rand(1)
            return super().record(*args)

    task = RunningParity(n_train=48, n_val=8)
    weights = {}
    for probe in ("none", "probe", "drawing"):
        torch.manual_seed(0)
        model = SequenceModel(
            model_config_for(task, hidden_size=8, embedding_size=4, num_layers=2, dropout=0.3)
        )
        trainer = Trainer(model, task, TrainConfig(epochs=2, batch_size=16, device="cpu"))
        kind = {"none": None, "probe": ProbeRecorder, "drawing": Drawing}[probe]
        trainer.probe = kind(task, None) if kind else None
        trainer.fit()
        # The kept weights are the best evaluation's; Adam's moments follow every last step.
        moments = [trainer.optimizer.state[p]["exp_avg"] for p in trainer.model.parameters()]
        weights[probe] = {**trainer.model.state_dict(), **dict(enumerate(moments))}
        if kind:
            assert len(trainer.probe.steps) == 2  # it did record at every evaluation
    for name, value in weights["none"].items():
        assert torch.equal(value, weights["probe"][name]), name
        assert torch.equal(value, weights["drawing"][name]), name
