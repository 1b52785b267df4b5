"""The dates task: every form, valid dates only, any letter case, deterministic, split by date."""

from __future__ import annotations

import datetime
import random
import re

import pytest

from lstm_viz.tasks.dates import (
    FORMS,
    MONTHS,
    SOURCE_ALPHABET,
    date_examples,
    is_validation_date,
    ordinal,
    write_date,
)

PATTERNS = [  # FORMS, as regular expressions over what a person writes
    r"\d{1,2} [A-Za-z]{3,9} \d{4}",
    r"\d{1,2}(st|nd|rd|th) [oO][fF] [A-Za-z]{3,9} \d{4}",
    r"[A-Za-z]{3,9} \d{1,2}, \d{4}",
    r"[A-Za-z]{3} \d{1,2} \d{4}",
    r"\d{1,2} [A-Za-z]{3} \d{4}",
    r"\d{2}\.\d{2}\.\d{4}",
    r"\d{4}-\d{2}-\d{2}",
]


def test_every_form_is_written_as_people_write_it_and_maps_to_its_iso_date():
    examples = date_examples("train", 700, seed=3)
    for source, target, form, (begin, end) in examples:
        assert re.fullmatch(PATTERNS[form], source), (form, source)
        assert set(source) <= set(SOURCE_ALPHABET)
        date = datetime.date.fromisoformat(target)  # a valid date
        assert 1900 <= date.year <= 2099
        if form < 5:
            name = source[begin:end].lower()
            assert name in (MONTHS[date.month - 1].lower(), MONTHS[date.month - 1][:3].lower())
            assert str(date.day) in source and str(date.year) in source
    forms = {f for _, _, f, _ in examples}
    assert forms == set(range(len(FORMS)))
    cases = {s[b:e] for s, _, f, (b, e) in examples if f < 5}
    assert any(c.isupper() for c in cases) and any(c.islower() for c in cases)


def test_the_examples_in_the_issue():
    rng = random.Random(0)
    march = datetime.date(2021, 3, 3)
    assert write_date(march, 5, rng)[0] == "03.03.2021"
    assert write_date(march, 6, rng)[0] == "2021-03-03"
    text, (begin, end) = write_date(march, 2, random.Random(1))
    assert text.lower() in ("march 3, 2021", "mar 3, 2021") and text[begin:end].lower() in (
        "march",
        "mar",
    )
    assert [ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st",
    ]  # fmt: skip


def test_deterministic_and_split_by_date():
    assert date_examples("train", 50, seed=1) == date_examples("train", 50, seed=1)
    assert date_examples("train", 50, seed=1) != date_examples("train", 50, seed=2)
    train = {t for _, t, _, _ in date_examples("train", 3000, seed=0)}
    held = {t for _, t, _, _ in date_examples("validation", 300, seed=0)}
    assert not train & held
    assert all(is_validation_date(t) for t in held)
    assert not any(is_validation_date(t) for t in train)
    with pytest.raises(ValueError, match="split"):
        date_examples("test", 5)
