"""The cell diagram: self-contained SVG that carries exactly the numbers it was given."""

from __future__ import annotations

import re

import pytest
import torch

from lstm_viz import record
from lstm_viz.learn.cell_step import CellParams, lstm_step
from lstm_viz.learn.diagram import cell_diagram, trace_diagram

NAMES = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")


def node_values(svg: str) -> dict[str, str]:
    return dict(re.findall(r'class="lv-node" data-name="(\w+)" data-value="([^"]*)"', svg))


def test_the_diagram_shows_the_step_it_was_given():
    step = lstm_step(0.8, -0.3, 0.6, params=CellParams(forget_bias=2.0))
    svg = cell_diagram(**{n: step.value(n) for n in NAMES}, cell_prev=0.6, hidden_prev=-0.3, x=0.8)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    values = node_values(svg)
    for name in NAMES:
        assert float(values[name]) == pytest.approx(step.value(name), abs=1e-6), name
    assert float(values["cell_prev"]) == 0.6
    assert float(values["hidden_prev"]) == -0.3
    assert float(values["x"]) == 0.8
    assert float(values["squashed"]) == pytest.approx(
        float(torch.tanh(torch.tensor(step.cell[0]))), abs=1e-6
    )
    assert f"kept f·c = {step.kept[0]:.3f}" in svg
    assert f"written i·g = {step.written[0]:.3f}" in svg
    # Nothing fetched: the only URL is the SVG namespace.
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]


def test_unknown_previous_state_and_token_input():
    svg = cell_diagram(
        input_gate=0.5, forget_gate=0.5, candidate=0.1, output_gate=0.5, cell=0.05,
        hidden=0.02, x="<&>",
    )  # fmt: skip
    assert "–" in svg  # c_prev and h_prev unknown
    assert "&lt;&amp;&gt;" in svg and "<&>" not in svg  # escaped


def test_trace_diagram_reads_one_unit_at_one_step():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)
    _, trace = record(lstm, torch.randn(1, 5, 3), tokens=[list("abcde")])
    svg = trace_diagram(trace, step=2, unit=3, layer=1, direction=0)
    values = node_values(svg)
    for name in NAMES:
        assert float(values[name]) == pytest.approx(trace[name][1, 0, 0, 2, 3].item(), abs=1e-6)
    assert float(values["cell_prev"]) == pytest.approx(trace.cell[1, 0, 0, 1, 3].item(), abs=1e-6)
    assert values["x"] == "c"
    backward = node_values(trace_diagram(trace, step=2, unit=3, layer=1, direction=1))
    assert float(backward["cell_prev"]) == pytest.approx(
        trace.cell[1, 1, 0, 3, 3].item(), abs=1e-6
    )  # the backward direction came from step 3
    assert node_values(trace_diagram(trace, step=0, unit=0))["cell_prev"] == ""
    with pytest.raises(ValueError, match="outside"):
        trace_diagram(trace, step=5, unit=0)
    _, gru = record(torch.nn.GRU(3, 4), torch.randn(5, 3))
    with pytest.raises(ValueError, match="draws an LSTM"):
        trace_diagram(gru, step=0, unit=0)
