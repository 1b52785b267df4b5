"""Training runs: a name is reserved atomically (two runs never save under one name), and a
run's size is checked from its config against stated limits before anything is built."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from lstm_viz.models import ModelConfig
from lstm_viz.models.checkpoints import CheckpointError
from lstm_viz.models.names import in_use, reserve_free_name, reserve_name
from lstm_viz.training.limits import (
    MAX_TRAIN_PARAMETERS,
    check_training_size,
    longest_sequence,
    training_memory,
)
from tests.broken_folders import save_tiny
from tests.unit.toy_task import RunningParity


# ---- names: two runs never save under one name --------------------------------------------------
def _race(target, count=16):
    barrier, results = threading.Barrier(count), []

    def run():
        barrier.wait()
        try:
            results.append(target())
        except CheckpointError as error:
            results.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_runs_asking_for_one_name_at_once_get_it_once(tmp_path):
    results = _race(lambda: reserve_name(tmp_path, "dyck-lstm-1129"))
    won = [r for r in results if not isinstance(r, Exception)]
    assert len(won) == 1, results
    assert all("being trained right now" in str(r) for r in results if r not in won)
    assert in_use(tmp_path, "dyck-lstm-1129")
    won[0].release()
    assert not in_use(tmp_path, "dyck-lstm-1129")


def test_runs_asking_for_a_free_default_name_get_different_names(tmp_path):
    save_tiny(tmp_path / "dyck-lstm-1129")
    results = _race(lambda: reserve_free_name(tmp_path, "dyck-lstm-1129"))
    names = [r.name for r in results]
    assert len(set(names)) == len(names) == 16
    assert "dyck-lstm-1129" not in names and "dyck-lstm-1129-2" in names


def test_a_name_in_use_is_refused_unless_replacing(tmp_path):
    save_tiny(tmp_path / "mine")
    with pytest.raises(CheckpointError, match="already exists"):
        reserve_name(tmp_path, "mine")
    with reserve_name(tmp_path, "mine", replace=True) as reservation:
        assert reservation.path == tmp_path / "mine"
    with pytest.raises(CheckpointError, match="not allowed"):
        reserve_name(tmp_path, "../escape")


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (tmp_path / ".lock-orphan").write_text(dead)
    with reserve_name(tmp_path, "orphan") as reservation:
        assert reservation.name == "orphan"


# ---- training size limits -----------------------------------------------------------------------
def test_training_size_is_checked_from_the_config():
    huge = ModelConfig(vocab_size=10, hidden_size=2048, num_layers=2, objective="step_class")
    assert huge.num_parameters() > MAX_TRAIN_PARAMETERS
    with pytest.raises(ValueError, match="training is limited to 20,000,000"):
        check_training_size(huge, 32, 100)
    wide = ModelConfig(vocab_size=10, hidden_size=1024, objective="step_class")
    check_training_size(wide, 32, 100)
    with pytest.raises(ValueError, match="GB of memory"):
        check_training_size(wide, 4096, 1000)
    assert training_memory(wide, 64, 100) > training_memory(wide, 32, 100)


def test_longest_sequence_of_a_task():
    task = RunningParity(max_len=12)
    assert longest_sequence(task, 32) == max(len(s) for s in task.sequences("train")) <= 12
