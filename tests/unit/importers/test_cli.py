"""python -m lstm_viz inspect / record on uploaded model files."""

from __future__ import annotations

import subprocess
import sys

import torch
from torch import nn

from lstm_viz import Trace
from tests.toy_models import Classifier


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lstm_viz", *args], capture_output=True, text=True, timeout=120
    )


def test_inspect_lists_layers_and_record_writes_a_checked_trace(tmp_path):
    torch.manual_seed(0)
    model = Classifier(vocab_size=50, hidden=20)
    path = tmp_path / "classifier.pt"
    torch.save(model.state_dict(), path)

    result = run("inspect", str(path), "--mapping")
    assert result.returncode == 0, result.stderr
    assert "lstm: 2 × LSTM 10 → 20 [ok]" in result.stdout
    assert "embedding: embedding [50, 10]" in result.stdout
    assert "head: fc [3, 20]" in result.stdout
    assert "<- lstm.weight_hh_l1" in result.stdout

    csv = tmp_path / "x.csv"
    rows = torch.randn(3, 10)
    csv.write_text(
        ",".join(f"f{i}" for i in range(10))
        + "\n"
        + "\n".join(",".join(f"{v:.6f}" for v in row) for row in rows.tolist())
    )
    out = tmp_path / "trace.npz"
    result = run(
        "record", "--model", str(path), "--no-embedding", "--input", str(csv), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "check: our recording vs our reading (torch.nn.LSTM): agrees" in result.stdout
    assert "no runtime can check" in result.stdout  # a state dict: weights only
    trace = Trace.load(out)
    assert trace.hidden.shape == (2, 1, 1, 3, 20)
    expected, _ = model.lstm(
        torch.tensor([[float(f"{v:.6f}") for v in row] for row in rows.tolist()])[None]
    )
    torch.testing.assert_close(trace.hidden[-1, 0], expected, atol=1e-5, rtol=0)

    result = run("record", "--model", str(path), "--input", "ids:1 2 3 4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert Trace.load(out).tokens == [["1", "2", "3", "4"]]


def test_bad_files_and_inputs_are_clear_errors(tmp_path):
    whole = tmp_path / "whole.pt"
    torch.save(Classifier(vocab_size=50, hidden=20), whole)
    result = run("inspect", str(whole))
    assert result.returncode == 2
    assert 'torch.save(model.state_dict(), "model.pt")' in result.stderr
    assert "Traceback" not in result.stderr

    path = tmp_path / "lstm.safetensors"
    from safetensors.torch import save_file

    save_file(nn.LSTM(3, 4).state_dict(), path)
    result = run(
        "record", "--model", str(path), "--input", "nothing", "--out", str(tmp_path / "t.npz")
    )
    assert result.returncode == 2 and "neither a file nor" in result.stderr
    result = run(
        "record", "--model", str(path), "--layer", "x", "--input", "random:3", "--out", "t.npz"
    )
    assert result.returncode == 2 and "no recurrent layer 'x'" in result.stderr
