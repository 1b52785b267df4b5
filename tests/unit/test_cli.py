"""python -m lstm_viz train: trains, shows progress, saves a checkpoint; bad input is an error."""

from __future__ import annotations

import subprocess
import sys

from lstm_viz.models.checkpoints import load_checkpoint


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lstm_viz", *args], capture_output=True, text=True, timeout=120
    )


def test_train_saves_a_checkpoint_and_reports(tmp_path):
    out = tmp_path / "tiny"
    result = run(
        "train",
        "--task",
        "dyck",
        "--param",
        "train_size=64",
        "--param",
        "validation_size=32",
        "--hidden",
        "8",
        "--epochs",
        "2",
        "--device",
        "cpu",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "step 2/4" in result.stderr or "step 4/4" in result.stderr  # the progress bar
    assert "validation accuracy" in result.stdout
    assert f"checkpoint: {out}" in result.stdout
    checkpoint = load_checkpoint(out)
    assert checkpoint.info["task"]["name"] == "dyck"
    assert checkpoint.info["task"]["params"]["train_size"] == 64


def test_bad_arguments_are_clear_errors(tmp_path):
    result = run("train", "--task", "nope", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "unknown task 'nope'" in result.stderr
    result = run("train", "--task", "dyck", "--param", "nonsense", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "--param takes KEY=VALUE" in result.stderr
    assert not (tmp_path / "x").exists()


def test_resume_needs_the_folder_to_continue(tmp_path):
    result = run("train", "--task", "dyck", "--resume")
    assert result.returncode == 2 and "--resume continues a checkpoint" in result.stderr


def test_a_name_another_run_is_training_is_refused(tmp_path):
    from lstm_viz.models.names import reserve_name

    with reserve_name(tmp_path, "busy"):  # another run (here: this process) trains it
        result = run("train", "--task", "dyck", "--out", str(tmp_path / "busy"))
    assert result.returncode == 2 and "being trained right now" in result.stderr
    assert not (tmp_path / "busy").exists()
