"""Analyses name a model's kind in words: "a vanilla RNN (tanh)", not "a rnn_tanh trace"."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_viz import record
from lstm_viz.analysis.saturation import saturation
from lstm_viz.analysis.timescales import half_lives
from lstm_viz.quantities import kind_label
from lstm_viz.trace import RECORDED_NAMES


def test_analyses_name_a_vanilla_rnn_in_words():
    _, trace = record(nn.RNN(2, 3, batch_first=True), torch.randn(1, 4, 2))
    with pytest.raises(ValueError, match=r"^a vanilla RNN \(tanh\) has no gates"):
        saturation(trace)
    with pytest.raises(ValueError, match=r"^a vanilla RNN \(tanh\) has no forget gate"):
        half_lives(trace)


def test_every_kind_has_words():
    assert all("_" not in kind_label(kind) for kind in RECORDED_NAMES)
