"""LSTMVis both ways: write a project folder, read it back; the shared case folder; unsafe HDF5."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

import lstm_viz
from lstm_viz.cli import main
from lstm_viz.export import ExportError
from lstm_viz.export.lstmvis import read_lstmvis, write_lstmvis

ROOT = Path(__file__).resolve().parents[3]
CASE = ROOT / ".." / "shared" / "cases" / "import" / "16_lstmvis_states_h5"
TOKENS = [["a", " ", "\n", "\\", "b", "\\n", "a"], ["x y", "", "\t", "b"]]


@pytest.fixture(scope="module")
def trace():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True)
    _, trace = lstm_viz.record(lstm, torch.randn(2, 7, 3), lengths=[7, 4], tokens=TOKENS)
    return trace


def test_written_folder_reads_back_as_the_recording(trace, tmp_path):
    folder = write_lstmvis(trace, tmp_path / "proj", name='my "project"')
    config = yaml.safe_load((folder / "lstm.yml").read_text())
    assert config["name"] == 'my "project"'
    assert config["word_sequence"] == {"file": "train", "path": "word_ids", "dict_file": "words"}
    assert [t["path"] for t in config["states"]["types"]] == [
        "states1", "output1", "states2", "output2"
    ]  # fmt: skip
    with h5py.File(folder / "states.hdf5") as f:
        assert f["states2"].shape == (11, 5)  # 7 + 4 steps end to end
        assert f["states2"][7:] == pytest.approx(trace.cell[1, 0, 1, :4].numpy())
    project = read_lstmvis(folder)
    back = project.trace
    assert back.kind == "lstm_states" and back.names == ("cell", "hidden")
    assert back.lengths.tolist() == [7, 4]
    assert back.tokens == [list(TOKENS[0]), list(TOKENS[1])]
    for name in ("cell", "hidden"):
        assert torch.equal(back[name].isnan(), trace[name].isnan())
        assert torch.allclose(back[name].nan_to_num(), trace[name].nan_to_num())
    assert "no gates" in project.message and "no model" in project.message


def test_the_shared_lstmvis_case_opens():
    if not CASE.is_dir():
        pytest.skip(f"the case folder {CASE} is not here (it lives beside the repository)")
    project = read_lstmvis(CASE)
    trace = project.trace
    assert trace.kind == "lstm_states"
    assert trace.hidden.shape == (1, 1, 1, 300, 20)
    with h5py.File(CASE / "states.hdf5") as f:
        assert trace.cell[0, 0, 0].numpy() == pytest.approx(f["states1"][()])
        assert trace.hidden[0, 0, 0].numpy() == pytest.approx(f["output1"][()])
    with h5py.File(CASE / "train.hdf5") as f:
        first = int(f["words"][0])
    assert trace.tokens[0][0] == f"w{first}"
    assert any("no lstm.yml" in note for note in project.notes)
    assert "no gates" in project.message


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "train.dict").write_text("a 1\n")
    with h5py.File(folder / "train.hdf5", "w") as f:
        f["words"] = np.ones(4, dtype=np.int32)
    return folder


def test_external_link_is_refused(tmp_path):
    folder = _folder(tmp_path)
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f["data"] = np.zeros((4, 2), np.float32)
    with h5py.File(folder / "states.hdf5", "w") as f:
        f["states1"] = h5py.ExternalLink(str(secret), "data")
    with pytest.raises(ExportError, match="states1 is an external link; refused"):
        read_lstmvis(folder)


def test_external_storage_and_virtual_datasets_are_refused(tmp_path):
    folder = _folder(tmp_path)
    raw = tmp_path / "outside.bin"
    raw.write_bytes(np.zeros(8, np.float32).tobytes())
    with h5py.File(folder / "states.hdf5", "w") as f:
        f.create_dataset("states1", shape=(4, 2), dtype="f4", external=[(str(raw), 0, 32)])
    with pytest.raises(ExportError, match="keeps its data outside the file"):
        read_lstmvis(folder)
    layout = h5py.VirtualLayout(shape=(4, 2), dtype="f4")
    layout[:] = h5py.VirtualSource(str(tmp_path / "secret.h5"), "data", shape=(4, 2))
    with h5py.File(folder / "states.hdf5", "w") as f:
        f.create_virtual_dataset("output1", layout)
    with pytest.raises(ExportError, match="output1 keeps its data outside the file"):
        read_lstmvis(folder)


def test_not_a_project_says_what_it_found(tmp_path):
    folder = _folder(tmp_path)
    with pytest.raises(ExportError, match=r"not an LSTMVis project.*'train.hdf5': \['words'\]"):
        read_lstmvis(folder)
    (folder / "lstm.yml").write_text("states: {file: s, types: []}\nfiles: {s: ../x.h5}\n")
    with pytest.raises(ExportError, match="lists no state or output"):
        read_lstmvis(folder)


def test_config_cannot_name_files_outside_the_folder(tmp_path):
    folder = _folder(tmp_path)
    (tmp_path / "x.h5").write_bytes(b"")
    (folder / "lstm.yml").write_text(
        "states: {file: s, types: [{type: state, layer: 1, path: a}]}\nfiles: {s: ../x.h5}\n"
    )
    with pytest.raises(ExportError, match="names '../x.h5', which is not a file in"):
        read_lstmvis(folder)


def test_cli_export_lstmvis(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("The cat sat.\nOn the mat.")
    out = tmp_path / "proj"
    model = str(ROOT / "pretrained" / "english-char-lstm")
    assert (
        main(["export-lstmvis", "--model", model, "--text-file", str(text), "--out", str(out)]) == 0
    )
    project = read_lstmvis(out)
    assert "".join(project.trace.tokens[0]) == "The cat sat.\nOn the mat."
    assert project.trace.cell.shape == (2, 1, 1, 24, 128)


def test_cli_import_lstmvis(trace, tmp_path, capsys):
    write_lstmvis(trace, tmp_path / "proj")
    out = tmp_path / "trace.npz"
    assert main(["import-lstmvis", str(tmp_path / "proj"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cell, hidden of 2 layer(s), 11 steps; it has no gates" in printed
    loaded = lstm_viz.Trace.load(out)
    assert loaded.kind == "lstm_states" and loaded.tokens == [list(t) for t in TOKENS]
    assert main(["import-lstmvis", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "is not a folder" in capsys.readouterr().err
