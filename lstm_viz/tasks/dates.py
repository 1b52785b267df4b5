"""The ``dates`` task: dates written by people, rewritten as ISO dates (character level).

    examples = date_examples("train", 1000, seed=0)     # [(source, "2021-03-03", form), ...]

Forms (``FORMS``), for any date from 1900-01-01 to 2099-12-31; month names full or 3-letter,
in any letter case (as written, lower, upper, or mixed character by character):

    3 March 2021 | 3rd of March 2021 | March 3, 2021 | Mar 3 2021 | 3 mar 2021 |
    03.03.2021 (day.month.year) | 2021-03-03

The split is by date: a date whose CRC-32 is divisible by ``VALIDATION_EVERY`` is a validation
date and never appears in training, in any form. Everything is drawn from ``random.Random(seed)``:
the same arguments give the same examples on every machine.
"""

from __future__ import annotations

import datetime
import random
import re
import zlib
from functools import cache

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
FORMS = (
    "d Month yyyy",
    "dth of Month yyyy",
    "Month d, yyyy",
    "Mon d yyyy",
    "d mon yyyy",
    "dd.mm.yyyy",
    "yyyy-mm-dd",
)
WORD_FORMS = frozenset(range(5))  # the forms that name the month in words
SOURCE_ALPHABET = " ,-.0123456789" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TARGET_ALPHABET = "0123456789-"
VALIDATION_EVERY = 20  # 1 date in 20 is held out
FIRST, LAST = datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)


@cache
def _dates(split: str) -> tuple[datetime.date, ...]:
    if split not in ("train", "validation"):
        raise ValueError(f"split must be 'train' or 'validation', got {split!r}")
    days = (LAST - FIRST).days + 1
    every = (FIRST + datetime.timedelta(d) for d in range(days))
    held = split == "validation"
    return tuple(
        d for d in every if (zlib.crc32(d.isoformat().encode()) % VALIDATION_EVERY == 0) == held
    )


def is_validation_date(iso: str) -> bool:
    """True when the ISO date ``iso`` is held out of training."""
    return zlib.crc32(iso.encode()) % VALIDATION_EVERY == 0


def ordinal(day: int) -> str:
    """3 -> "3rd", 11 -> "11th", 22 -> "22nd"."""
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def _case(text: str, rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 1:
        return text.lower()
    if style == 2:
        return text.upper()
    if style == 3:
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)
    return text


def write_date(date: datetime.date, form: int, rng: random.Random) -> tuple[str, tuple[int, int]]:
    """``date`` written in FORMS[form]: (text, (start, end) of the month's name, or (0, 0))."""
    if form >= 5:
        text = f"{date.day:02d}.{date.month:02d}.{date.year}" if form == 5 else date.isoformat()
        return text, (0, 0)
    full = MONTHS[date.month - 1]
    name = full[:3] if form == 3 else full[:3].lower() if form == 4 else full
    if form in (0, 1, 2) and rng.random() < 0.5:
        name = full[:3]
    name = _case(name, rng)
    if form in (0, 4):
        head = f"{date.day} "
        text = f"{head}{name} {date.year}"
    elif form == 1:
        head = f"{ordinal(date.day)} of "
        text = f"{head}{name} {date.year}"
    elif form == 2:
        head = ""
        text = f"{name} {date.day}, {date.year}"
    else:
        head = ""
        text = f"{name} {date.day} {date.year}"
    if rng.random() < 0.25 and form in (1,):  # "of" in any letter case too
        text = text.replace(" of ", f" {_case('of', rng)} ")
    return text, (len(head), len(head) + len(name))


def date_examples(
    split: str, count: int, seed: int = 0, forms: tuple[int, ...] = tuple(range(len(FORMS)))
) -> list[tuple[str, str, int, tuple[int, int]]]:
    """``count`` examples (source, ISO target, form index, month-name span) of ``split``'s dates,
    forms taken in turn, dates drawn with ``random.Random(seed)``. ValueError for a bad split or
    count."""
    if not 0 < count <= 10_000_000:
        raise ValueError(f"count must be in 1..10,000,000, got {count}")
    pool = _dates(split)
    rng = random.Random(f"{split}-{seed}")
    out = []
    for k in range(count):
        date = pool[rng.randrange(len(pool))]
        form = forms[k % len(forms)]
        text, span = write_date(date, form, rng)
        out.append((text, date.isoformat(), form, span))
    return out


def source_tokens() -> tuple[str, ...]:
    return ("<pad>", "<unk>", *SOURCE_ALPHABET)


def target_tokens() -> tuple[str, ...]:
    return ("<pad>", "<s>", "</s>", *TARGET_ALPHABET)


_MONTH_NAME = re.compile(
    "|".join(sorted({m.lower() for m in MONTHS} | {m[:3].lower() for m in MONTHS}, key=len)[::-1]),
    re.IGNORECASE,
)


def month_span(text: str) -> tuple[int, int] | None:
    """(start, end) of the first month name (full or 3-letter, any case) in ``text``, or None."""
    found = _MONTH_NAME.search(text)
    return found.span() if found else None
