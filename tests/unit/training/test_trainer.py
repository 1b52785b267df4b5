"""The trainer: it learns, reports, stops when asked, saves the best, and resumes."""

from __future__ import annotations

import pytest
import torch

from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.training import Callbacks, TrainConfig, Trainer, model_config_for
from lstm_viz.training.trainer import resolve_device
from tests.unit.toy_task import RunningParity


def small_model(task, cell="lstm", **settings):
    torch.manual_seed(0)  # the weights must not depend on what ran before in this process
    return SequenceModel(
        model_config_for(task, cell=cell, hidden_size=16, embedding_size=8, **settings)
    )


def test_learns_and_reports_progress_and_evaluations():
    task = RunningParity()
    progress, evaluations = [], []
    result = Trainer(
        small_model(task),
        task,
        TrainConfig(epochs=40, evals_per_epoch=2, target=0.99, device="cpu"),
        Callbacks(on_progress=progress.append, on_evaluation=evaluations.append),
    ).fit()
    assert result.stopped == "target reached"
    assert result.best_metric >= 0.99
    assert [e.step for e in evaluations] == [e.step for e in result.history]
    assert progress[-1].step == result.steps and progress[0].step == 1
    assert all(0 < p.fraction <= 1 and p.eta_seconds >= 0 for p in progress)
    assert result.tokens_per_second > 0
    # The returned model carries the best weights: re-evaluating gives the best metric.
    trainer = Trainer(result.model, task, TrainConfig(device="cpu"))
    assert trainer.evaluate()[1] == pytest.approx(result.best_metric)


@pytest.mark.parametrize("cell", ["peephole_lstm", "gru", "rnn_tanh"])
def test_every_cell_trains(cell):
    task = RunningParity(n_train=128, n_val=32)
    result = Trainer(small_model(task, cell), task, TrainConfig(epochs=2, device="cpu")).fit()
    assert result.steps == 2 * 4 and len(result.history) == 2


def test_cancel_and_time_limit_stop_training():
    task = RunningParity()
    calls = []
    cancel = Callbacks(should_stop=lambda: calls.append(1) or len(calls) >= 3)
    result = Trainer(small_model(task), task, TrainConfig(epochs=50, device="cpu"), cancel).fit()
    assert result.stopped == "cancelled" and result.steps == 3
    result = Trainer(
        small_model(task), task, TrainConfig(epochs=10_000, max_seconds=0.3, device="cpu")
    ).fit()
    assert result.stopped == "time"


def test_early_stopping_when_validation_stops_improving():
    task = RunningParity(n_train=64, n_val=32)
    config = TrainConfig(
        epochs=500, learning_rate=1e-6, evals_per_epoch=1, patience=2, device="cpu"
    )
    result = Trainer(small_model(task), task, config).fit()
    assert result.stopped == "early stopping"
    assert len(result.history) < 500


def test_best_checkpoint_is_saved_and_training_resumes(tmp_path):
    task = RunningParity()
    config = TrainConfig(epochs=3, evals_per_epoch=2, device="cpu")
    result = Trainer(small_model(task), task, config, checkpoint_dir=tmp_path / "parity").fit()
    checkpoint = load_checkpoint(result.checkpoint)
    assert checkpoint.info["task"]["name"] == "toy-parity"
    assert checkpoint.info["metrics"]["validation_accuracy"] == pytest.approx(result.best_metric)
    assert checkpoint.vocab == task.vocab
    for name, value in checkpoint.model.state_dict().items():
        torch.testing.assert_close(value, result.model.state_dict()[name])

    resumed = Trainer.resume(tmp_path / "parity", task, TrainConfig(epochs=1, device="cpu"))
    assert resumed.step == checkpoint.info["training"]["step"] > 0
    assert resumed.best == pytest.approx(result.best_metric)
    assert resumed.optimizer.state  # AdamW moments came back
    assert resumed.fit().steps > resumed.step - 1


def test_bad_settings_get_clear_messages():
    with pytest.raises(ValueError, match="batch_size must be in"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig(learning_rate=-1.0)
    with pytest.raises(ValueError, match="cannot be bidirectional"):
        ModelConfig(vocab_size=5, bidirectional=True, objective="next_token")
    with pytest.raises(ValueError, match="exactly one of vocab_size"):
        ModelConfig(vocab_size=5, input_size=3)
    with pytest.raises(ValueError, match="hidden_size must be in"):
        ModelConfig(vocab_size=5, hidden_size=0)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")
    assert resolve_device("cpu").type == "cpu"


@pytest.mark.parametrize(
    ("evals", "after"), [(4, [2, 4, 5, 7]), (1, [7]), (10, [1, 2, 3, 4, 5, 6, 7])]
)
def test_validations_are_spread_evenly_over_each_epoch(evals, after):
    """A new user asked for 4 validations on an epoch of 7 batches and got 7 (every 7 // 4 = 1
    batch): the marks are now spread evenly, the last after the epoch's last batch."""
    task = RunningParity(n_train=7 * 32)  # 7 batches of 32
    steps = []
    Trainer(
        small_model(task),
        task,
        TrainConfig(epochs=2, evals_per_epoch=evals, batch_size=32, patience=0, device="cpu"),
        Callbacks(on_evaluation=lambda e: steps.append(e.step)),
    ).fit()
    assert steps == after + [7 + a for a in after]


class ShorterEachEpoch(RunningParity):
    """A training split that loses a batch every epoch, as a stream re-made each epoch can (a
    text read twice an epoch, quoted anew)."""

    def batches(self, split, batch_size, shuffle=None, generator=None):
        batches = list(super().batches(split, batch_size, shuffle, generator))
        if split == "train":
            self.calls = getattr(self, "calls", 0) + 1
            batches = batches[: len(batches) - self.calls + 1]
        return iter(batches)


def test_every_epoch_is_validated_at_its_own_end():
    """The epochs of a stream re-made each time can differ in length: each is still validated
    after its last batch (an epoch one batch shorter than the first used to get none)."""
    task = ShorterEachEpoch(n_train=7 * 32)  # epochs of 7, 6 and 5 batches
    steps, epochs = [], []
    Trainer(
        small_model(task),
        task,
        TrainConfig(epochs=3, evals_per_epoch=1, batch_size=32, patience=0, device="cpu"),
        Callbacks(on_evaluation=lambda e: (steps.append(e.step), epochs.append(e.epoch))),
    ).fit()
    assert epochs == [1, 2, 3]
    assert steps == [7, 7 + 6, 7 + 6 + 5]
