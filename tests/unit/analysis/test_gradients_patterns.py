"""Gradient flow against autograd's Jacobian and on the adding problem; pattern search against
a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.analysis import (
    find_spans,
    find_spans_naive,
    gradient_figure,
    gradient_flow,
    jacobian_norms,
    similar_spans,
    units_on,
)
from lstm_viz.models.sequence import SequenceModel
from lstm_viz.tasks import make_task
from lstm_viz.training import loss_and_score, model_config_for


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU, nn.RNN])
def test_jacobian_norms_equal_autograd_jacobian(cell):
    torch.manual_seed(0)
    rnn = cell(3, 70, num_layers=2, batch_first=True)  # 70 > one chunk of 64 components
    x = torch.randn(1, 9, 3)

    def last(inputs):
        return rnn(inputs)[0][0, -1]

    jacobian = torch.autograd.functional.jacobian(last, x)  # [70, 1, 9, 3]
    want = jacobian.double().pow(2).sum(dim=(0, 1, 3)).sqrt().numpy()
    np.testing.assert_allclose(jacobian_norms(rnn, x), want, rtol=1e-5)
    assert all(p.grad is None for p in rnn.parameters())  # the model is left untouched


def adding_models(steps: int = 0):
    """LSTM and vanilla RNN on the adding problem (T = 100), same size, seed and batches."""
    task = make_task("adding", length=100, train_size=32 * max(steps, 1), validation_size=4)
    models = {}
    for cell in ("lstm", "rnn_tanh"):
        torch.manual_seed(0)
        model = SequenceModel(model_config_for(task, cell=cell, hidden_size=32, embedding_size=16))
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        for batch in list(task.batches("train", 32, shuffle=False))[:steps]:
            output, _ = model(batch.inputs, batch.lengths)
            loss, _, _ = loss_and_score(output, batch, task.objective)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        models[cell] = model.eval()
    x = task.collate(task.sequences("validation")[:1]).inputs  # [1, 100, 2]
    return models, x


def test_lstm_gradient_reaches_further_back_than_a_vanilla_rnns_on_the_adding_problem():
    """Acceptance: ||d h_T / d x_t|| at distance 50 is larger for the LSTM than for the vanilla
    RNN. Shown honestly: at initialisation (same seed, same size) the LSTM's is already larger,
    and after 30 training steps on the adding problem it is over a million times larger (the
    LSTM's forget gates open; the RNN's gradient stays vanished)."""
    for steps, factor in ((0, 1.0), (30, 1e6)):
        models, x = adding_models(steps)
        lstm = gradient_flow(models["lstm"], x)
        rnn = gradient_flow(models["rnn_tanh"], x)
        at_50 = len(x[0]) - 1 - 50
        assert lstm[at_50] > factor * rnn[at_50], (steps, lstm[at_50], rnn[at_50])
        assert rnn[-1] > 0 and lstm[-1] > 0  # both depend on their last input
    figure = gradient_figure({"LSTM": lstm, "RNN": rnn})
    assert figure.layout.yaxis.type == "log"
    assert list(figure.data[0].x[:2]) == [99, 98]  # distance from the last step


def random_activations(seed=0, shape=(7, 60, 6)):
    rng = np.random.default_rng(seed)
    acts = rng.uniform(-1, 1, size=shape).astype(np.float32)
    acts[2, 40:] = np.nan  # padding
    return acts


@pytest.mark.parametrize(
    "units,threshold,min_length", [([0], 0.0, 1), ([1, 3], -0.3, 2), ([5], 0.5, 1)]
)
def test_spans_equal_a_plain_loop(units, threshold, min_length):
    acts = random_activations()
    spans = find_spans(acts, units, threshold, min_length)
    want = find_spans_naive(acts, units, threshold, min_length)
    assert sorted(zip(spans["sequence"], spans["start"], spans["stop"], strict=True)) == want
    assert (spans["length"] >= min_length).all()
    # Ranked: longest first, then by mean activation of the selected units.
    assert spans["length"].is_monotonic_decreasing
    seq, start, stop = spans.loc[0, ["sequence", "start", "stop"]].astype(int)
    window = acts[seq, start:stop][:, units]
    assert spans.loc[0, "mean"] == pytest.approx(window.mean(), rel=1e-6)
    assert (window >= threshold).all()


def test_spans_respect_lengths_and_flat_input():
    acts = np.ones((2, 5, 1), dtype=np.float32)
    spans = find_spans(acts, [0], 0.5, lengths=[3, 5])
    assert spans[["sequence", "start", "stop"]].values.tolist() == [[1, 0, 5], [0, 0, 3]]
    flat = find_spans(acts[0], [0], 0.5)  # [T, U]: one sequence
    assert flat[["sequence", "start", "stop"]].values.tolist() == [[0, 0, 5]]
    with pytest.raises(ValueError, match="out of range"):
        find_spans(acts, [1], 0.5)
    with pytest.raises(ValueError, match="at least one unit"):
        find_spans(acts, [], 0.5)


def test_spans_like_a_selected_one():
    acts = np.zeros((3, 20, 4), dtype=np.float32)
    acts[0, 5:9, [1, 2]] = 1.0  # the query: units 1 and 2 on for 4 steps
    acts[0, 5:7, 3] = 1.0  # unit 3 on for only part of it
    acts[1, 10:16, [1, 2]] = 0.9  # a longer match elsewhere
    acts[2, 0:3, [1, 2]] = 1.0  # too short
    units, spans = similar_spans(acts, 0, 5, 9, threshold=0.5)
    assert units.tolist() == [1, 2]
    assert units_on(acts, 0, 5, 7, 0.5).tolist() == [1, 2, 3]
    assert spans[["sequence", "start", "stop", "is_query"]].values.tolist() == [
        [1, 10, 16, False],
        [0, 5, 9, True],
    ]
    with pytest.raises(ValueError, match="no unit stays"):
        similar_spans(acts, 2, 5, 9, threshold=0.5)
