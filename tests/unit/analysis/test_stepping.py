"""The hand-stepped cores (stepping.py) against record(), and interventions on every kind."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_viz import record
from lstm_viz.analysis import Intervention, intervene, intervention_figure, run_lstm
from lstm_viz.analysis.stepping import run_core
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.recording.peephole import PeepholeLSTM

CORES = {
    "lstm": lambda: nn.LSTM(3, 5, num_layers=2, batch_first=True),
    "peephole": lambda: PeepholeLSTM(3, 5, num_layers=2, batch_first=True),
    "gru": lambda: nn.GRU(3, 5, num_layers=2, batch_first=True, bidirectional=True),
    "rnn_tanh": lambda: nn.RNN(3, 5, num_layers=2, batch_first=True),
    "rnn_relu": lambda: nn.RNN(3, 5, num_layers=1, batch_first=True, nonlinearity="relu"),
}


@pytest.mark.parametrize("name", CORES)
def test_stepping_without_edits_equals_record(name):
    torch.manual_seed(3)
    core = CORES[name]()
    x = torch.randn(2, 20, 3)
    (want_out, _), want = record(core, x)
    out, got = run_lstm(core, x)
    torch.testing.assert_close(out, want_out, rtol=0, atol=1e-5)
    assert got.kind == want.kind
    for quantity in want.names:
        torch.testing.assert_close(got[quantity], want[quantity], rtol=0, atol=1e-5)


def test_starting_mid_sequence_from_the_recorded_state_continues_the_same_run():
    torch.manual_seed(4)
    core = nn.LSTM(3, 5, num_layers=2, batch_first=True)
    x = torch.randn(2, 12, 3)
    full, values = run_core(core, x)
    initial = {n: values[n][:, :, :, 6] for n in ("hidden", "cell")}
    part, _ = run_core(core, x, start=7, initial=initial, keep=False)
    torch.testing.assert_close(part[:, 7:], full[:, 7:], rtol=0, atol=1e-6)
    assert (part[:, :7] == 0).all()


def test_gru_update_gate_clamped_to_one_keeps_the_hidden_state():
    """z = 1 means h_t = h_{t-1}: the unit holds its value over the span."""
    torch.manual_seed(5)
    gru = nn.GRU(3, 4, batch_first=True)
    x = torch.randn(1, 15, 3)
    _, trace = run_lstm(gru, x, [Intervention("update_gate", 2, 1.0, 5, 10)])
    held = trace.hidden[0, 0, 0, 4:10, 2]
    torch.testing.assert_close(held, held[:1].expand(6), rtol=0, atol=0)
    _, plain = run_lstm(gru, x)
    torch.testing.assert_close(trace.hidden[..., :5, :], plain.hidden[..., :5, :])
    assert not torch.allclose(trace.hidden[..., 10:, :], plain.hidden[..., 10:, :])


def test_rnn_and_peephole_interventions_force_the_value():
    torch.manual_seed(6)
    x = torch.randn(1, 10, 3)
    _, trace = run_lstm(nn.RNN(3, 4, batch_first=True), x, [Intervention("hidden", 1, 0.5, 2, 4)])
    assert (trace.hidden[0, 0, 0, 2:4, 1] == 0.5).all()
    peephole = PeepholeLSTM(3, 4, batch_first=True)
    _, trace = run_lstm(peephole, x, [Intervention("cell", 0, 2.0, 3, 4)])
    o = trace.output_gate[0, 0, 0, 3, 0]
    torch.testing.assert_close(trace.hidden[0, 0, 0, 3, 0], o * torch.tanh(torch.tensor(2.0)))
    with pytest.raises(ValueError, match="on a rnn_tanh core one can intervene on hidden"):
        run_lstm(nn.RNN(3, 4, batch_first=True), x, [Intervention("cell", 1, 0.5, 2, 4)])


@pytest.mark.parametrize("cell", ["gru", "rnn_tanh", "peephole_lstm"])
def test_intervene_on_every_kind_of_model(cell):
    torch.manual_seed(0)
    model = SequenceModel(
        ModelConfig(cell=cell, vocab_size=8, embedding_size=4, hidden_size=6, num_outputs=8)
    ).eval()
    ids = torch.tensor([[2, 3, 4, 5, 6, 7, 2, 3]])
    quantity = "hidden" if cell != "peephole_lstm" else "cell"
    result = intervene(model, ids, [Intervention(quantity, 1, 0.9, 3, 5)])
    with torch.no_grad():
        logits, _ = model(ids)
    torch.testing.assert_close(result.original_output, torch.softmax(logits, -1), rtol=0, atol=1e-5)
    change = result.change()[0]
    assert (change[:3] == 0).all() and (change[3:] > 0).all()
    forced = Intervention(quantity, 1, 0.9, 3, 5)
    figure = intervention_figure(result, forced)
    first = {"gru": "update gate", "rnn_tanh": "pre activation", "peephole_lstm": "cell c"}[cell]
    assert figure.layout.annotations[0].text.startswith(first)
    assert len(figure.data) == 5
