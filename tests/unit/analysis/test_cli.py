"""python -m lstm_viz attribute | patch on the shipped models."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from lstm_viz.cli import main

PRETRAINED = Path(__file__).parents[3] / "pretrained"


@pytest.mark.parametrize(
    "name, text, target",
    [
        ("english-char-lstm", "The cat sat on the mat", "."),
        ("agreement-word-lstm", "the keys to the cabinet", "are"),
    ],
)
def test_attribute_writes_the_csv_and_prints_completeness(name, text, target, tmp_path, capsys):
    out = tmp_path / "attr.csv"
    code = main(
        [
            "attribute",
            "--model",
            str(PRETRAINED / name),
            "--input",
            text,
            "--target",
            target,
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    found = re.search(
        r"sum of attributions ([-+\d.]+) vs .* ([-+\d.]+) \(.*error ([\d.]+)%", printed
    )
    assert found, printed
    total, expected, error = (float(g) for g in found.groups())
    assert abs(total - expected) <= 0.01 * abs(expected) and error < 1.0
    assert "all-zero input embedding" in printed
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["step", "token", "attribution"]
    assert sum(float(r[2]) for r in rows[1:]) == pytest.approx(total, abs=1e-4)
    assert len(rows) - 1 == (len(text) if name.startswith("english") else len(text.split()))


def test_attribute_other_methods(tmp_path, capsys):
    for method in ("gradient-x-input", "occlusion"):
        out = tmp_path / f"{method}.csv"
        assert (
            main(
                [
                    "attribute",
                    "--model",
                    str(PRETRAINED / "agreement-word-lstm"),
                    "--input",
                    "the cat near the dogs",
                    "--target",
                    "is",
                    "--method",
                    method,
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        assert len(list(csv.reader(out.open()))) == 6
    assert "only integrated gradients" in capsys.readouterr().out


def test_patch_writes_every_layer_unit_and_step(tmp_path, capsys):
    out = tmp_path / "effects.csv"
    code = main(
        [
            "patch",
            "--model",
            str(PRETRAINED / "agreement-word-lstm"),
            "--clean",
            "the cat near the dogs",
            "--corrupt",
            "the cats near the dogs",
            "--metric",
            "logit-diff:is,are",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["layer", "unit", "step", "effect"]
    assert len(rows) - 1 == 64 * 5
    # Before the changed word nothing differs; the whole effect flows through the subject.
    assert all(abs(float(r[3])) < 1e-4 for r in rows[1:] if r[2] == "0")
    assert "largest total effects" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--clean", "the cat", "--corrupt", "the cats near", "--metric", "logit:is"],
            "same length",
        ),
        (
            ["--clean", "the cat", "--corrupt", "the cats", "--metric", "logit-diff:is"],
            "two outputs",
        ),
        (
            ["--clean", "the cat", "--corrupt", "the cats", "--metric", "logit-diff:is,zebra"],
            "'zebra' is not in the model's vocabulary",
        ),
        (
            ["--clean", "the cat", "--corrupt", "the cat", "--metric", "logit:is"],
            "nothing to restore",
        ),
    ],
)
def test_patch_errors_are_one_line(args, message, tmp_path, capsys):
    code = main(
        [
            "patch",
            "--model",
            str(PRETRAINED / "agreement-word-lstm"),
            *args,
            "--out",
            str(tmp_path / "x.csv"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
