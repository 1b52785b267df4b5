"""lstm_viz.show, Trace._repr_html_, and docs/notebook.ipynb run by nbclient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import lstm_viz
from lstm_viz.figures.notebook import HTML, Figures

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def trace():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True)
    tokens = ["<", "a", "&", "b", ">", " "]
    _, trace = lstm_viz.record(lstm, torch.randn(1, 6, 3), tokens=[tokens])
    return trace


def test_show_draws_every_quantity_of_every_layer(trace):
    figures = lstm_viz.show(trace)
    assert isinstance(figures, Figures) and len(figures) == 2 * 6
    heat = figures[0]
    assert heat.data[0].type == "heatmap"
    assert heat.data[0].z.shape == (5, 6)  # [unit, step]
    assert figures.names[0] == "heatmap forget_gate layer 0"
    # the same numbers as the trace: forget gate of layer 0, units down, time across
    assert heat.data[0].z == pytest.approx(trace.forget_gate[0, 0, 0].numpy().T, abs=1e-6)


def test_show_unit_view(trace):
    figures = lstm_viz.show(trace, quantities=["cell"], layer=1, unit=2)
    kinds = [type(f).__name__ for f in figures]
    assert kinds == ["Figure", "LayerChart", "LayerChart", "HTML"]
    text = figures[-1]._repr_html_()
    assert "&lt;" in text and "<span" in text and "&amp;" in text  # tokens escaped
    lines = figures[1].to_dict()
    assert "unit 2, layer 1" in json.dumps(lines["title"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantities": ["reset_gate"]}, "has no ['reset_gate']"),
        ({"layer": 2}, "layer 2 is out of range"),
        ({"unit": 9}, "unit 9 is out of range"),
        ({"batch": 1}, "batch 1 is out of range"),
    ],
)
def test_show_says_what_is_wrong(trace, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        lstm_viz.show(trace, **kwargs)


def test_trace_repr_html_is_short_and_escaped(trace):
    text = trace._repr_html_()
    assert "2 layer(s) x 1 direction(s) x 1 sequence(s) x 6 steps" in text
    assert "forget_gate [5 units]" in text
    assert "&lt;a&amp;b&gt;" in text and "<a&b>" not in text
    assert len(text) < 2000
    assert repr(HTML("x")) == "HTML(1 characters)"


def test_the_notebook_runs_and_shows_the_figures():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "docs" / "notebook.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    # cell 1: the trace's short HTML summary
    summary = code[0].outputs[-1]["data"]["text/html"]
    assert "2 layer(s) x 1 direction(s) x 1 sequence(s) x 36 steps" in summary
    assert "forget_gate [128 units]" in summary
    # cell 2: two plotly heatmaps (forget gate and cell of layer 1)
    plotly = [o for o in code[1].outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(plotly) == 2
    spec = plotly[0]["data"]["application/vnd.plotly.v1+json"]
    assert spec["data"][0]["type"] == "heatmap"
    assert "Forget gate" in spec["layout"]["title"]["text"]
    # the cell on the model's fixed range (scales.json: ±63 in layer 1), as the app colours it
    cell = plotly[1]["data"]["application/vnd.plotly.v1+json"]["data"][0]
    scales = json.loads((ROOT / "pretrained/english-char-lstm/scales.json").read_text())
    bound = scales["bounds"]["cell"][1][0]
    assert (cell["zmin"], cell["zmax"]) == (-bound, bound) and bound > 1
    # cell 3: the unit view: altair charts and the coloured text
    texts = [o["data"]["text/html"] for o in code[2].outputs if "text/html" in o.get("data", {})]
    charts = [t for t in texts if "vegaEmbed" in t]  # altair's default notebook renderer
    assert len(charts) == 2 and "unit 5, layer 1" in charts[0]
    assert any("lv-coloured" in t for t in texts)
    assert (
        "Figure (64, 36)"
    )  # default max_units: 64 rows in "".join(o.get("text", "") for o in code[3].outputs)
