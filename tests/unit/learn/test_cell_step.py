"""The playground's numbers: one LSTM (and RNN) step equals a recorded step of nn.LSTM (nn.RNN)
with the same weights, to float32 precision; the sentences say the same numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from lstm_viz import record
from lstm_viz.learn.cell_step import (
    CellParams,
    RNNParams,
    lstm_step,
    rnn_sentence,
    rnn_step,
    sentences,
)

NAMES = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")


def random_params(seed: int) -> CellParams:
    rng = np.random.default_rng(seed)
    return CellParams(**{n: float(rng.uniform(-4, 4)) for n in CellParams.names()})


def recorded_step(lstm: torch.nn.LSTM, x, h, c):
    x = torch.tensor(x, dtype=torch.float32).reshape(1, 1, -1)
    h0 = torch.tensor(h, dtype=torch.float32).reshape(1, 1, -1)
    c0 = torch.tensor(c, dtype=torch.float32).reshape(1, 1, -1)
    (out, (h_n, c_n)), trace = record(lstm, x, initial_state=(h0, c0))
    return trace, out, h_n, c_n


@pytest.mark.parametrize("seed", range(8))
def test_one_unit_step_equals_a_recorded_nn_lstm_step(seed):
    params = random_params(seed)
    rng = np.random.default_rng(100 + seed)
    x, h, c = (float(v) for v in rng.uniform(-2, 2, 3))
    step = lstm_step(x, h, c, params=params)
    trace, out, h_n, c_n = recorded_step(params.to_lstm(), x, h, c)
    for name in NAMES:
        np.testing.assert_allclose(
            step.value(name), trace[name].item(), rtol=0, atol=2e-6, err_msg=name
        )
    np.testing.assert_allclose(step.hidden[0], out.item(), atol=2e-6)  # the module's own output
    np.testing.assert_allclose(step.cell[0], c_n.item(), atol=2e-6)
    # The equations hold between the numbers the page shows.
    np.testing.assert_allclose(step.cell, step.kept + step.written, atol=1e-12)
    np.testing.assert_allclose(step.hidden, step.output_gate * np.tanh(step.cell), atol=1e-12)


def test_to_lstm_uses_every_slider():
    base = CellParams()
    for name in CellParams.names():
        moved = CellParams(**{**base.__dict__, name: base.__dict__[name] + 0.7})
        a = lstm_step(0.5, 0.5, 0.5, params=base)
        b = lstm_step(0.5, 0.5, 0.5, params=moved)
        gate = name.split("_")[0]
        key = "candidate" if gate == "candidate" else f"{gate}_gate"
        assert a.value(key) != b.value(key), name
        trace = recorded_step(moved.to_lstm(), 0.5, 0.5, 0.5)[0]
        assert trace[key].item() == pytest.approx(b.value(key), abs=2e-6), name


def test_vector_step_equals_nn_lstm_with_both_biases():
    torch.manual_seed(3)
    lstm = torch.nn.LSTM(3, 4, batch_first=True)
    rng = np.random.default_rng(0)
    x, h, c = rng.normal(size=3), rng.normal(size=4), rng.normal(size=4)
    step = lstm_step(
        x,
        h,
        c,
        weight_ih=lstm.weight_ih_l0.detach().numpy(),
        weight_hh=lstm.weight_hh_l0.detach().numpy(),
        bias=(lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy(),
    )
    trace = recorded_step(lstm, x, h, c)[0]
    for name in NAMES:
        np.testing.assert_allclose(
            getattr(step, name), trace[name][0, 0, 0, 0].numpy(), atol=2e-6, err_msg=name
        )


@pytest.mark.parametrize("seed", range(4))
def test_rnn_step_equals_a_recorded_nn_rnn_step(seed):
    rng = np.random.default_rng(seed)
    params = RNNParams(*(float(v) for v in rng.uniform(-3, 3, 3)))
    x, h = (float(v) for v in rng.uniform(-2, 2, 2))
    step = rnn_step(x, h, params)
    _, trace = record(
        params.to_rnn(),
        torch.tensor([[[x]]], dtype=torch.float32),
        initial_state=torch.tensor([[[h]]], dtype=torch.float32),
    )
    assert step.pre_activation[0] == pytest.approx(trace.pre_activation.item(), abs=2e-6)
    assert step.hidden[0] == pytest.approx(trace.hidden.item(), abs=2e-6)
    assert f"{step.hidden[0]:+.2f}" in rnn_sentence(step, params)


def test_sentences_say_the_numbers():
    params = CellParams(forget_bias=3.0, input_bias=-3.0, input_x=0.0, output_bias=0.0)
    step = lstm_step(1.0, 0.0, 0.8, params=params)
    words = sentences(step)
    assert set(words) == {"forget", "input", "candidate", "output", "cell", "hidden"}
    f = 1 / (1 + np.exp(-3.0))
    assert f"keeps {100 * f:.0f}% of its old memory" in words["forget"]
    assert f"{0.8 * f:+.2f}" in words["forget"]
    assert "holds on to almost everything" in words["forget"]
    assert "Almost nothing new gets in" in words["input"]
    assert f"c = {step.cell[0]:+.2f}" in words["cell"]
    assert "50% of the squashed memory" in words["output"]  # sigmoid(0) = 0.5
    assert f"{step.hidden[0]:+.2f}" in words["hidden"]
    numbers = re.findall(r"[+-]\d\.\d\d", words["cell"])
    assert float(numbers[0]) + float(numbers[1]) == pytest.approx(float(numbers[2]), abs=0.011)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="x must be finite"):
        lstm_step(float("nan"), 0, 0, params=CellParams())
    with pytest.raises(ValueError, match="weight_ih must be"):
        lstm_step([1.0, 2.0], 0, 0, params=CellParams())
    with pytest.raises(ValueError, match="give params"):
        lstm_step(1.0, 0, 0)


def test_setting_text_round_trips_and_forgives():
    from lstm_viz.learn.cell_step import setting_from_text, setting_to_text

    values = {"forget_bias": 3.0, "x": -0.5, "output_h": 1.25}
    text = setting_to_text(values)
    assert text == "x:-0.5,forget_bias:3,output_h:1.25"  # in slider order
    assert setting_from_text(text) == values
    assert setting_from_text("x:9,bogus:1,c_prev:nan,h_prev:abc,input_bias:-7,:") == {
        "x": 6.0,
        "input_bias": -6.0,
    }
    with pytest.raises(ValueError, match="not a playground setting"):
        setting_to_text({"colour": 1.0})
