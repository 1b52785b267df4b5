"""Every case in ../shared/cases/import/ (issue 15) gives the right behaviour of its README: its
recording within 1e-5 of ``ref_*.npy``, or a refusal (no traceback) that says what the file is
and what to do. The table of cases is in cases.py."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec

import numpy as np
import pytest

from lstm_viz.importers import ModelFileError, inspect_file, record_imported

from .cases import ALL, CASES, CSV, HARD, JIT, MASK, ONNX, S2S, TOLERANCE, VIS, Case, difference

pytestmark = pytest.mark.skipif(
    not CASES.is_dir(), reason=f"the shared import cases are not here ({CASES})"
)


def _needs(case: Case) -> None:
    if case.file.endswith((".keras", ".h5", ".hdf5")):
        pytest.importorskip("h5py")
    if case.file.endswith(".onnx"):
        pytest.importorskip("onnx")


def _record(case: Case):
    source, csv = case.input_spec()
    return record_imported(
        case.path(),
        layer=case.layer,
        input=source,
        csv=csv,
        no_embedding=not case.embedding,
    )


@pytest.mark.parametrize("case", [c for c in ALL if c.reference], ids=lambda c: c.id)
def test_a_case_records_its_reference(case):
    _needs(case)
    result = _record(case)
    assert difference(case, result.trace.hidden.numpy()) <= TOLERANCE
    said = " ".join(result.notes).lower()
    for word in case.notes:
        assert word in said, result.notes
    assert not result.disagrees, [str(c) for c in result.checks]


@pytest.mark.parametrize("case", [c for c in ALL if c.refusal], ids=lambda c: c.id)
def test_a_case_is_refused_saying_what_it_is(case):
    _needs(case)
    with pytest.raises(ModelFileError) as error:
        _record(case)
    message = str(error.value).lower()
    for word in case.refusal:
        assert word in message, message
    assert "weights_only=false" not in message  # never relay the advice to unpickle code
    assert "\n" not in message.strip()


# ---- what each kind of fault must also say -------------------------------------------------------


def test_the_decoder_gru_reads_the_decoder_embedding():
    imported = inspect_file(CASES / S2S / "seq2seq.tar.pt")
    decoder = imported.layer("decoder_state_dict.gru")
    encoder = imported.layer("encoder_state_dict.gru")
    assert decoder.embeddings[0].name == "decoder_state_dict.embedding"
    assert encoder.embeddings[0].name == "encoder_state_dict.embedding"
    assert [h.name for h in decoder.heads] == ["decoder_state_dict.out"]
    assert not any("embedding" in h.name for h in encoder.heads)
    assert any("same parent" in n for n in decoder.notes)


def test_a_layer_refused_in_a_file_leaves_the_others_usable():
    pytest.importorskip("h5py")
    mixed = inspect_file(CASES / HARD / "mixed.keras")
    assert [layer.name for layer in mixed.layers] == ["gru_ok", "lstm_hard"]
    assert not mixed.layer("gru_ok").problems
    assert "hard_sigmoid" in mixed.layer("lstm_hard").problems[0]
    assert mixed.layer().name == "gru_ok"  # the default is the first usable layer
    pytest.importorskip("onnx")
    two = inspect_file(CASES / ONNX / "two_nodes.onnx")
    assert [layer.name for layer in two.layers] == ["plain_lstm", "clipped_lstm"]
    assert "clip" in two.layer("clipped_lstm").problems[0]


@pytest.mark.parametrize("name", ["a_with_date.csv", "b_no_header.csv"])
def test_a_csv_note_says_which_rows_and_columns_were_read(name):
    case = Case(CSV, "forecaster.pt", f"csv:{name}", layer="lstm")
    result = _record(case)
    note = result.prepared.read
    assert note is not None and note.rows == (1, 8)
    text = str(note).lower()
    assert "8 rows" in text and "columns" in text
    if name.startswith("a"):
        assert "temp" in text and "humidity" in text and "date" in text  # dates not features
    else:
        assert "no header" in text


def test_masked_steps_are_marked_in_the_trace():
    pytest.importorskip("h5py")
    case = Case(MASK, "mask_zero.keras", "ids-file:ids_pre.txt")
    result = _record(case)
    assert result.trace.config["masked"] == [[True] * 5 + [False] * 5]
    assert np.isnan(result.trace.input_gate[0, 0, 0, :5].numpy()).all()
    assert not np.isnan(result.trace.input_gate[0, 0, 0, 5:].numpy()).any()


def test_the_command_line_refuses_without_a_traceback(tmp_path):
    for folder, file in [(JIT, "traced.pt"), (VIS, "states.hdf5")]:
        result = subprocess.run(
            [sys.executable, "-m", "lstm_viz", "record", "--model", str(CASES / folder / file)]
            + ["--input", "random:4", "--out", str(tmp_path / "t.npz")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("error: ") and file in result.stderr


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lstm_viz", *args], capture_output=True, text=True, timeout=300
    )


def test_the_command_line_prints_both_checks_and_fails_on_a_difference(tmp_path):
    pytest.importorskip("onnxruntime")
    out = str(tmp_path / "t.npz")
    folder = CASES / ONNX
    ok = _cli("record", "--model", str(folder / "reverse.onnx"), "--input", str(folder / "x.csv"),
              "--out", out)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "check: our recording vs our reading (torch.nn.LSTM): agrees" in ok.stdout
    assert "check: our reading vs the file's runtime (onnxruntime" in ok.stdout
    assert 'note: direction="reverse"' in ok.stdout and "CSV: read 10 rows" in ok.stdout
    if find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    ids = (CASES / MASK / "ids_pre.txt").read_text().strip()
    bad = _cli("record", "--model", str(CASES / MASK / "mask_zero.keras"), "--input",
               f"ids:{ids}", "--no-mask", "--out", out)  # fmt: skip
    assert bad.returncode == 3, bad.stderr
    assert "our reading vs the file's runtime (Keras" in bad.stdout and "DIFFERS" in bad.stdout
    assert "agrees" not in bad.stdout.split("file's runtime")[1].splitlines()[0]
    assert "DIFFER" in bad.stderr and "Traceback" not in bad.stderr
