"""The vanishing-gradient story: every number checked against autograd identities, finite
differences and recorded nn.LSTM / nn.RNN runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz import record
from lstm_viz.learn.cell_step import CellParams, RNNParams
from lstm_viz.learn.memory_story import STORY_LSTM, STORY_RNN, memory_story, signal_then_gap

GENERAL = CellParams(
    input_x=1.5,
    input_h=0.8,
    input_bias=-0.5,
    forget_x=0.4,
    forget_h=-0.6,
    forget_bias=1.0,
    candidate_x=1.2,
    candidate_h=0.7,
    candidate_bias=0.1,
    output_x=-0.3,
    output_h=0.5,
    output_bias=0.2,
)


def test_states_equal_recorded_modules():
    inputs = np.array([1.0, -0.5, 0.3, 0.0, 2.0, -1.0])
    story = memory_story(inputs, GENERAL, RNNParams(0.7, 1.1, -0.2))
    x = torch.tensor(inputs, dtype=torch.float32).reshape(1, -1, 1)
    _, lstm = record(GENERAL.to_lstm(), x)
    _, rnn = record(RNNParams(0.7, 1.1, -0.2).to_rnn(), x)
    np.testing.assert_allclose(story.lstm_cell, lstm.cell.flatten().numpy(), atol=2e-6)
    np.testing.assert_allclose(story.lstm_hidden, lstm.hidden.flatten().numpy(), atol=2e-6)
    np.testing.assert_allclose(story.forget_gate, lstm.forget_gate.flatten().numpy(), atol=2e-6)
    np.testing.assert_allclose(story.rnn_hidden, rnn.hidden.flatten().numpy(), atol=2e-6)


def test_rnn_gradient_is_the_product_of_its_factors():
    story = memory_story(signal_then_gap(25), STORY_LSTM, RNNParams(1.0, 0.9, 0.1))
    np.testing.assert_allclose(story.rnn_gradient, story.rnn_product, rtol=1e-10, atol=1e-300)


def test_lstm_cell_gradient_is_the_product_of_forget_gates_without_recurrent_weights():
    story = memory_story(np.sin(np.arange(20.0)), STORY_LSTM)
    assert all(STORY_LSTM.weight(g, "h") == 0 for g in ("input", "forget", "candidate", "output"))
    np.testing.assert_allclose(story.lstm_gradient, story.forget_product, rtol=1e-10)
    # With recurrent weights, other paths add to it: the product is no longer exact.
    general = memory_story(np.sin(np.arange(20.0)), GENERAL)
    assert not np.allclose(general.lstm_gradient, general.forget_product, rtol=1e-3)


@pytest.mark.parametrize("params", [STORY_LSTM, GENERAL], ids=["story", "general"])
def test_influence_equals_autograd(params):
    """d state_t / d x_0 by reverse-mode autograd, one backward pass per step."""
    from lstm_viz.learn.memory_story import _run

    inputs = np.array([0.8, -0.3, 0.0, 1.1, 0.0, 0.0, -0.6, 0.2, 0.0, 0.0])
    rnn = RNNParams(0.7, 1.3, 0.1)
    story = memory_story(inputs, params, rnn)
    x = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
    cells, _, _, rnn_states = _run(x, params, rnn)
    for t in range(len(inputs)):
        (lstm_grad,) = torch.autograd.grad(cells[t], x, retain_graph=True)
        (rnn_grad,) = torch.autograd.grad(rnn_states[t], x, retain_graph=True)
        assert story.lstm_influence[t] == pytest.approx(lstm_grad[0].item(), rel=1e-12, abs=1e-15)
        assert story.rnn_influence[t] == pytest.approx(rnn_grad[0].item(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("params", [STORY_LSTM, GENERAL], ids=["story", "general"])
def test_influence_equals_finite_differences(params):
    inputs = np.array([1.0, 0.2, -0.4, 0.0, 0.0, 0.5, 0.0, 0.0])
    story = memory_story(inputs, params, STORY_RNN)
    eps = 1e-6
    up, down = inputs.copy(), inputs.copy()
    up[0] += eps
    down[0] -= eps
    plus, minus = memory_story(up, params, STORY_RNN), memory_story(down, params, STORY_RNN)
    np.testing.assert_allclose(
        story.lstm_influence, (plus.lstm_cell - minus.lstm_cell) / (2 * eps), atol=1e-8
    )
    np.testing.assert_allclose(
        story.rnn_influence, (plus.rnn_hidden - minus.rnn_hidden) / (2 * eps), atol=1e-8
    )


def test_the_story_the_page_tells():
    story = memory_story(signal_then_gap(40))
    assert story.steps == 41
    # After 40 steps the LSTM's cell still feels the first input 40x more than the RNN does.
    assert story.lstm_influence[-1] > 30 * abs(story.rnn_influence[-1])
    assert story.lstm_gradient[0] > 30 * abs(story.rnn_gradient[0])
    assert story.lstm_cell[-1] > 0.1  # the LSTM still holds the signal (it wrote ~0.92)
    assert abs(story.rnn_hidden[-1]) < 0.01  # the RNN has lost it
    # A larger forget bias keeps more: f = sigmoid(5) keeps ~76% over 40 steps.
    longer = memory_story(
        signal_then_gap(40), CellParams(**{**STORY_LSTM.__dict__, "forget_bias": 5.0})
    )
    assert longer.lstm_gradient[0] > 0.7


def test_bad_sequences():
    with pytest.raises(ValueError, match="at least one step"):
        memory_story([])
    with pytest.raises(ValueError, match="finite"):
        memory_story([1.0, float("inf")])
    with pytest.raises(ValueError, match="gap"):
        signal_then_gap(-1)


def test_story_sentence_says_how_much_less():
    from lstm_viz.learn.memory_story import story_sentence

    story = memory_story(signal_then_gap(30))
    words = story_sentence(story, 30)
    ratio = story.lstm_influence[30] / story.rnn_influence[30]
    assert f"({ratio:,.0f}× less)" in words and f"{story.lstm_cell[30]:+.3f}" in words
    saturated = memory_story(signal_then_gap(30), rnn=RNNParams(1.0, 1.8, 0.0))
    assert "(about 10¹⁸× less)" in story_sentence(saturated, 30)
    assert "less" not in story_sentence(story, 0) and "more" not in story_sentence(story, 0)
