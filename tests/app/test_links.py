"""Shareable links: parsing is forgiving (a link from outside never breaks a page) and round-trips
with query_string."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.links import parse, query_string


def test_parse_converts_and_drops():
    link = parse(
        {
            "page": "learn",
            "model": "shipped/english-char-lstm",
            "text": "The cat sat.",
            "layer": "1",
            "unit": ["3", "7"],  # a repeated parameter: the last one counts
            "step": "-2",  # negative: dropped
            "direction": "x",  # not a number: dropped
            "hide": "1",
            "present": "no",
            "view": "tour-cat",
            "evil": "<script>",  # unknown: dropped
        }
    )
    assert link == {
        "page": "learn",
        "model": "shipped/english-char-lstm",
        "text": "The cat sat.",
        "view": "tour-cat",
        "layer": 1,
        "unit": 7,
        "hide": True,
        "present": False,
    }
    assert parse({"page": "nowhere"}) == {}
    assert parse({"text": "x" * 5000})["text"] == "x" * 2000
    assert parse({"hide": []}) == {}


@pytest.mark.parametrize("flag", ["1", "true", "YES", "on"])
def test_flags(flag):
    assert parse({"hide": flag, "present": flag}) == {"hide": True, "present": True}


def test_query_string_round_trips():
    written = query_string(
        page="learn", view="tour-agreement", step=2, hide=True, present=False, text="a b&c"
    )
    assert written == "?page=learn&text=a+b%26c&view=tour-agreement&step=2&hide=1"
    params = parse_qs(urlsplit(written).query)
    assert parse(params) == {
        "page": "learn",
        "view": "tour-agreement",
        "step": 2,
        "hide": True,
        "text": "a b&c",
    }
    assert "present" not in written
    with pytest.raises(ValueError, match="not a link parameter"):
        query_string(colour="red")


def test_dropped_names_what_parse_drops_or_cuts():
    from app.links import MAX_TEXT, dropped

    params = {
        "page": "nosuchpage",
        "unit": "999",  # a number: its range is the model's (Explore says so)
        "layer": ["1", "x"],  # the last one counts
        "step": "-3",
        "text": "y" * 6000,
        "evil": "<script>",  # other apps' parameters: not listed
    }
    assert dropped(params) == [
        ("page", "nosuchpage"),
        ("layer", "x"),
        ("step", "-3"),
        ("text", "y" * 6000),
    ]
    assert dropped({"page": "learn", "step": "2", "text": "y" * MAX_TEXT}) == []
