"""The pre-activation split's stacked bars and the trajectory plot."""

from __future__ import annotations

import numpy as np
import torch

from lstm_viz import record
from lstm_viz.analysis.preactivation import split_model
from lstm_viz.analysis.trajectories import trajectories
from lstm_viz.figures.causal import preactivation_figure, trajectory_figure
from lstm_viz.models.sequence import ModelConfig, SequenceModel


def model(cell):
    torch.manual_seed(0)
    config = ModelConfig(cell=cell, vocab_size=9, embedding_size=4, hidden_size=5, num_outputs=9)
    return SequenceModel(config).eval()


def test_stacked_bars_sum_to_the_line():
    split = split_model(model("peephole_lstm"), torch.tensor([[2, 3, 4, 5, 6]]))
    figure = preactivation_figure(split, "forget_gate", unit=2)
    bars = [t for t in figure.data if t.type == "bar"]
    (line,) = [t for t in figure.data if t.type == "scatter"]
    assert [b.name for b in bars] == ["input W·xₜ", "recurrent W·hₜ₋₁", "bias", "peephole p·c"]
    np.testing.assert_allclose(sum(np.asarray(b.y) for b in bars), line.y, atol=1e-12)
    gate = split.trace.forget_gate[0, 0, 0, :, 2].numpy()
    np.testing.assert_allclose(1 / (1 + np.exp(-np.asarray(line.y))), gate, atol=1e-5)
    assert figure.layout.barmode == "relative"
    assert figure.layout.meta["figure"] == "preactivation_split"


def test_trajectory_figure_draws_one_labelled_line_per_input():
    m = model("gru")
    traces = []
    for text in ("<b>ab", "ba<i>a"):
        ids = torch.tensor([[2 + ord(c) % 7 for c in text]])
        traces.append(record(m, ids, tokens=[list(text)])[1])
    corpus = record(m, torch.randint(2, 9, (4, 10)))[1]
    paths = trajectories(traces, ["one <b>", "two"], corpus=corpus)
    figure = trajectory_figure(paths)
    assert len(figure.data) == 2
    assert figure.data[0].name != "one <b>"  # escaped: plotly reads HTML in legends
    assert len(figure.data[1].x) == 6 and list(figure.data[1].marker.symbol)[-1] == "diamond"
    assert "nearest in the corpus" in figure.data[0].customdata[0]
    assert "PC1" in figure.layout.title.subtitle.text
