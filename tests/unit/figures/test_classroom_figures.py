"""Issue 16's figure defects and the presenter view's type, on tiny traces: heatmap rows all
labelled, a numeric model's axis counts steps, the unit view's axis shows tokens and ends at the
last step, the timescale histogram's log axis has readable ticks, and present=1 scales every
font of a figure in its layout."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest
import torch
from torch import nn

from lstm_viz import record
from lstm_viz.analysis.timescales import half_life_figure, log_ticks
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.figures.layout import scale_altair_type, scale_type
from lstm_viz.figures.unit import unit_lines


def char_trace(hidden=16, text="The cat sat."):
    torch.manual_seed(0)
    tokens = list(text)
    _, trace = record(nn.LSTM(3, hidden, batch_first=True), torch.randn(1, len(tokens), 3),
                      tokens=[tokens])  # fmt: skip
    return trace


@pytest.mark.parametrize("top", [5, 10, 16])
def test_an_ordered_heatmap_labels_every_row(top):
    trace = char_trace()
    order = list(reversed(range(16)))[:top]
    yaxis = heatmap(trace, "hidden", units=order).layout.yaxis
    assert yaxis.type == "category"
    assert list(yaxis.tickvals) == [str(u) for u in order]  # every row, in its order
    assert list(yaxis.ticktext) == [str(u) for u in order]


def test_many_rows_are_labelled_every_kth_without_overlap():
    trace = char_trace(hidden=64)
    figure = heatmap(trace, "cell", units=list(range(64)))
    ticks = list(figure.layout.yaxis.tickvals)
    every = int(ticks[1]) - int(ticks[0])
    assert 1 < every < 8 and ticks[0] == "0"
    rows_px = (figure.layout.height - 110) / 64
    assert every * rows_px >= 11  # labels at least a line apart


def test_a_numeric_models_heatmap_counts_steps():
    trace = char_trace()
    by_token = heatmap(trace, "hidden").layout.xaxis
    assert by_token.title.text == "token" and by_token.ticktext[0] == "T"
    numeric = heatmap(trace, "hidden", numeric=True)
    assert numeric.layout.xaxis.title.text == "step"
    assert list(numeric.layout.xaxis.ticktext[:3]) == ["0", "1", "2"]
    assert numeric.data[0].x[1] == "'h' · step 1"  # hover still shows what was read
    _, no_tokens = record(nn.LSTM(3, 4, batch_first=True), torch.randn(1, 5, 3))
    assert heatmap(no_tokens, "cell").layout.xaxis.title.text == "step"


def test_the_unit_view_axis_shows_tokens_and_ends_at_the_last_step():
    trace = char_trace()
    steps = trace.num_steps
    for chart in unit_lines(trace, 0, 0, 3, step=2):
        x = chart.to_dict()["layer"][0]["encoding"]["x"]
        assert x["title"] == "token"
        assert x["scale"]["domain"] == [0, steps - 1] and x["scale"]["nice"] is False
        ticks = x["axis"]["values"]
        assert ticks[0] == 0 and ticks[-1] <= steps - 1
        labels = json.loads(x["axis"]["labelExpr"].split("[indexof(")[0])
        shown = ["T", "h", "e", "␣", "c", "a", "t", "␣", "s", "a", "t", "."]
        assert labels == [shown[k] for k in ticks]
        assert x["axis"]["labelExpr"].endswith(f"[indexof({json.dumps(ticks)}, datum.value)]")
    numeric = unit_lines(trace, 0, 0, 3, numeric=True)[0].to_dict()["layer"][0]["encoding"]["x"]
    assert numeric["title"] == "step" and "labelExpr" not in numeric["axis"]


def test_long_inputs_label_every_kth_token():
    trace = char_trace(text="a" * 400)
    x = unit_lines(trace, 0, 0, 0)[0].to_dict()["layer"][0]["encoding"]["x"]
    ticks = x["axis"]["values"]
    assert 10 <= len(ticks) <= 60 and ticks[-1] <= 399


@pytest.mark.parametrize(
    ("low", "high", "want"),
    [(0.5, 3.2, [0.5, 1, 2]), (2.1, 400, [5, 10, 20, 50, 100, 200]), (1.2, 1.9, [1.2, 1.51, 1.9])],
)
def test_log_ticks_are_readable(low, high, want):
    assert log_ticks(low, high) == pytest.approx(want)


def test_the_timescale_histogram_has_several_readable_ticks():
    table = pd.DataFrame({"layer": [0] * 5, "half_life": [1.3, 1.8, 2.2, 3.0, 4.5]})
    xaxis = half_life_figure(table).layout.xaxis
    assert xaxis.type == "log" and len(xaxis.tickvals) >= 3
    assert list(xaxis.tickvals) == [2, 5, 10]  # plotly alone drew one tick (10) here
    assert list(xaxis.ticktext) == [f"{t:.3g}" for t in xaxis.tickvals]


def test_present_scales_every_font_in_the_layout_and_leaves_the_figure_alone():
    trace = char_trace()
    figure = heatmap(trace, "cell")
    figure.add_annotation(text="note", font=dict(size=10))
    big = scale_type(figure, 1.5)
    assert big.layout.font.size == 18 and big.layout.legend.font.size == 18
    assert big.layout.annotations[0].font.size == 15
    assert big.layout.height == round(figure.layout.height * 1.5)
    assert big.layout.margin.t == round(figure.layout.margin.t * 1.5)
    assert figure.layout.font.size is None and figure.layout.annotations[0].font.size == 10
    assert big.to_dict()["data"][0]["z"] == figure.to_dict()["data"][0]["z"]  # values untouched
    # Streamlit's theme sizes ticks, titles and legends itself: each is set explicitly.
    assert big.layout.xaxis.tickfont.size == 18 and big.layout.yaxis.title.font.size == 21
    assert big.layout.title.font.size == 24 and big.layout.title.subtitle.font.size == 18
    assert big.data[0].colorbar.tickfont.size == 18
    titled = scale_type(go.Figure(layout=dict(title=dict(text="t", font=dict(size=20)))), 2)
    assert titled.layout.title.font.size == 40
    with pytest.raises(ValueError, match="positive"):
        scale_type(figure, 0)


def test_present_scales_altair_type():
    chart = unit_lines(char_trace(), 0, 0, 1)[0]
    spec = scale_altair_type(chart, 1.5).to_dict()
    assert spec["config"]["axis"] == {"labelFontSize": 15.0, "titleFontSize": 16.5}
    assert spec["config"]["legend"]["labelFontSize"] == 15.0
    assert spec["config"]["title"]["fontSize"] == 19.5
    assert spec["height"] == 360
