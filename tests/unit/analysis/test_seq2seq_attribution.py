"""Attention beside integrated gradients: shapes, completeness, agreement; and the figures."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_viz.analysis.seq2seq_attribution import attention_and_attribution
from lstm_viz.figures.attention import attention_matrix, attention_vs_attribution
from tests.unit.recording.test_seq2seq import tiny


@pytest.fixture(scope="module")
def result():
    return attention_and_attribution(tiny("additive"), "abc de", steps=64)


def test_shapes_rows_and_completeness(result):
    steps, chars = len(result.generated), len(result.source)
    assert result.attention.shape == result.share.shape == (steps, chars)
    np.testing.assert_allclose(result.attention.sum(-1), 1, atol=1e-6)
    np.testing.assert_allclose(result.share.sum(-1), 1, atol=1e-5)
    # integrated gradients add up to log p(input) - log p(baseline), within the Riemann error
    assert np.abs(result.completeness).max() < 0.05


def test_agreement_is_where_the_largest_weights_coincide(result):
    agree = result.agree
    top_a, top_b = result.attention.argmax(-1), result.share.argmax(-1)
    assert agree.tolist() == (top_a == top_b).tolist()
    listed = [t for t, *_ in result.disagreements()]
    assert listed == [t for t in range(len(agree)) if not agree[t]]


def test_the_attention_figure_keeps_the_matrix_and_its_fixed_scale(result):
    figure = attention_matrix(result.attention, result.source, result.generated, selected=1)
    heat = figure.data[0]
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    np.testing.assert_array_equal(np.asarray(heat.z), result.attention)
    assert list(figure.layout.xaxis.ticktext) == ["a", "b", "c", "␣", "d", "e"]
    assert "&lt;/s&gt;" in figure.layout.yaxis.ticktext or "</s>" not in result.generated
    assert figure.layout.shapes[0].y0 == 0.5
    with pytest.raises(ValueError, match="generated x source"):
        attention_matrix(result.attention[:, :-1], result.source, result.generated)
    bars = attention_vs_attribution(result.attention[0], result.share[0], result.source, "x")
    assert len(bars.data) == 2
