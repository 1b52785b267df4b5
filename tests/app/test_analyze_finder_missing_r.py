"""AppTest: the unit finder says why an r is missing (a feature constant on one half of the
corpus) and shows the missing value as a dash, never as Python's "None"."""

from __future__ import annotations

import json
import re

from app.components.analyze.common import MISSING
from tests.app.test_analyze_page import W, frames, open_analyze, save_dyck

# Read in sequences of 200 tokens: the first (ranked on) has "[", the second (held out) "((".
TEXT = "([])" * 50 + "(())" * 25


def column_types(at, index: int) -> dict[str, str]:
    """The table's column types as the browser gets them (st.column_config)."""
    config = json.loads(at.dataframe[index].proto.columns)
    return {name: column.get("type_config", {}).get("type") for name, column in config.items()}


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
    best, ranked = frames(at)
    # A missing number reaches the browser as a dash: a number column would draw "None".
    assert set(ranked["r_heldout"]) == {MISSING} and ranked["r"].notna().all()
    assert column_types(at, 1)["r_heldout"] == "text" and column_types(at, 1)["r"] == "number"
    regex_row = best[best["feature"] == "regex"].iloc[0]
    assert regex_row["r_heldout"] == MISSING
    others = best[best["feature"] != "regex"]["r_heldout"]
    assert all(v == MISSING or re.fullmatch(r"-?\d\.\d{3}", v) for v in others)
    assert "None" not in best.astype(str).to_string()
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
