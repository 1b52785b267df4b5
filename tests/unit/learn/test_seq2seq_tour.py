"""The dates tour states numbers measured from the attention it is given."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_viz.analysis.seq2seq_attribution import AttentionAttribution
from lstm_viz.learn.seq2seq_tour import dates_tour
from lstm_viz.tasks.dates import month_span

TEXT = "3rd of March 2021"
OUT = [*"2021-03-03", "</s>"]


def fake(month_weight: float) -> AttentionAttribution:
    steps, chars = len(OUT), len(TEXT)
    attention = np.full((steps, chars), (1 - month_weight) / (chars - 5))
    attention[:, 7:12] = month_weight / 5
    attention[5, 7:12] = [month_weight, 0, 0, 0, 0]
    attention[5, :7] = attention[5, 12:] = (1 - month_weight) / (chars - 1)
    attention[5] /= attention[5].sum()
    return AttentionAttribution(list(TEXT), OUT, attention, attention, attention, np.zeros(steps))


def test_month_span_finds_full_and_short_names_in_any_case():
    assert month_span(TEXT) == (7, 12)
    assert month_span("mAr 3 2021") == (0, 3)
    assert month_span("03.03.2021") is None


def test_the_stops_say_what_was_measured():
    stops = dates_tour(fake(0.9))
    month = stops[1]
    assert month.selected == 5
    assert "inside the month's name" in month.text and "“March”" in month.text
    outside = dates_tour(fake(0.02))[1]
    assert "outside the month's name" in outside.text
    assert stops[-1].matrix == "attribution" and "of 11" in stops[-1].text
    with pytest.raises(ValueError, match="month in words"):
        dates_tour(AttentionAttribution(list("03.03.2021"), OUT, *[np.zeros((11, 10))] * 3,
                                        np.zeros(11)))  # fmt: skip


def test_the_year_stop_claims_a_diagonal_only_when_each_digit_looks_at_its_own():
    """Issue 16 audit: "each looks at its own digit, a diagonal" was fixed words; now counted."""
    flat = dates_tour(fake(0.9))[3]
    assert "0 of the 4 look hardest at their own digit" in flat.text and "diagonal" not in flat.text
    result = fake(0.9)
    for k in range(4):  # year digits 0-3 look at "2021" (positions 13-16) one by one
        result.attention[k] = 0.01
        result.attention[k, 13 + k] = 1.0
    diagonal = dates_tour(result)[3]
    assert "each looks hardest at its own digit: a diagonal" in diagonal.text
    month = dates_tour(fake(0.02))[1]
    assert "outside" in month.text and "month are read from its name" not in month.text
