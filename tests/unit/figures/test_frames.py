"""ConvLSTM gate maps: the figure's title names what it draws."""

from __future__ import annotations

import pytest
import torch

from lstm_viz import ConvLSTM, record
from lstm_viz.figures.frames import gate_maps_figure


@pytest.fixture(scope="module")
def trace():
    torch.manual_seed(0)
    module = ConvLSTM(1, 2, kernel_size=3)
    _, trace = record(module, torch.rand(1, 4, 1, 5, 5))
    return trace


def heading(figure) -> str:
    return figure.layout.title.text


@pytest.mark.parametrize(
    "names, expected",
    [
        (["forget_gate"], "Forget gate at step 2, layer 0"),
        (["cell", "forget_gate"], "Forget gate and cell state at step 2, layer 0"),
        (["hidden", "input_gate", "candidate"], "Input gate, candidate and hidden state at"),
    ],
)
def test_a_figure_of_some_quantities_names_them(trace, names, expected):
    figure = gate_maps_figure(trace, 0, 2, names=names)
    assert heading(figure).startswith(expected)
    assert "Every gate" not in heading(figure)
    assert len([d for d in figure.data if d.type == "heatmap"]) == len(names)


def test_a_figure_of_every_quantity_says_so(trace):
    for names in (None, list(trace.names)):
        figure = gate_maps_figure(trace, 0, 3, names=names)
        assert heading(figure).startswith("Every gate and state at step 3, layer 0")
        assert len([d for d in figure.data if d.type == "heatmap"]) == len(trace.names)
