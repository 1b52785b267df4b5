"""linear_scan against the plain step-by-step recurrence: both directions, strided output."""

from __future__ import annotations

import pytest
import torch

from lstm_viz.recording.scan import linear_scan


@pytest.mark.parametrize("steps", [1, 2, 3, 8, 9, 50, 1001])
@pytest.mark.parametrize("reverse", [False, True])
def test_linear_scan_equals_the_recurrence(steps, reverse):
    torch.manual_seed(steps)
    decay = torch.rand(steps, 3, 4, dtype=torch.float64)
    increment = torch.randn(steps, 3, 4, dtype=torch.float64)
    initial = torch.randn(3, 4, dtype=torch.float64)
    expected = torch.empty_like(increment)
    c = initial
    for t in reversed(range(steps)) if reverse else range(steps):
        c = decay[t] * c + increment[t]
        expected[t] = c
    storage = torch.empty(3, steps, 4, dtype=torch.float64)  # [B, T, H], written as [T, B, H]
    linear_scan(decay, increment, initial, reverse=reverse, out=storage.transpose(0, 1))
    torch.testing.assert_close(storage.transpose(0, 1), expected, atol=1e-12, rtol=1e-12)
