"""The cell-state ledger and interventions, against record() and the LSTM equations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz import record
from lstm_viz.analysis import (
    Intervention,
    cell_ledger,
    intervene,
    intervention_figure,
    ledger_figure,
    run_lstm,
    top_predictions,
)
from lstm_viz.models.sequence import ModelConfig, SequenceModel


def lstm_trace(bidirectional=False, layers=2, steps=30, seed=0):
    torch.manual_seed(seed)
    lstm = nn.LSTM(3, 5, num_layers=layers, batch_first=True, bidirectional=bidirectional)
    x = torch.randn(2, steps, 3) * 2
    _, trace = record(lstm, x)
    return lstm, x, trace


@pytest.mark.parametrize("bidirectional", [False, True])
def test_ledger_terms_sum_to_the_recorded_cell(bidirectional):
    """Acceptance: the contributions sum to c_t within 1e-5, every unit, several steps."""
    _, _, trace = lstm_trace(bidirectional)
    worst = 0.0
    for layer in range(2):
        for direction in range(trace.num_directions):
            for unit in range(5):
                for step in (0, 7, 29):
                    ledger = cell_ledger(trace, unit, step, layer, direction, batch=1)
                    worst = max(worst, abs(ledger.total - ledger.cell))
                    assert len(ledger.steps) == (step + 1 if direction == 0 else 30 - step)
    assert worst < 1e-5, worst


def test_ledger_by_hand():
    """Three steps: c_2 = f2 f1 (i0 g0) + f2 (i1 g1) + i2 g2."""
    from lstm_viz import Trace

    names = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")
    values = {n: torch.zeros(1, 1, 1, 3, 1, dtype=torch.float64) for n in names}
    values["input_gate"][..., 0] = torch.tensor([1.0, 0.5, 0.25])
    values["candidate"][..., 0] = torch.tensor([1.0, -1.0, 1.0])
    values["forget_gate"][..., 0] = torch.tensor([0.9, 0.5, 0.8])
    c, cells = 2.0, []  # c_0 = 2
    for t in range(3):
        c = float(values["forget_gate"][..., t, 0]) * c + float(
            values["input_gate"][..., t, 0] * values["candidate"][..., t, 0]
        )
        cells.append(c)
    values["cell"][..., 0] = torch.tensor(cells)
    trace = Trace("lstm", values, torch.tensor([3]), [["a", "b", "c"]])
    ledger = cell_ledger(trace, unit=0, step=2, initial_cell=2.0)
    np.testing.assert_allclose(ledger.contributions, [0.4 * 1.0, 0.8 * -0.5, 0.25])
    np.testing.assert_allclose(ledger.kept, [0.4, 0.8, 1.0])
    assert ledger.initial == pytest.approx(0.9 * 0.5 * 0.8 * 2.0)
    assert ledger.total == pytest.approx(cells[2])
    frame = ledger.to_frame()
    assert frame["token"].tolist() == ["a", "b", "c"]
    figure = ledger_figure(ledger)
    np.testing.assert_allclose(np.asarray(figure.data[0].y), ledger.contributions)


def test_ledger_refuses_what_it_cannot_read():
    _, _, trace = lstm_trace(layers=1)
    with pytest.raises(ValueError, match="step 30 out of range"):
        cell_ledger(trace, 0, 30)
    with pytest.raises(ValueError, match="unit 9 out of range"):
        cell_ledger(trace, 9, 3)
    gru = nn.GRU(3, 4, batch_first=True)
    _, gru_trace = record(gru, torch.randn(1, 5, 3))
    with pytest.raises(ValueError, match="needs an LSTM"):
        cell_ledger(gru_trace, 0, 0)


@pytest.mark.parametrize(
    "settings",
    [dict(), dict(bidirectional=True), dict(proj_size=3), dict(num_layers=3)],
    ids=["plain", "bidirectional", "projection", "3-layers"],
)
def test_step_loop_without_intervention_equals_record(settings):
    torch.manual_seed(1)
    lstm = nn.LSTM(3, 5, **{"num_layers": 2, "batch_first": True, **settings})
    x = torch.randn(2, 25, 3)
    (want_out, _), want = record(lstm, x)
    out, got = run_lstm(lstm, x)
    torch.testing.assert_close(out, want_out, rtol=0, atol=1e-5)
    for name in want.names:
        torch.testing.assert_close(got[name], want[name], rtol=0, atol=1e-5, msg=name)


def test_forget_gate_clamped_to_zero_makes_the_cell_what_was_written():
    """Acceptance: with f_t = 0 at step t, c_t = i_t * g_t (the old memory is wiped)."""
    lstm, x, _ = lstm_trace(layers=2)
    step, unit = 12, 3
    _, trace = run_lstm(lstm, x, [Intervention("forget_gate", unit, 0.0, step, step + 1, 1)])
    cell = trace.cell[1, 0, :, step, unit]
    written = trace.input_gate[1, 0, :, step, unit] * trace.candidate[1, 0, :, step, unit]
    torch.testing.assert_close(cell, written, rtol=0, atol=1e-7)
    assert (trace.forget_gate[1, 0, :, step, unit] == 0).all()
    _, plain = run_lstm(lstm, x)
    assert not torch.allclose(plain.cell[1, 0, :, step, unit], written)  # it did change c
    # Other units of that step, and everything before it, are untouched.
    torch.testing.assert_close(trace.cell[:, :, :, :step], plain.cell[:, :, :, :step])
    others = [u for u in range(5) if u != unit]
    torch.testing.assert_close(trace.cell[1, 0, :, step, others], plain.cell[1, 0, :, step, others])


def test_setting_the_cell_and_clamping_gates_follow_the_equations():
    lstm, x, _ = lstm_trace(layers=1, bidirectional=True)
    forced = [
        Intervention("cell", 2, 0.75, 5, 9, direction=1),
        Intervention("output_gate", 0, 1.0, 0, 30),
        Intervention("input_gate", 4, 0.0, 3, 4),
    ]
    _, trace = run_lstm(lstm, x, forced)
    assert (trace.cell[0, 1, :, 5:9, 2] == 0.75).all()
    torch.testing.assert_close(
        trace.hidden[0, 1, :, 5:9, 2], trace.output_gate[0, 1, :, 5:9, 2] * np.tanh(0.75)
    )
    torch.testing.assert_close(trace.hidden[0, 0, :, :, 0], torch.tanh(trace.cell[0, 0, :, :, 0]))
    torch.testing.assert_close(
        trace.cell[0, 0, :, 3, 4], trace.forget_gate[0, 0, :, 3, 4] * trace.cell[0, 0, :, 2, 4]
    )
    with pytest.raises(ValueError, match="a gate is in"):
        run_lstm(lstm, x, [Intervention("forget_gate", 0, 1.5, 0, 1)])
    with pytest.raises(ValueError, match="not a span"):
        run_lstm(lstm, x, [Intervention("cell", 0, 1.0, 10, 40)])


def test_intervene_on_a_model_changes_its_predictions_after_the_span_only():
    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(vocab_size=8, embedding_size=4, hidden_size=6, num_outputs=8))
    model.eval()
    ids = torch.tensor([[2, 3, 4, 5, 6, 7, 2, 3, 4, 5]])
    result = intervene(
        model, ids, [Intervention("cell", 1, 3.0, 4, 6)], tokens=[list("abcdefghij")]
    )
    with torch.no_grad():
        logits, _ = model(ids)
    torch.testing.assert_close(result.original_output, torch.softmax(logits, -1), rtol=0, atol=1e-5)
    change = result.change()[0]
    assert (change[:4] == 0).all() and (change[4:] > 0).all()
    table = top_predictions(result, 5, [f"t{k}" for k in range(8)], count=3)
    assert len(table) == 3 and table["original"].between(0, 1).all()
    figure = intervention_figure(result, Intervention("cell", 1, 3.0, 4, 6))
    assert len(figure.data) == 5  # cell and hidden, before and after; the change
    with pytest.raises(ValueError, match="reset_gate, update_gate, new_gate, hidden"):
        gru = SequenceModel(ModelConfig(cell="gru", vocab_size=8, embedding_size=4, hidden_size=6))
        intervene(gru, ids, [Intervention("cell", 1, 3.0, 4, 6)])
