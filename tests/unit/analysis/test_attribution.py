"""Input attribution: completeness of integrated gradients on every shipped model, and the other
two methods against their definitions computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_viz.analysis.attribution import AttributionError, attribute
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel

PRETRAINED = Path(__file__).parents[3] / "pretrained"
SHIPPED = {  # model: (input, target token)
    "english-char-lstm": ("The cat sat on the mat", "."),
    "python-char-lstm": ("def f(x):\n    return", "x"),
    "agreement-word-lstm": ("the cat near the dogs", "is"),
    "brackets-lstm": ("(([])[()]", None),
    "brackets-gru": ("(([])[()]", None),
    "brackets-rnn": ("(([])[()]", None),
}


@pytest.mark.parametrize("name", SHIPPED)
def test_integrated_gradients_are_complete_on_the_shipped_models(name):
    """Acceptance: attributions sum to output(input) - output(all-zero embedding) within 1%."""
    checkpoint = load_checkpoint(PRETRAINED / name)
    text, token = SHIPPED[name]
    vocab = checkpoint.vocab
    ids = torch.tensor([vocab.encode(text)])
    target = vocab.id(token) if token else 1  # a class of the step-class bracket models
    found = attribute(checkpoint.model, ids, target)
    assert abs(found.expected) > 0.1  # the check means something
    assert found.completeness_error < 0.01, (found.total, found.expected)
    assert found.scores.shape == (ids.shape[1],)


def test_integration_points_double_until_complete():
    """A path through saturating gates needs more than 128 points: on english-char-lstm, "The
    cat sat on the mat" -> "." is more than 1% off with 128; by default the points double until
    the sum is within 1%, and the result says how many were used."""
    checkpoint = load_checkpoint(PRETRAINED / "english-char-lstm")
    vocab = checkpoint.vocab
    ids = torch.tensor([vocab.encode("The cat sat on the mat")])
    fixed = attribute(checkpoint.model, ids, vocab.id("."), n_steps=128)
    assert fixed.n_steps == 128 and fixed.completeness_error > 0.01
    auto = attribute(checkpoint.model, ids, vocab.id("."))
    assert auto.n_steps > 128 and auto.completeness_error <= 0.01
    half = attribute(checkpoint.model, ids, vocab.id("."), n_steps=auto.n_steps // 2)
    assert half.completeness_error > 0.01  # the fewest doublings that reach 1%
    assert attribute(checkpoint.model, ids, 1, "occlusion").n_steps is None


def test_numeric_input_regression_value_is_complete():
    checkpoint = load_checkpoint(PRETRAINED / "sines-lstm")
    x = torch.sin(torch.arange(40.0) / 3)[None, :, None]
    found = attribute(checkpoint.model, x, 0, step=20)
    assert found.completeness_error < 0.01, (found.total, found.expected)
    assert np.all(found.scores[21:] == 0)  # steps after the output cannot have caused it


def tiny(cell: str) -> SequenceModel:
    torch.manual_seed(0)
    config = ModelConfig(cell=cell, vocab_size=9, embedding_size=4, hidden_size=5, num_outputs=9)
    return SequenceModel(config).eval()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "peephole_lstm"])
def test_gradient_x_input_and_occlusion_follow_their_definitions(cell):
    model = tiny(cell)
    ids = torch.tensor([[2, 3, 4, 5, 6]])
    x = model.embedding(ids).detach().requires_grad_(True)
    out, _ = model.rnn(x)
    value = model.head(out[:, -1])[0, 7]
    (grad,) = torch.autograd.grad(value, x)
    want = (grad * x).sum(-1)[0].detach().numpy()
    got = attribute(model, ids, 7, "gradient-x-input")
    np.testing.assert_allclose(got.scores, want, rtol=1e-5, atol=1e-6)
    occluded = attribute(model, ids, 7, "occlusion", tokens=list("abcde"))
    for t in range(5):
        blank = x.detach().clone()
        blank[0, t] = 0
        with torch.no_grad():
            out, _ = model.rnn(blank)
            drop = float(value - model.head(out[:, -1])[0, 7])
        assert occluded.scores[t] == pytest.approx(drop, abs=1e-5)
    assert list(occluded.table().columns) == ["step", "token", "attribution"]
    assert occluded.table()["token"].tolist() == list("abcde")


def test_attribution_refuses_what_it_cannot_do():
    model = tiny("lstm")
    ids = torch.tensor([[2, 3, 4]])
    with pytest.raises(AttributionError, match="not among the model's 9 outputs"):
        attribute(model, ids, 9)
    with pytest.raises(AttributionError, match="method must be one of"):
        attribute(model, ids, 1, "saliency")
    with pytest.raises(AttributionError, match="outside the 3 steps"):
        attribute(model, ids, 1, step=3)
