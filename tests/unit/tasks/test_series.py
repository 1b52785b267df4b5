"""Time series: the sines' phase; CSV normalised on training time, with clear messages."""

from __future__ import annotations

import math

import pytest
import torch

from lstm_viz.tasks import make_task, series

from ._common import build

# ---- time series --------------------------------------------------------------------------------


def test_sines_phase_is_the_main_components_angle():
    task = build("sines", components=1, noise=0.0)
    batch = next(task.batches("validation", 20))
    phase = batch.hidden  # [B, T]
    assert ((phase >= 0) & (phase < 2 * math.pi)).all()
    assert torch.allclose(batch.inputs[..., 0], torch.sin(phase), atol=1e-4)  # one clean sine
    step = torch.remainder(phase[:, 1:] - phase[:, :-1], 2 * math.pi)  # constant per sequence
    assert torch.allclose(step, step[:, :1].expand_as(step), atol=1e-4)
    assert torch.allclose(batch.targets[:, :-1], batch.inputs[:, 1:])


def test_csv_is_normalized_on_training_time_and_validated_on_later_time():
    task = build("csv", stride=7)  # value = 3 * row + 7, 200 rows: 160 train, 40 validation
    mean, std = task.params["mean"], task.params["std"]
    train_values = torch.tensor([3.0 * i + 7 for i in range(160)], dtype=torch.float64)
    assert math.isclose(mean, float(train_values.mean()), rel_tol=1e-9)
    assert math.isclose(std, float(train_values.std()), rel_tol=1e-9)

    def rows(split):  # the CSV rows each window covers, recovered from the normalized values
        return [((w * std + mean - 7) / 3).round().long() for w in task.sequences(split)]

    train, validation = rows("train"), rows("validation")
    assert all(w.diff().eq(1).all() for w in train + validation)  # consecutive, in time order
    assert max(int(w.max()) for w in train) == 159 and min(int(w.min()) for w in validation) == 160
    assert int(validation[-1].max()) == 199  # the end of the series is used
    assert {int(w[0]) for w in train} >= set(range(0, 130, 7))
    assert len(train[0]) == 31  # window 30 inputs, + the last target


CSV_ROWS = "\n".join(f"{i},{i % 7}" for i in range(60))


@pytest.mark.parametrize(
    "data, column, message",
    [
        ("a,b\n" + CSV_ROWS, None, "no column chosen; choose one of: 'a', 'b'"),
        ("a,b\n" + CSV_ROWS, "", "no column chosen"),
        ("a,b\n" + CSV_ROWS, "c", "no column 'c'.*columns are: 'a', 'b'"),
        (
            "a,b\n" + CSV_ROWS.replace("\n5,5\n", "\n5,five\n"),
            "b",
            "non-numeric cell 'five' in row 6",
        ),
        ("a,b\n" + CSV_ROWS.replace("\n3,3\n", "\n3,\n"), "b", "empty cell in row 4"),
        (
            "a,b\n" + CSV_ROWS.replace("\n9,2\n", "\n9,inf\n"),
            "b",
            "non-numeric cell 'inf' in row 10",
        ),
        ("a,b\n1,2\n3,4\n", "b", "2 rows; at least 50"),
        ("", "b", "CSV file is empty"),
        ("\n\n", "b", "CSV file is empty"),
        (b"a,b\n\x00\x01\x02" * 30, "b", "binary"),
        (b"a,b\n1,\xff\xfe\n" * 60, "b", "not UTF-8"),
        ("a,b\n" + "\n".join(f"{i},4" for i in range(60)), "b", "does not vary"),
        ('a,b\n1,"2\n' + CSV_ROWS, "b", "could not be read"),
    ],
)
def test_bad_csv_gets_a_clear_message(data, column, message):
    with pytest.raises(ValueError, match=message):
        make_task("csv", data=data, column=column)


def test_an_over_limit_csv_file_says_the_limit(monkeypatch):
    monkeypatch.setattr(series, "MAX_CSV_CHARS", 1000)
    with pytest.raises(ValueError, match="too long: at most 1,000 characters"):
        make_task("csv", data="a\n" + "1\n" * 600, column="a")
