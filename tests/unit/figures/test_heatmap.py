"""lstm_viz.figures: heatmaps show the trace's values exactly, colour scales follow STYLE.md."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz import record
from lstm_viz.figures.colours import colour_scale
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.quantities import QUANTITY_LABELS, QUANTITY_SYMBOLS, display_order


def lstm_trace(steps=7, hidden=5, layers=2, bidirectional=True, batch=2, seed=0):
    torch.manual_seed(seed)
    module = nn.LSTM(3, hidden, layers, batch_first=True, bidirectional=bidirectional)
    inputs = torch.randn(batch, steps, 3)
    tokens = [[f"t{b}{i}" for i in range(steps)] for b in range(batch)]
    _, trace = record(module, inputs, tokens=tokens)
    return trace


@pytest.mark.parametrize(("layer", "direction", "batch"), [(0, 0, 0), (1, 1, 1), (1, 0, 1)])
def test_z_is_the_trace_transposed_units_down(layer, direction, batch):
    trace = lstm_trace()
    for name in trace.names:
        figure = heatmap(trace, name, layer=layer, direction=direction, batch=batch)
        z = np.asarray(figure.data[0].z)
        assert z.dtype == np.float32 and z.shape == (5, 7)  # [unit, time]
        np.testing.assert_array_equal(z, trace[name][layer, direction, batch].numpy().T)
        assert list(figure.data[0].y) == list(range(5))
        assert figure.layout.meta["note"] == ""
        assert QUANTITY_LABELS[name] in figure.layout.title.text
        by_name = heatmap(trace, name, layer, ("forward", "backward")[direction], batch)
        np.testing.assert_array_equal(np.asarray(by_name.data[0].z), z)


def test_tick_labels_are_the_tokens_and_hover_has_step_and_every_other_quantity():
    trace = lstm_trace(bidirectional=False)
    figure = heatmap(trace, "forget_gate", batch=1)
    assert list(figure.layout.xaxis.ticktext) == [f"t1{i}" for i in range(7)]
    assert figure.data[0].x[3] == "'t13' · step 3"
    others = [n for n in display_order(trace.names) if n != "forget_gate"]
    custom = np.asarray(figure.data[0].customdata)
    assert custom.shape == (5, 7, 5)
    for k, name in enumerate(others):
        np.testing.assert_array_equal(custom[:, :, k], trace[name][0, 0, 1].numpy().T)
        assert f"{QUANTITY_SYMBOLS[name]} = %{{customdata[{k}]" in figure.data[0].hovertemplate
    assert "unit %{y}" in figure.data[0].hovertemplate and "%{x}" in figure.data[0].hovertemplate


def test_spaces_and_line_breaks_are_visible_in_labels():
    torch.manual_seed(0)
    _, trace = record(
        nn.LSTM(2, 3, batch_first=True), torch.randn(1, 3, 2), tokens=["a", " ", "\n"]
    )
    assert list(heatmap(trace, "cell").layout.xaxis.ticktext) == ["a", "␣", "⏎"]


def test_padded_steps_stay_blank():
    torch.manual_seed(0)
    module = nn.LSTM(2, 3, batch_first=True)
    _, trace = record(module, torch.randn(2, 6, 2), lengths=[6, 4])
    z = np.asarray(heatmap(trace, "hidden", batch=1).data[0].z)
    assert np.isnan(z[:, 4:]).all() and np.isfinite(z[:, :4]).all()


def test_colour_scales_per_quantity():
    for gate in ("input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate"):
        scale = colour_scale(gate, np.array([0.2, 0.3]))
        assert (scale["zmin"], scale["zmax"]) == (0.0, 1.0) and "zmid" not in scale
        assert scale["colorscale"] == colour_scale("forget_gate")["colorscale"]
    for bounded in ("candidate", "hidden", "new_gate"):
        scale = colour_scale(bounded, np.array([-0.1, 0.2]))
        assert (scale["zmin"], scale["zmid"], scale["zmax"]) == (-1.0, 0.0, 1.0)
    for unbounded in ("cell", "pre_activation"):
        scale = colour_scale(unbounded, np.array([[-0.5, np.nan], [2.5, 1.0]]))
        assert (scale["zmin"], scale["zmid"], scale["zmax"]) == (-2.5, 0.0, 2.5)
        assert "±2.5" in scale["title"]
    # The same quantity looks the same on every page: gates never depend on the values.
    assert colour_scale("input_gate") == colour_scale("input_gate", np.array([0.9]))
    # A ReLU RNN's hidden state leaves [-1, 1]: its range is then shown, not clipped.
    assert colour_scale("hidden", np.array([0.0, 4.0]))["zmax"] == 4.0
    with pytest.raises(ValueError):
        colour_scale("cell")


def test_heatmap_uses_the_colour_scale():
    trace = lstm_trace()
    data = heatmap(trace, "cell", layer=1).data[0]
    bound = float(np.nanmax(np.abs(trace.cell[1, 0, 0].numpy())))
    assert data.zmin == pytest.approx(-bound) and data.zmax == pytest.approx(bound)
    assert data.zmid == 0
    gate = heatmap(trace, "output_gate").data[0]
    assert (gate.zmin, gate.zmax) == (0.0, 1.0)


def test_long_inputs_are_averaged_and_it_is_said():
    trace = lstm_trace(steps=10, hidden=6, bidirectional=False, batch=1)
    figure = heatmap(trace, "input_gate", max_steps=4, max_units=4, unit_start=1)
    z = np.asarray(figure.data[0].z)
    assert z.shape == (4, 4)  # windows of 3 steps: 0-2, 3-5, 6-8, 9; units 1-4
    values = trace.input_gate[0, 0, 0].numpy()  # [time, unit]
    np.testing.assert_allclose(z[:, 0], values[0:3, 1:5].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(z[:, 3], values[9, 1:5], rtol=1e-6)
    note = figure.layout.meta["note"]
    assert "mean over windows of 3 steps" in note and "units 1-4 of 6" in note
    assert note in figure.layout.title.subtitle.text
    assert figure.data[0].x[1] == "'t03t04t05' · steps 3-5 (mean)"


def test_gru_and_rnn_traces_get_their_own_quantities():
    torch.manual_seed(0)
    _, gru = record(nn.GRU(2, 3, batch_first=True), torch.randn(1, 4, 2))
    assert display_order(gru.names) == ["reset_gate", "update_gate", "new_gate", "hidden"]
    for name in gru.names:
        assert heatmap(gru, name).layout.meta["quantity"] == name
    _, rnn = record(nn.RNN(2, 3, nonlinearity="relu", batch_first=True), torch.randn(1, 4, 2) * 5)
    data = heatmap(rnn, "pre_activation").data[0]
    assert data.zmin == -data.zmax and data.zmax > 0


def test_figures_stay_light():
    trace = lstm_trace(steps=1000, hidden=200, layers=1, bidirectional=False, batch=1)
    figure = heatmap(trace, "cell")
    assert np.asarray(figure.data[0].z).size <= 300 * 64
    assert len(figure.to_json()) < 1_000_000


@pytest.mark.parametrize("steps, units", [(1, None), (9, None), (9, [4, 0, 2])])
def test_grids_are_copies_of_only_the_shown_units(steps, units):
    from lstm_viz.figures.heatmap import heatmap_grid, heatmap_panel, plan_window

    trace = lstm_trace(steps=steps, hidden=5, layers=1, bidirectional=False, batch=1)
    shown = 5 if units is None else len(units)
    window = plan_window(steps, shown, max_steps=4, max_units=2, unit_start=1)
    grid = heatmap_grid(trace, "cell", window=window, units=units)
    order = np.arange(5) if units is None else np.asarray(units)
    full = trace.cell[0, 0, 0].numpy()[:, order[1:3]]  # [T, 2]
    want = np.stack([full[s : s + window.window].mean(0) for s in range(0, steps, window.window)])
    np.testing.assert_allclose(grid, want.T, rtol=1e-6)
    before = trace.cell.clone()
    grid += 1  # the figure's array is its own: the trace is untouched
    torch.testing.assert_close(trace.cell, before, rtol=0, atol=0, equal_nan=True)
    panel = heatmap_panel(trace, trace.names, max_steps=4, max_units=2, unit_start=1, units=units)
    for name in trace.names:
        alone = heatmap(trace, name, max_steps=4, max_units=2, unit_start=1, units=units)
        assert panel[name].to_json() == alone.to_json()


def test_a_large_view_hovers_its_own_value_and_says_where_the_others_are():
    from lstm_viz.figures.heatmap import HOVER_VALUES

    torch.manual_seed(0)
    _, trace = record(nn.LSTM(2, 64), torch.randn(400, 1, 2))  # 300 columns x 64 units
    figure = heatmap(trace, "cell")
    assert 300 * 64 * 5 > HOVER_VALUES and figure.data[0].customdata is None
    assert "customdata" not in figure.data[0].hovertemplate
    assert f"other quantities: on views of up to {HOVER_VALUES // 5:,} cells" in (
        figure.data[0].hovertemplate
    )
    small = heatmap(trace, "cell", max_steps=20, max_units=16)  # 20 x 16 cells: all shown
    assert np.asarray(small.data[0].customdata).shape == (16, 20, 5)


def test_step_numbers_are_labelled_sparsely_enough_not_to_overlap():
    # A numeric model's 100 steps are labelled 0..99, flat: with "9 px" per label every 2nd was
    # labelled and "10", "12", ... ran into one another in Explore's half-width heatmaps.
    trace = lstm_trace(steps=100, hidden=3, layers=1, bidirectional=False, batch=1)
    xaxis = heatmap(trace, "hidden", numeric=True).layout.xaxis
    assert xaxis.tickangle == 0 and len(xaxis.tickvals) <= 560 // 32
    # A sentence of 40 single characters keeps a label on every one.
    _, chars = record(nn.LSTM(3, 2, batch_first=True), torch.randn(1, 40, 3), tokens=[["a"] * 40])
    assert len(heatmap(chars, "hidden").layout.xaxis.tickvals) == 40
