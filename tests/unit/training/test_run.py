"""build_run: one way to make a training run (page, CLI, shipped models), one naming rule."""

from __future__ import annotations

import time

import pytest

from lstm_viz.training.run import build_run, check_name, checkpoint_name

TINY = {"train_size": 16, "validation_size": 8}


def test_checkpoint_name_is_task_cell_date_then_the_first_free(tmp_path):
    day = time.strftime("%m%d")
    assert checkpoint_name("dyck", "rnn_tanh", tmp_path) == f"dyck-rnn-tanh-{day}"
    (tmp_path / f"dyck-lstm-{day}").mkdir()
    (tmp_path / f"dyck-lstm-{day}-2").mkdir()
    assert checkpoint_name("dyck", "lstm", tmp_path) == f"dyck-lstm-{day}-3"


def test_check_name_refuses_bad_and_existing_names(tmp_path):
    with pytest.raises(ValueError, match="is not allowed"):
        check_name("../up", tmp_path)
    (tmp_path / "kept").mkdir()
    with pytest.raises(ValueError, match="already exists"):
        check_name("kept", tmp_path)
    check_name("kept", tmp_path, replace=True)


def test_build_run_fits_the_model_to_the_task(tmp_path):
    run = build_run(
        "dyck", TINY, {"cell": "gru", "hidden_size": 5}, {"epochs": 1, "seed": 3}, root=tmp_path
    )
    assert run.task.name == "dyck" and run.task.params["train_size"] == 16
    assert run.model.config.cell == "gru" and run.model.config.hidden_size == 5
    assert run.model.config.vocab_size == len(run.task.vocab)
    assert run.model.config.num_outputs == run.task.num_outputs
    assert run.config.epochs == 1 and run.config.seed == 3
    assert run.path == tmp_path / checkpoint_name("dyck", "gru", tmp_path)
    assert run.notes == () and not run.path.exists()  # nothing written yet


def test_build_run_drops_bidirectional_for_next_token_tasks_and_says_so(tmp_path):
    dyck = build_run("dyck", TINY, {"bidirectional": True}, root=tmp_path)
    assert dyck.model.config.bidirectional and dyck.notes == ()  # a per-step label may read ahead
    text = build_run("grammar", TINY, {"bidirectional": True}, save=False)
    assert text.task.objective == "next_token" and not text.model.config.bidirectional
    assert text.path is None and "would see the answer" in text.notes[0]


def test_build_run_checks_everything_before_writing(tmp_path):
    with pytest.raises(ValueError, match="unknown task"):
        build_run("nope", root=tmp_path)
    with pytest.raises(ValueError, match="is not allowed"):
        build_run("dyck", TINY, name="a b", root=tmp_path)
    (tmp_path / "taken").mkdir()
    with pytest.raises(ValueError, match="already exists"):
        build_run("dyck", TINY, name="taken", root=tmp_path, replace=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_seeded_run_draws_the_same_weights(tmp_path):
    a = build_run("dyck", TINY, {"hidden_size": 4}, seed=7, save=False)
    b = build_run("dyck", TINY, {"hidden_size": 4}, seed=7, save=False)
    weights = b.model.state_dict()
    for name, x in a.model.state_dict().items():
        assert (x == weights[name]).all(), name


def test_the_page_s_run_is_reproducible_from_its_seed_whatever_its_name(tmp_path):
    """The Train page's path (build_run without ``seed``, its name, limits on): two names, the
    same settings and seed give the same losses and byte-identical weights, whatever the process
    drew from torch's global generator before (another run, another session). A run stopped at
    an earlier step (the time limit stops it wherever the clock says; should_stop takes the same
    path here, without a clock) trained the same steps: equal step counts, equal results."""
    import torch

    from lstm_viz.models.checkpoints import load_checkpoint
    from lstm_viz.training.trainer import Callbacks

    def train(name: str, disturb: int, stop_after: int | None = None) -> list[float]:
        torch.manual_seed(disturb)  # whatever ran before in this process
        torch.rand(disturb)
        run = build_run(
            "dyck",
            {**TINY, "min_length": 4, "max_length": 8, "seed": 0},
            {"cell": "lstm", "hidden_size": 4, "embedding_size": 4},
            {"epochs": 1, "batch_size": 4, "evals_per_epoch": 2, "seed": 0, "device": "cpu"},
            name=name,
            root=tmp_path,
            replace=False,
            limits=True,
        )
        losses: list[float] = []
        stop = (lambda: len(losses) >= stop_after) if stop_after else None
        callbacks = Callbacks(on_progress=lambda p: losses.append(p.loss), should_stop=stop)
        run.trainer(callbacks, info={"owner": name}).fit()
        return losses

    first, second = train("dyck-lstm-1130", 1), train("dyck-lstm-1130-2", 2)
    assert len(first) == 4 and first == second
    weights = [
        (tmp_path / n / "model.safetensors").read_bytes()
        for n in ("dyck-lstm-1130", "dyck-lstm-1130-2")
    ]
    assert weights[0] == weights[1]
    stopped = train("repro-a", 3, stop_after=2)
    assert stopped == first[:2]
    assert load_checkpoint(tmp_path / "repro-a").info["training"]["step"] == 2
