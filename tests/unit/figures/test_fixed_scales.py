"""Issue 16, "scales that mean the same thing everywhere": every place that colours the cell state
(the Unit view's text, the step-through diagram, a Learn tour's heatmap and cell diagram, the
offline HTML page) uses the model's stored range when it has one and says "(model)", else this
input's range with "(this input)"; two inputs of one model get the same colours; the words
next to a figure name the range its colour bar draws."""

from __future__ import annotations

import json
import re

import pytest
import torch

from lstm_viz import record
from lstm_viz.analysis.scales import Scales, scale_sentence
from lstm_viz.export.html import export_html
from lstm_viz.figures.colours import colour, layer_scale, max_abs
from lstm_viz.figures.step import step_diagram, step_numbers
from lstm_viz.figures.unit import coloured_text_html
from lstm_viz.learn.diagram import trace_diagram
from lstm_viz.learn.tour_figures import stop_figure
from lstm_viz.learn.tours import Stop

BOUND = 3.5
SCALES = Scales({"cell": [[BOUND]]}, steps=1234)
INPUTS = ("abcab", "ccccccbbba")


@pytest.fixture(scope="module")
def traces():
    """One tiny LSTM (6 units) reading two different inputs; big input weights so the two
    inputs' cell ranges differ."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 6, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.mul_(4)
    out = []
    for text in INPUTS:
        x = torch.nn.functional.one_hot(torch.tensor([[ord(c) - 97 for c in text]]), 3).float()
        out.append(record(lstm, x, tokens=[list(text)])[1])
    ranges = [max_abs(t.cell[0, 0, 0].numpy()) for t in out]
    assert abs(ranges[0] - ranges[1]) > 0.05  # else the test could not tell the scales apart
    return out


def legend(page: str) -> dict:
    found = re.search(r'data-zmin="([^"]+)" data-zmax="([^"]+)" data-source="([^"]+)"', page)
    return {"zmax": float(found.group(2)), "source": found.group(3)}


def test_sentence_says_the_stored_range_or_this_input():
    assert f"fixed for this model: ±{BOUND:.3g}" in scale_sentence("cell", 0, 0, SCALES)
    assert "no fixed scale for c" in scale_sentence("cell", 0, 0, None)
    assert scale_sentence("hidden", 0, 0, SCALES) == ""  # fixed -1..1 for every model


def test_unit_view_text_colours_two_inputs_alike(traces):
    seen = []
    for trace in traces:
        values = trace.cell[0, 0, 0, :, 2].numpy()
        scale = layer_scale(trace, "cell", 0, 0, SCALES)
        page = coloured_text_html(trace.tokens[0], values, "cell", scale=scale)
        seen.append(legend(page))
        assert f"c ±{BOUND:.3g} (model)" in page  # the text's colour bar
        assert f"±{BOUND:.3g}" in scale_sentence("cell", 0, 0, SCALES)  # the caption agrees
        assert colour(float(values[0]), False, BOUND) in page  # drawn on that range
    assert seen[0] == seen[1] == {"zmax": BOUND, "source": "model"}
    # Without a stored scale: this input's range over the whole layer, said so, and it differs.
    fallback = []
    for trace in traces:
        scale = layer_scale(trace, "cell", 0, 0, None)
        page = coloured_text_html(trace.tokens[0], trace.cell[0, 0, 0, :, 2], "cell", scale=scale)
        fallback.append(legend(page))
        assert fallback[-1]["source"] == "this input" and "(this input)" in page
        assert fallback[-1]["zmax"] == pytest.approx(max_abs(trace.cell[0, 0, 0].numpy()), 1e-3)
    assert fallback[0]["zmax"] != fallback[1]["zmax"]


def test_step_through_diagram_colours_two_inputs_alike(traces):
    metas = []
    for trace in traces:
        numbers = step_numbers(trace, 0, 0, 1, 2)
        figure = step_diagram(numbers, layer_scale(trace, "cell", 0, 0, SCALES))
        metas.append(figure.layout.meta["scale"])
        assert figure.layout.title.subtitle.text == f"colours: c ±{BOUND:.3g} (model)"
        cell_box = next(s for s in figure.layout.shapes if s.y0 == 2 - 0.35 and s.x0 == 4.5 - 0.6)
        assert cell_box.fillcolor == colour(numbers["cell"], False, BOUND)
    assert metas[0] == metas[1] == {"zmax": BOUND, "words": f"c ±{BOUND:.3g} (model)"}
    unfixed = step_diagram(step_numbers(traces[0], 0, 0, 1, 2), layer_scale(traces[0], "cell", 0))
    assert unfixed.layout.meta["scale"]["words"].endswith("(this input)")


def test_tour_heatmap_and_cell_diagram_colour_two_inputs_alike(traces):
    stop = Stop("The subject", "text", layer=0, unit=2, quantity="cell", steps=(1,))
    bars = []
    for trace in traces:
        heat = stop_figure(trace, stop, scales=SCALES).data[0]
        bars.append((heat.zmin, heat.zmax, heat.colorbar.title.text))
        svg = trace_diagram(trace, 2, 2, scales=SCALES)
        assert f'data-cell-bound="{BOUND:g}"' in svg and f"c ±{BOUND:.3g} (model)" in svg
    assert bars[0] == bars[1] == (-BOUND, BOUND, f"c<br>±{BOUND:.3g}<br>(model)")
    plain = stop_figure(traces[0], stop).data[0]
    assert plain.colorbar.title.text.endswith("(this input)")
    assert "(this input)" in trace_diagram(traces[0], 2, 2)


def _data(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="lv-data">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


def test_html_export_colours_two_inputs_alike(traces):
    seen = []
    for trace in traces:
        data = _data(export_html(trace, model="tiny", scales=SCALES))
        [cell] = [f for f in data["figures"] if f["key"] == "cell|0|0"]
        heat = cell["data"][0]
        seen.append((heat["zmin"], heat["zmax"], heat["colorbar"]["title"]["text"]))
        assert data["bounds"]["cell|0|0"] == BOUND  # the unit view's coloured text
        assert data["legends"]["cell|0|0"] == f"c ±{BOUND:.3g} (model)"
        assert f"fixed for this model: ±{BOUND:.3g}" in data["notes"]["0|0"]
    assert seen[0] == seen[1] == (-BOUND, BOUND, f"c<br>±{BOUND:.3g}<br>(model)")
    plain = _data(export_html(traces[0], model="tiny"))
    assert plain["legends"]["cell|0|0"].endswith("(this input)")
    assert "no fixed scale for c" in plain["notes"]["0|0"]


def test_notebook_show_colours_two_inputs_alike(traces):
    from lstm_viz.figures.notebook import show

    seen = []
    for trace in traces:
        figures = show(trace, quantities=["cell"], unit=2, unit_quantity="cell", scales=SCALES)
        heat, text = figures[0].data[0], figures[-1].text
        seen.append((heat.zmax, heat.colorbar.title.text, legend(text)["zmax"]))
    assert seen[0] == seen[1] == (BOUND, f"c<br>±{BOUND:.3g}<br>(model)", BOUND)
