"""What an upload may touch and leave behind: the reading child's folder and environment, the
session folders of models opened in Explore; and the upload cases that used to crash (a
vocabulary, layers without biases)."""

from __future__ import annotations

import gc
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch
from torch import nn

import lstm_viz
from lstm_viz.importers import (
    Choice,
    ModelFileError,
    UploadFolder,
    build,
    inspect_file,
    inspect_isolated,
    prepare,
    read_vocab,
    save_as_checkpoint,
)
from lstm_viz.importers._workspace import sweep
from lstm_viz.models.checkpoints import load_checkpoint

ROOT = Path(__file__).resolve().parents[3]
HOSTILE = ROOT.parent / "shared" / "cases" / "hostile"


def hostile(name: str) -> Path:
    path = HOSTILE / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared cases folder sits beside the checkout)")
    return path


# ---- the reading child --------------------------------------------------------------------------

REPORT = """
import os, sys
here = os.getcwd()
listed = os.listdir(here)
keys = ",".join(sorted(os.environ))
sys.stderr.write(f"CWD={here}|LISTED={len(listed)}|ORT={os.environ.get('ORT_DISABLE_TELEMETRY')}"
                 f"|HOME={os.environ.get('HOME') == here}|KEYS={keys}")
sys.exit(1)
"""


def test_the_child_gets_a_temporary_folder_and_a_minimal_environment(monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_TEST_SECRET", "s3cret")
    monkeypatch.setenv("HDF5_EXTFILE_PREFIX", "/etc")
    with pytest.raises(ModelFileError) as error:
        inspect_isolated(b"x", "a.pt", command=[sys.executable, "-c", REPORT])
    report = dict(part.split("=", 1) for part in str(error.value).split("failed: ")[1].split("|"))
    assert report["LISTED"] == "0" and report["ORT"] == "1" and report["HOME"] == "True"
    folder = Path(report["CWD"])
    assert folder.name.startswith("lstm-viz-read-") and not folder.exists()  # removed after
    keys = set(report["KEYS"].split(","))
    allowed = {"PYTHONPATH", "HOME", "TMPDIR", "OMP_NUM_THREADS", "PYTHONDONTWRITEBYTECODE"}
    allowed |= {"ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED", "LD_LIBRARY_PATH", "LC_CTYPE"}
    assert keys <= allowed, keys - allowed
    assert "LSTM_VIZ_TEST_SECRET" not in keys and "HDF5_EXTFILE_PREFIX" not in keys


def test_the_real_child_still_reads_a_file_and_its_folder_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # this test's own temporary folder
    buffer = io.BytesIO()
    torch.save(nn.GRU(3, 5).state_dict(), buffer)
    layer = inspect_isolated(buffer.getvalue(), "gru.pt").layer()
    assert (layer.kind, layer.hidden_size) == ("gru", 5)
    assert list(tmp_path.glob("lstm-viz-read-*")) == []


# ---- session folders ----------------------------------------------------------------------------


def test_a_session_folder_goes_with_its_session(tmp_path):
    folder = UploadFolder(tmp_path)
    path, dropped = folder.place("m")
    path.mkdir()
    (path / "config.json").write_text("{}")
    assert dropped == [] and path.parent == folder.path and path.is_dir()
    where = folder.path
    del folder  # Streamlit dropped the session's state
    gc.collect()
    assert not where.exists()


def test_a_session_keeps_only_its_last_models(tmp_path):
    folder = UploadFolder(tmp_path, max_models=3)
    made = []
    for i in range(5):
        path, dropped = folder.place(f"m{i}")
        path.mkdir()
        os.utime(path, (time.time() + i, time.time() + i))  # distinct ages, oldest first
        made.append((path, dropped))
    assert made[3][1] == [made[0][0]] and made[4][1] == [made[1][0]]
    assert sorted(p.name for p in folder.path.iterdir()) == ["m2", "m3", "m4"]
    path, dropped = folder.place("m3")  # the same name again: replaced, nothing else goes
    assert dropped == [] and not path.exists()
    folder.remove()
    assert folder.removed and not folder.path.exists()


def test_folders_left_by_a_killed_server_are_swept(tmp_path):
    old = tmp_path / "session-old"
    (old / "model").mkdir(parents=True)
    fresh = tmp_path / "session-fresh"
    fresh.mkdir()
    other = tmp_path / "not-ours"
    other.mkdir()
    day_ago = time.time() - 2 * 24 * 3600
    for path in (old, other):
        os.utime(path, (day_ago, day_ago))
    link = tmp_path / "session-link"
    link.symlink_to(other)
    assert sweep(tmp_path) == [old]
    assert not old.exists() and fresh.is_dir() and other.is_dir() and link.is_symlink()


# ---- vocabularies -------------------------------------------------------------------------------


def test_an_ordinary_vocabulary_records_text():
    layer = inspect_file(_state_dict(nn.LSTM(3, 4)), "valid.pt").layer()
    vocab = read_vocab(b'["a", "b", "c"]')
    prepared = prepare(layer, Choice(), "text:abcab", vocab=vocab)
    assert prepared.tokens == ["a", "b", "c", "a", "b"]
    assert prepared.inputs.shape == (1, 5, 3)
    assert prepared.inputs[0].argmax(-1).tolist() == [0, 1, 2, 0, 1]  # one-hot ids
    assert read_vocab('{"a": 0, "b": 2}') == {"a": 0, "b": 2}


@pytest.mark.parametrize(
    "data, why",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": true}', "a vocabulary is a JSON object"),
        (b'{"a": -1}', "a vocabulary is a JSON object"),
        (b'{"a": 10000000000}', "a vocabulary is a JSON object"),
        (b'[["a"]]', "a vocabulary is a JSON object"),
        (b"\xff\xfe", "not JSON"),
        (b"[" + b'"a",' * 1_000_001 + b'"b"]', "tokens; at most"),
    ],
)
def test_a_bad_vocabulary_is_one_clear_line(data, why):
    with pytest.raises(ModelFileError, match=why) as error:
        read_vocab(data)
    assert "\n" not in str(error.value) and len(str(error.value)) < 200


def test_the_shipped_deep_vocabulary_is_refused():
    with pytest.raises(ModelFileError, match="nested too deeply"):
        read_vocab(hostile("vocab-deep.json").read_bytes())
    assert inspect_file(hostile("valid.pt")).layer().kind == "lstm"


# ---- layers without biases ----------------------------------------------------------------------


def _state_dict(module: nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_layers_without_biases_open_in_explore_exactly(tmp_path, kind):
    torch.manual_seed(3)
    make = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
    original = make(3, 4, num_layers=2, bias=False, batch_first=True, bidirectional=True)
    layer = inspect_file(_state_dict(original), f"{kind}.pt").layer()
    assert layer.bias is False
    path = save_as_checkpoint(tmp_path / kind, layer, Choice(), filename=f"{kind}.pt")
    checkpoint = load_checkpoint(path)
    biases = [p for n, p in checkpoint.model.rnn.named_parameters() if n.startswith("bias")]
    assert biases and all(float(b.detach().abs().max()) == 0 for b in biases)
    x = torch.randn(1, 7, 3)
    with torch.no_grad():
        expected = original(x)[0]
        _, trace = lstm_viz.record(checkpoint.model.rnn, checkpoint.model.embedding(x))
        _, ours = lstm_viz.record(build(layer), x)
    # Zero biases and the identity input: the same numbers, up to the kernel's rounding (a module
    # with bias=False and one with zero biases may take different exact paths: onednn.py).
    torch.testing.assert_close(trace.hidden, ours.hidden, rtol=0, atol=1e-6)
    last = trace.hidden[-1]  # [D, B, T, H]
    torch.testing.assert_close(torch.cat([last[0], last[1]], -1), expected, rtol=0, atol=1e-6)


def test_the_shipped_no_bias_file_opens(tmp_path):
    layer = inspect_file(hostile("nobias-lstm.pt")).layer()
    path = save_as_checkpoint(tmp_path / "m", layer, Choice(), filename="nobias-lstm.pt")
    assert load_checkpoint(path).model.config.hidden_size == 4


def test_an_uploaded_model_is_named_with_single_hyphens():
    from lstm_viz.importers import folder_name

    assert folder_name("m-/rnn/LSTM") == "m-rnn-LSTM"  # an ONNX node's path
    assert folder_name("my model (v2)-lstm_1") == "my-model-v2-lstm_1"
    assert folder_name("../..") == "model"

    assert folder_name("my.trace (2)", "trace", keep=".") == "my.trace-2"  # Explore's opener
