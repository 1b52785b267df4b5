"""python -m lstm_viz generate: the shipped dates model on new dates in every form (acceptance),
the attention CSV, and clear errors."""

from __future__ import annotations

import csv

import pytest
import torch

from lstm_viz.cli import main
from lstm_viz.models.seq2seq_files import load_seq2seq, save_seq2seq
from lstm_viz.pretrained import PRETRAINED_DIR
from lstm_viz.tasks.dates import FORMS, date_examples, is_validation_date

MODEL = PRETRAINED_DIR / "dates-attention-lstm"


def test_new_dates_in_every_form_are_rewritten(tmp_path, capsys):
    # seed 7: strings the validation set (seed 0) does not hold, of dates never trained on
    examples = date_examples("validation", 20 * len(FORMS), seed=7)
    assert all(is_validation_date(target) for _, target, _, _ in examples)
    assert {form for *_, form, _ in examples} == set(range(len(FORMS)))
    source = tmp_path / "dates.txt"
    source.write_text("\n".join(s for s, *_ in examples) + "\n")
    assert main(["generate", "--model", str(MODEL), "--input-file", str(source)]) == 0
    outputs = capsys.readouterr().out.splitlines()
    assert len(outputs) == len(examples)
    right = sum(o == t for o, (_, t, _, _) in zip(outputs, examples, strict=True))
    assert right / len(examples) >= 0.99


def test_one_input_prints_the_output_last_and_writes_the_attention_csv(tmp_path, capsys):
    path = tmp_path / "attention.csv"
    args = ["generate", "--model", str(MODEL), "--input", "3rd of March 2021"]
    assert main([*args, "--attention-csv", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2021-03-03"
    rows = list(csv.reader(path.open()))
    assert rows[0][1:] == list("3rd of March 2021")
    assert [r[0] for r in rows[1:]] == [*"2021-03-03", "</s>"]
    for row in rows[1:]:
        assert abs(sum(float(x) for x in row[1:]) - 1) <= 1e-6
    # the month digits look at "March" (columns 7..11) most
    for row in rows[6:8]:
        weights = [float(x) for x in row[1:]]
        assert 7 <= weights.index(max(weights)) < 12


def test_bad_uses_say_what_to_do(tmp_path, capsys):
    assert main(["generate", "--model", str(tmp_path), "--input", "x"]) == 2
    assert "not a model folder" in capsys.readouterr().err
    empty = tmp_path / "in.txt"
    empty.write_bytes(b"\xff\xfe")
    assert main(["generate", "--model", str(MODEL), "--input-file", str(empty)]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    args = ["generate", "--model", str(MODEL), "--input-file", str(empty)]
    assert main([*args, "--attention-csv", str(tmp_path / "a.csv")]) == 2
    assert "--attention-csv needs --input" in capsys.readouterr().err


def test_a_saved_model_loads_the_same_and_wrong_weights_are_refused(tmp_path):
    model = load_seq2seq(MODEL).model
    path = save_seq2seq(tmp_path / "copy", model, {"task": {"name": "dates"}})
    back = load_seq2seq(path).model
    for key, value in model.state_dict().items():
        assert torch.equal(back.state_dict()[key], value), key
    text = (path / "config.json").read_text().replace('"hidden_size": 32', '"hidden_size": 8')
    (path / "config.json").write_text(text)
    with pytest.raises(ValueError, match="does not match config.json"):
        load_seq2seq(path)
