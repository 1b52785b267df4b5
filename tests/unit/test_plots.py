"""Figure builders: the heatmap shows the trace's own numbers, on the house colour scales."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz import record
from lstm_viz.plots import colour_scale, heatmap


@pytest.fixture
def trace():
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    _, trace = record(
        lstm, torch.randn(7, 2, 3), lengths=[7, 4], tokens=[list("abcdefg"), list("wxyz")]
    )
    return trace


@pytest.mark.parametrize("quantity", ["forget_gate", "candidate", "cell", "hidden"])
def test_heatmap_values_are_the_trace_units_down_time_across(trace, quantity):
    figure = heatmap(trace, quantity, layer=1, direction="backward", batch=1)
    z = np.asarray(figure.data[0].z, dtype=np.float64)  # [unit, step]
    want = trace[quantity][1, 1, 1].numpy().T  # [unit, step]
    np.testing.assert_allclose(z, want, rtol=1e-6, atol=1e-7, equal_nan=True)
    assert np.isnan(z[:, 4:]).all()  # padded steps stay blank
    assert figure.layout.meta["note"] == ""  # nothing left out


def test_hover_carries_the_other_quantities(trace):
    figure = heatmap(trace, "cell", layer=0, direction=0, batch=0)
    data = np.asarray(figure.data[0].customdata, dtype=np.float64)  # [unit, step, others]
    assert data.shape == (5, 7, 5)
    forget = trace.forget_gate[0, 0, 0].numpy().T
    assert any(np.allclose(data[..., k], forget, atol=1e-7) for k in range(data.shape[-1]))
    assert "'a' · step 0" in figure.data[0].x[0]


def test_colour_scales_follow_the_house_rules():
    for gate in ("input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate"):
        scale = colour_scale(gate)
        assert (scale["zmin"], scale["zmax"]) == (0.0, 1.0)
    for bounded in ("candidate", "hidden", "new_gate"):
        scale = colour_scale(bounded)
        assert (scale["zmin"], scale["zmax"]) == (-1.0, 1.0)
    scale = colour_scale("cell", np.array([[-0.5, 3.0]]))
    assert (scale["zmin"], scale["zmax"]) == (-3.0, 3.0)
    assert "3" in scale["title"]  # the unbounded range is said


def test_long_inputs_are_aggregated_and_it_is_said(trace):
    torch.manual_seed(1)
    _, long_trace = record(nn.LSTM(2, 80), torch.randn(1000, 2))
    figure = heatmap(long_trace, "forget_gate", max_steps=100, max_units=32)
    z = np.asarray(figure.data[0].z)
    assert z.shape == (32, 100)
    assert figure.layout.meta["note"]  # the title says what was averaged or left out
    window = figure.layout.meta["window"]
    np.testing.assert_allclose(
        z[0, 0], long_trace.forget_gate[0, 0, 0, :window, 0].mean().item(), rtol=1e-5
    )
