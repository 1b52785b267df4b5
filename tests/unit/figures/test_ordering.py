"""lstm_viz.figures.ordering: unit orders against brute-force computations; heatmaps follow them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz import record
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.figures.ordering import ORDERINGS, cluster_order, order_units, saturation, unit_scores


def test_mean_and_variance_rank_highest_first_against_brute_force():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 9)) * np.arange(1, 10) + np.arange(9)[::-1]
    means = [values[:, u].mean() for u in range(9)]
    variances = [values[:, u].var() for u in range(9)]
    assert list(order_units(values, "mean")) == sorted(range(9), key=lambda u: -means[u])
    assert list(order_units(values, "variance")) == sorted(range(9), key=lambda u: -variances[u])
    top3 = sorted(range(9), key=lambda u: -variances[u])[:3]
    assert list(order_units(values, "variance", top_k=3)) == top3
    assert set(top3) <= {5, 6, 7, 8}  # the scale makes the last units the most variable
    assert list(order_units(values, "index")) == list(range(9))
    assert list(order_units(values, "index", top_k=2)) == [0, 1]


def test_padding_is_ignored_and_ties_keep_index_order():
    values = np.array([[1.0, 1.0, 0.0], [np.nan, np.nan, np.nan], [1.0, 1.0, 5.0]])
    np.testing.assert_allclose(unit_scores(values, "mean"), [1.0, 1.0, 2.5])
    assert list(order_units(values, "mean")) == [2, 0, 1]


def test_saturation_counts_steps_near_the_bounds():
    gates = np.array([[0.01, 0.5], [0.99, 0.5], [0.5, 0.96], [np.nan, np.nan]])
    np.testing.assert_allclose(saturation(gates, "forget_gate"), [2 / 3, 1 / 3])
    hidden = np.array([[-0.99, 0.2], [0.1, 0.3]])
    np.testing.assert_allclose(saturation(hidden, "hidden"), [0.5, 0.0])
    cell = np.array([[3.0, 0.5], [-2.0, 0.1]])  # tanh(3)=0.995, tanh(-2)=-0.964
    np.testing.assert_allclose(saturation(cell, "cell"), [1.0, 0.0])
    assert list(order_units(gates, "saturation", "forget_gate")) == [0, 1]


def test_clustering_puts_units_that_move_together_side_by_side():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 6, 80)
    a, b = np.sin(t), np.cos(3 * t)
    columns = [a, b, -b * 0 + a * 0.9, b * 1.1, a + 0.01 * rng.normal(size=80), b + 0.2]
    values = np.stack(columns, axis=1) + 0.01 * rng.normal(size=(80, 6))
    order = list(cluster_order(values))
    assert sorted(order) == list(range(6))
    group_a = {0, 2, 4}
    positions = [order.index(u) for u in group_a]
    assert max(positions) - min(positions) == 2  # the three sine units are contiguous
    assert list(order_units(values, "clustered", top_k=2)) == order[:2]


def test_clustering_handles_constant_units_and_tiny_inputs():
    values = np.zeros((5, 4))
    assert sorted(cluster_order(values)) == [0, 1, 2, 3]
    assert list(cluster_order(np.ones((1, 4)))) == [0, 1, 2, 3]


@pytest.mark.parametrize("method", ORDERINGS)
def test_every_ordering_is_a_permutation(method):
    values = np.random.default_rng(2).uniform(size=(12, 17))
    order = order_units(values, method, "input_gate")
    assert sorted(order) == list(range(17))


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="unknown ordering"):
        order_units(np.zeros((2, 2)), "alphabetical")
    with pytest.raises(ValueError, match="top_k"):
        order_units(np.zeros((2, 2)), "mean", top_k=0)


def test_heatmap_rows_follow_the_order_and_say_their_unit():
    torch.manual_seed(0)
    _, trace = record(nn.LSTM(3, 6, batch_first=True), torch.randn(1, 8, 3))
    units = [4, 0, 5]
    figure = heatmap(trace, "cell", units=units)
    z = np.asarray(figure.data[0].z)
    np.testing.assert_array_equal(z, trace.cell[0, 0, 0].numpy()[:, units].T)
    assert list(figure.data[0].y) == ["4", "0", "5"]
    assert figure.layout.yaxis.type == "category"
    custom = np.asarray(figure.data[0].customdata)  # the other quantities, same rows
    np.testing.assert_array_equal(custom[:, :, 0], trace.forget_gate[0, 0, 0].numpy()[:, units].T)
    with pytest.raises(ValueError, match="units must be"):
        heatmap(trace, "cell", units=[6])


def test_an_ordered_window_names_rows_not_unit_numbers():
    """Units 0-63 of 128 would name the first 64 unit numbers; in a chosen order the window is
    the first 64 rows, whatever units they hold."""
    torch.manual_seed(0)
    _, trace = record(nn.LSTM(3, 80, batch_first=True), torch.randn(1, 5, 3))
    order = np.argsort(-trace.cell[0, 0, 0].numpy().var(axis=0))
    ordered = heatmap(trace, "cell", units=order, max_units=64)
    assert ordered.layout.title.subtitle.text == "layer 0 · rows 1-64 of 80 in this order"
    plain = heatmap(trace, "cell", max_units=64, unit_start=16)
    assert plain.layout.title.subtitle.text == "layer 0 · units 16-79 of 80"
