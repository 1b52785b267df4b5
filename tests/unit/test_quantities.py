"""The same words and format for a validation metric on every page and figure."""

from __future__ import annotations


def test_an_accuracy_just_under_one_never_shows_as_a_perfect_100_percent():
    from lstm_viz.quantities import format_metric, metric_label

    assert format_metric("accuracy", 0.9999) == "99.9%"  # rounded down
    assert format_metric("accuracy", 1.0) == "100.0%" and format_metric("accuracy", 0.57) == "57.0%"
    assert format_metric("bits_per_token", 2.14321) == "2.143"

    assert metric_label("bits_per_token") == "bits per token"
