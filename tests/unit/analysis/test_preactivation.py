"""The pre-activation split sums to what the gates recorded, for every kind of cell."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.analysis.preactivation import split_model, split_preactivations
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.recording.peephole import PeepholeLSTM

CORES = {
    "lstm": lambda: nn.LSTM(3, 5, num_layers=2, batch_first=True),
    "lstm-bidirectional": lambda: nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True),
    "lstm-projection": lambda: nn.LSTM(3, 5, batch_first=True, proj_size=2),
    "peephole": lambda: PeepholeLSTM(3, 5, num_layers=2, batch_first=True),
    "gru": lambda: nn.GRU(3, 5, num_layers=2, batch_first=True, bidirectional=True),
    "rnn_tanh": lambda: nn.RNN(3, 5, num_layers=2, batch_first=True),
    "rnn_relu-no-bias": lambda: nn.RNN(3, 5, batch_first=True, nonlinearity="relu", bias=False),
    "lstm-time-first": lambda: nn.LSTM(3, 5),
}


@pytest.mark.parametrize("name", CORES)
def test_terms_sum_to_the_recorded_gates(name):
    """Acceptance: squashing the sum of the terms gives every recorded gate within 1e-5."""
    torch.manual_seed(2)
    core = CORES[name]()
    x = torch.randn(2, 17, 3) * 2
    split = split_preactivations(core, x)
    trace = split.trace
    for gate in split.gates:
        got = split.squashed(gate)
        want = trace[gate].double().numpy()
        assert np.abs(got - want).max() < 1e-5, gate
        # Where a sigmoid is not saturated, its inverse recovers the same pre-activation.
        if gate in ("input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate"):
            ok = (want > 0.01) & (want < 0.99)
            inverse = np.log(want / (1 - want))
            assert np.abs(inverse - split.preactivation(gate))[ok].max() < 1e-3, gate
    expected = {"peephole": 4, "gru": 3}.get(name, 3)
    assert max(len(t) for t in split.terms.values()) == expected


def test_a_unit_over_time_and_by_hand():
    """One-unit LSTM, two steps, weights chosen by hand."""
    lstm = nn.LSTM(1, 1, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor([[1.0], [2.0], [3.0], [4.0]]))
        lstm.weight_hh_l0.copy_(torch.tensor([[0.5], [0.5], [0.5], [0.5]]))
        lstm.bias_ih_l0.fill_(0.25)
        lstm.bias_hh_l0.fill_(0.5)
    x = torch.tensor([[[1.0], [-1.0]]])
    split = split_preactivations(lstm, x)
    forget = split.unit("forget_gate", 0)
    h0 = float(split.trace.hidden[0, 0, 0, 0, 0])
    np.testing.assert_allclose(forget["input"], [2.0, -2.0])
    np.testing.assert_allclose(forget["recurrent"], [0.0, 0.5 * h0], rtol=1e-6)
    np.testing.assert_allclose(forget["bias"], [0.75, 0.75])
    np.testing.assert_allclose(forget["total"], forget["input"] + forget["recurrent"] + 0.75)
    with pytest.raises(ValueError, match="has gates"):
        split.unit("reset_gate", 0)


def test_split_of_a_model_reads_the_embedding():
    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(cell="gru", vocab_size=7, embedding_size=4, hidden_size=3))
    split = split_model(model.eval(), torch.tensor([[2, 3, 4, 5]]))
    assert split.terms["new_gate"]["input"].shape == (1, 1, 1, 4, 3)
    assert np.abs(split.squashed("new_gate") - split.trace.new_gate.numpy()).max() < 1e-5
