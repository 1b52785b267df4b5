"""AppTest: the unit finder says why an r is missing (a feature constant on one half of the
corpus) and shows the missing value as a dash, never as Python's "None"."""

from __future__ import annotations

import pyarrow as pa

from app.components.analyze.common import MISSING
from tests.app.test_analyze_page import W, frames, open_analyze, save_dyck

# Read in sequences of 200 tokens: the first (ranked on) has "[", the second (held out) "((".
TEXT = "([])" * 50 + "(())" * 25


def shown(at, index: int):
    """The table as the browser shows it (the Styler's display values)."""
    return pa.ipc.open_stream(
        at.dataframe[index].proto.arrow_data.styler.display_values
    ).read_pandas()


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_a_pattern_that_matches_one_half_only_says_why_r_is_missing():
    save_dyck()
    at = open_analyze()
    at.radio(key=f"{W}.source").set_value("text").run()
    at.text_area(key=f"{W}.text").set_value(TEXT).run()
    assert any("2 sequences, 300 steps" in c.value for c in at.caption)
    at.radio(key="analyze.section").set_value("finder").run()
    at.text_input(key=f"{W}.finder.regex").set_value(r"\[").run()
    assert not at.exception, at.exception
    ranked = frames(at)[1]
    assert ranked["r"].notna().all() and ranked["r_heldout"].isna().all()  # nothing held out
    assert set(shown(at, 1)["r_heldout"]) == {MISSING}
    assert shown(at, 1)["r"].tolist() == [f"{r:.3f}" for r in ranked["r"]]
    best = shown(at, 0).set_index("feature")
    assert best.loc["regex", "r_heldout"] == MISSING
    assert "None" not in best.to_string()
    assert "No r held out (–): the pattern matches nothing in the held-out half." in captions(at)

    # Matches only in the held-out half: no unit is ranked, and the page says it is the first
    # half that has no match (not "no token of this corpus").
    at.text_input(key=f"{W}.finder.regex").set_value(r"\(\(").run()
    assert not at.exception, at.exception
    assert "regex" not in frames(at)[0]["feature"].tolist()
    text = captions(at)
    assert "No unit is ranked for these, though they vary on the held-out half" in text
    assert "the pattern matches nothing in the first half (where units are ranked)" in text
    assert "your regular expression (it marks no token" not in text
