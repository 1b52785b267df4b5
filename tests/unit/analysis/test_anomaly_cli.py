"""python -m lstm_viz sample | anomalies: the files they write, and clear errors."""

from __future__ import annotations

import csv

import numpy as np

from lstm_viz.cli import main
from lstm_viz.models.autoencoder import load_autoencoder
from lstm_viz.tasks.ecg import ecg_signal
from tests.series_models import save_autoencoder_folder


def rows(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_sample_then_anomalies_write_one_row_per_step(tmp_path, capsys):
    signal = tmp_path / "ecg.csv"
    assert (
        main(["sample", "--task", "ecg", "--steps", "300", "--seed", "3", "--out", str(signal)])
        == 0
    )
    written = rows(signal)
    assert list(written[0]) == ["value"] and len(written) == 300
    np.testing.assert_allclose(
        [float(r["value"]) for r in written], ecg_signal(300, 3)[0], atol=1e-5
    )
    folder = save_autoencoder_folder(tmp_path / "ae", hidden=4, window=32)
    out = tmp_path / "scores.csv"
    assert (
        main(["anomalies", "--model", str(folder), "--input", str(signal), "--out", str(out)]) == 0
    )
    scores = rows(out)
    assert list(scores[0]) == ["step", "value", "reconstruction", "error", "anomaly"]
    assert [int(r["step"]) for r in scores] == list(range(300))
    threshold = load_autoencoder(folder).anomaly["threshold"]
    for r in scores:
        assert abs(abs(float(r["value"]) - float(r["reconstruction"])) - float(r["error"])) < 1e-4
        assert (
            int(r["anomaly"]) == (float(r["error"]) > threshold)
            or abs(float(r["error"]) - threshold) < 1e-5
        )
    assert "scored 300 steps (windows of 32, every 4 steps" in capsys.readouterr().err
    assert (
        main(["sample", "--task", "sines", "--steps", "50", "--out", str(tmp_path / "s.csv")]) == 0
    )
    assert len(rows(tmp_path / "s.csv")) == 50


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    folder = save_autoencoder_folder(tmp_path / "ae", hidden=4, window=32)
    short = tmp_path / "short.csv"
    short.write_text("value\n1\n2\n3\n")
    assert main(["anomalies", "--model", str(folder), "--input", str(short), "--out", "x.csv"]) == 2
    assert "the input has 3 steps; the model reads windows of 32" in capsys.readouterr().err
    assert main(["anomalies", "--model", str(tmp_path), "--input", str(short), "--out", "x"]) == 2
    assert "is not a model folder" in capsys.readouterr().err
    assert main(["sample", "--task", "ecg", "--steps", "0", "--out", "x"]) == 2
    assert "--steps must be in" in capsys.readouterr().err
