"""The encoder-decoder container: checks its shapes and survives a save and load."""

from __future__ import annotations

import pytest
import torch

from lstm_viz.recording.encoder_decoder import EncoderDecoderRecording
from lstm_viz.trace import RECORDED_NAMES, Trace


def _trace(batch: int, steps: int, units: int = 3) -> Trace:
    values = {n: torch.randn(1, 1, batch, steps, units) for n in RECORDED_NAMES["lstm"]}
    return Trace("lstm", values, torch.full((batch,), steps), None, {"hidden_size": units})


def test_save_and_load_keep_both_traces_and_the_extras(tmp_path):
    attention = torch.softmax(torch.randn(2, 4, 5), dim=-1)
    rec = EncoderDecoderRecording(
        _trace(2, 5), _trace(2, 4), {"attention": attention}, [list("abcd"), list("wxyz")]
    )
    back = EncoderDecoderRecording.load(rec.save(tmp_path / "r.npz"))
    torch.testing.assert_close(back["attention"], attention)
    torch.testing.assert_close(back.decoder.cell, rec.decoder.cell)
    assert back.encoder.num_steps == 5 and back.generated == rec.generated


def test_batch_sizes_must_agree():
    with pytest.raises(ValueError, match="batch"):
        EncoderDecoderRecording(_trace(2, 5), _trace(3, 4))
    with pytest.raises(ValueError, match="attention"):
        EncoderDecoderRecording(_trace(2, 5), _trace(2, 4), {"attention": torch.zeros(3, 4, 5)})


def test_a_plain_trace_file_is_refused(tmp_path):
    path = _trace(1, 2).save(tmp_path / "t.npz")
    with pytest.raises(ValueError, match="not an encoder-decoder"):
        EncoderDecoderRecording.load(path)
