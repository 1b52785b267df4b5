"""The gradient-flow page's sentences come from the curves it shows (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lstm_viz.analysis.corpus import record_corpus
from lstm_viz.analysis.gradients import gradient_flow
from lstm_viz.analysis.textbook import (
    gradient_summary,
    spectral_radius,
    textbook_curves,
    textbook_summary,
    value_at,
)
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.tasks import from_info

PRETRAINED = Path(__file__).resolve().parents[3] / "pretrained"


@pytest.fixture(scope="module")
def brackets():
    """The shipped bracket LSTM, GRU and RNN on the page's default input (validation
    sequence 0): curves, cells and spectral radii."""
    curves, kinds, radii = {}, {}, {}
    for name in ("brackets-lstm", "brackets-gru", "brackets-rnn"):
        checkpoint = load_checkpoint(PRETRAINED / name)
        task = from_info(checkpoint.task, strict=True)
        corpus = record_corpus(checkpoint.model, task, max_steps=200)
        n = int(corpus.lengths[0])
        curves[name] = gradient_flow(checkpoint.model, corpus.inputs[0:1, :n])
        kinds[name] = checkpoint.model.config.cell
        radii[name] = spectral_radius(checkpoint.model)
    return curves, kinds, radii


def test_the_summary_says_what_the_shipped_bracket_models_show(brackets):
    curves, kinds, radii = brackets
    text = gradient_summary(curves, kinds, radii)
    at10 = {n: value_at(c, 10) for n, c in curves.items()}
    # The numbers: at distance 10 the RNN keeps 0.63, the LSTM 0.078.
    assert f"{at10['brackets-rnn']:.2g}" == "0.63" and f"{at10['brackets-lstm']:.2g}" == "0.078"
    ranked = sorted(at10, key=at10.get, reverse=True)
    listed = text.split("distance 10: ")[1].split(" At distance")[0]
    assert re.findall(r"\*\*([\w-]+)\*\*", listed) == ranked
    assert "opposite of the textbook picture" in text
    assert radii["brackets-rnn"] > 1 and f"{radii['brackets-rnn']:.2f}" in text
    assert radii["brackets-lstm"] is None
    # The GRU's gradient vanishes first at the longest distance; the sentence says so too.
    longest = min(len(c) for c in curves.values()) - 1
    far = {n: value_at(c, longest) for n, c in curves.items()}
    assert min(far, key=far.get) == "brackets-gru"
    order = sorted(far, key=far.get, reverse=True)
    assert f"At distance {longest}: " + ", ".join(f"**{n}** {far[n]:.2g}" for n in order) in text


def test_no_textbook_contradiction_is_claimed_when_there_is_none():
    curves = {"a": np.geomspace(1e-6, 1, 30), "b": np.geomspace(1e-12, 1, 30)}
    text = gradient_summary(curves, {"a": "lstm", "b": "rnn_tanh"})
    a, b = value_at(curves["a"], 10), value_at(curves["b"], 10)
    assert "opposite" not in text and f"**a** {a:.2g}, **b** {b:.2g}" in text


def test_the_textbook_comparison_shows_the_textbook_effect():
    curves = textbook_curves(length=30, hidden=8)
    again = textbook_curves(length=30, hidden=8)
    for name in curves:  # built the same way every time
        np.testing.assert_array_equal(curves[name], again[name])
    lstm, rnn = value_at(curves["LSTM"], 25), value_at(curves["vanilla RNN"], 25)
    assert lstm > 100 * rnn  # the textbook effect: orders of magnitude
    text = textbook_summary(curves, 25)
    assert f"LSTM {lstm:.2g}, vanilla RNN {rnn:.2g}" in text
    assert f"keeps {np.log10(lstm / rnn):.0f} orders of magnitude more" in text
