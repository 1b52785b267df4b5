"""The Trace type: pinned names, selection, tables, and files that round-trip without pickle."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz import RECORDED_NAMES, Trace, record


def test_recorded_names_are_pinned():
    # Renaming a recorded quantity breaks pages, analyses and saved files: do it consciously.
    assert RECORDED_NAMES == {
        "lstm": ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"),
        "peephole_lstm": (
            "input_gate",
            "forget_gate",
            "candidate",
            "output_gate",
            "cell",
            "hidden",
        ),
        "conv_lstm": (
            "input_gate",
            "forget_gate",
            "candidate",
            "output_gate",
            "cell",
            "hidden",
        ),
        "gru": ("reset_gate", "update_gate", "new_gate", "hidden"),
        "rnn_tanh": ("pre_activation", "hidden"),
        "rnn_relu": ("pre_activation", "hidden"),
        "lstm_states": ("cell", "hidden"),
        "hidden_states": ("hidden",),
    }


@pytest.fixture
def trace() -> Trace:
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    _, trace = record(
        lstm, torch.randn(5, 2, 3), lengths=[5, 3], tokens=[list("hello"), list("abc")]
    )
    return trace


def test_reading_by_attribute_and_name(trace):
    assert trace.names == RECORDED_NAMES["lstm"]
    assert trace.forget_gate is trace["forget_gate"]
    assert trace.forget_gate.shape == (2, 2, 2, 5, 4)
    assert (trace.num_layers, trace.num_directions, trace.batch_size, trace.num_steps) == (
        2,
        2,
        2,
        5,
    )
    assert not trace.cell.requires_grad and trace.cell.device.type == "cpu"
    with pytest.raises(AttributeError, match="has no 'reset_gate'"):
        _ = trace.reset_gate
    with pytest.raises(KeyError, match="has no 'reset_gate'"):
        _ = trace["reset_gate"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.kind = "gru"


def test_select_keeps_dimensions_and_tokens(trace):
    one = trace.select(layer=1, direction="backward", batch=1)
    assert one.cell.shape == (1, 1, 1, 5, 4)
    torch.testing.assert_close(one.cell[0, 0, 0], trace.cell[1, 1, 1], equal_nan=True)
    assert one.tokens == [list("abc")] and one.lengths.tolist() == [3]
    both = trace.select(batch=[1, 0])
    assert both.tokens == [list("abc"), list("hello")]
    with pytest.raises(IndexError):
        trace.select(layer=2)
    with pytest.raises(ValueError, match="direction must be one of"):
        trace.select(direction="sideways")


def test_long_form_table_leaves_out_padding(trace):
    frame = trace.to_frame()
    assert list(frame.columns) == [
        "quantity",
        "layer",
        "direction",
        "batch",
        "time",
        "unit",
        "token",
        "value",
    ]
    real_steps = 5 + 3
    assert len(frame) == 6 * 2 * 2 * real_steps * 4
    row = frame[
        (frame.quantity == "cell")
        & (frame.layer == 1)
        & (frame.direction == 0)
        & (frame.batch == 1)
        & (frame.time == 2)
        & (frame.unit == 3)
    ]
    assert row["value"].item() == pytest.approx(trace.cell[1, 0, 1, 2, 3].item())
    assert row["token"].item() == "c"
    assert frame["value"].notna().all()


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_save_and_load_round_trip(trace, tmp_path, suffix):
    path = trace.save(tmp_path / f"trace{suffix}")
    loaded = Trace.load(path)
    assert loaded.kind == trace.kind and loaded.names == trace.names
    assert loaded.tokens == trace.tokens and loaded.config == trace.config
    assert loaded.lengths.tolist() == trace.lengths.tolist()
    for name in trace.names:
        assert loaded[name].dtype == trace[name].dtype
        torch.testing.assert_close(loaded[name], trace[name], equal_nan=True, atol=0, rtol=0)


def test_npz_holds_one_array_per_name(trace, tmp_path):
    path = trace.save(tmp_path / "t.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert set(archive.files) == {"__metadata__", *trace.names}


def test_load_refuses_foreign_and_pickled_files(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(3))
    with pytest.raises(ValueError, match="not a trace saved by lstm_viz"):
        Trace.load(plain)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, __metadata__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):  # numpy refuses object arrays without allow_pickle
        Trace.load(pickled)
    with pytest.raises(ValueError, match=r"writes .npz or .parquet"):
        Trace(
            "rnn_tanh",
            {"pre_activation": torch.zeros(1, 1, 1, 1, 1), "hidden": torch.zeros(1, 1, 1, 1, 1)},
            torch.tensor([1]),
        ).save(tmp_path / "t.csv")


def test_inconsistent_traces_are_refused():
    with pytest.raises(ValueError, match="records"):
        Trace("gru", {"hidden": torch.zeros(1, 1, 1, 2, 3)}, torch.tensor([2]))
    with pytest.raises(ValueError, match="unknown trace kind"):
        Trace("transformer", {}, torch.tensor([1]))


@pytest.mark.parametrize("suffix", [".npz", ".parquet"])
def test_a_selection_keeps_the_recordings_own_labels(trace, tmp_path, suffix):
    part = trace.select(layer=1, direction="backward", batch=1)
    assert part.ids("layer") == [1] and part.ids("direction") == [1] and part.ids("batch") == [1]
    frame = part.to_frame()
    assert set(frame["layer"]) == {1} and set(frame["direction"]) == {1}
    assert set(frame["batch"]) == {1}
    assert "".join(frame[(frame.quantity == "cell") & (frame.unit == 0)]["token"]) == "abc"
    again = part.select(batch=0)  # selecting from a selection composes
    assert again.ids("batch") == [1]
    loaded = Trace.load(part.save(tmp_path / f"part{suffix}"))
    assert loaded.ids("layer") == [1] and loaded.ids("batch") == [1]
    torch.testing.assert_close(loaded.cell, part.cell, equal_nan=True, atol=0, rtol=0)
