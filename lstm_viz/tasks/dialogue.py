"""Quoted speech made from prose: Karpathy et al.'s War-and-Peace situation, generated.

The prose Python ships quotes almost nothing but short code literals, so a model trained on it
has no reason to remember, sentences later, that a quotation is still open. ``add_dialogue``
turns a share of the prose paragraphs into quoted speech: one or more whole sentences of the
paragraph go inside straight double quotes, with a speech tag before, after or between them:

    "S1 S2," said the teacher. "S3"        The manual says, "S1 S2"        "S1?" asked Ada.

The words of the paragraph are unchanged apart from the quotes, the tag and a final period that
becomes a comma before a trailing tag. A literal quoted inside the speech ("x") is quoted with
single quotes instead ('x'), as a quotation within a quotation, so double quotes never nest.
Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re

SPEAKERS = ("the teacher", "Ada", "the manual", "Guido", "the student", "the reviewer", "Grace")
VERBS = ("said", "explained", "added", "replied", "wrote", "noted")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])")  # "e.g. Foo" stays one sentence
_PROSE = re.compile(r"[A-Z\"]")
MAX_QUOTED = 3  # sentences in one quotation at most
MAX_QUOTATIONS = 4  # quotations in one paragraph at most
AGAIN = 0.8  # the chance of one more quotation in a paragraph that can hold one


def sentences(paragraph: str) -> list[str]:
    """The paragraph's sentences (split after . ! ? that follow a lower-case letter, a digit or
    a bracket and come before a space and a capital); whitespace collapsed to single spaces."""
    return _SENTENCE_END.split(" ".join(paragraph.split()))


def quote_paragraph(paragraph: str, rng: random.Random) -> str:
    """One paragraph with a run of its sentences (1 to MAX_QUOTED) turned into quoted speech, and
    with chance AGAIN another, up to MAX_QUOTATIONS; the paragraph unchanged (whitespace
    collapsed) when no run of sentences can be quoted.

    A run can be quoted when each of its sentences ends with . ! or ?, starts with a capital
    letter or a double quote and is at least 12 characters long; the double quotes of a literal
    inside a quotation become single ones ("Use 'x' here," said Ada.), so quotes never nest.
    The verb is "asked" when the quotation's last sentence is a question."""
    parts = sentences(paragraph)
    ok = [s[-1:] in ".!?" and bool(_PROSE.match(s)) and len(s) >= 12 for s in parts]
    for _ in range(MAX_QUOTATIONS):
        runs = _runs(ok)
        if not runs:
            break
        first, length = rng.choice(runs)
        k = rng.randint(1, min(MAX_QUOTED, length))
        i = first + rng.randint(0, length - k)
        parts[i : i + k] = [_speech(parts[i : i + k], rng)]
        ok[i : i + k] = [False]
        if rng.random() >= AGAIN:
            break
    return " ".join(parts)


def _runs(ok: list[bool]) -> list[tuple[int, int]]:
    """(start, length) of every maximal run of True in ``ok``."""
    runs, start = [], None
    for i, good in enumerate([*ok, False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def _speech(sentences: list[str], rng: random.Random) -> str:
    """Whole sentences as one quotation with a speech tag before, after or between them."""
    quoted = [s.replace('"', "'") for s in sentences]  # a quotation within: '...'
    k = len(quoted)
    speaker = rng.choice(SPEAKERS)
    verb = "asked" if quoted[-1].endswith("?") else rng.choice(VERBS)
    form = rng.choice(("after", "before", "between") if k >= 2 else ("after", "before"))
    if form == "before":
        return f'{speaker[0].upper()}{speaker[1:]} {verb}, "{" ".join(quoted)}"'
    cut = rng.randint(1, k - 1) if form == "between" else k
    head, tail = quoted[:cut], quoted[cut:]
    said = f"{verb} {speaker}" if rng.random() < 0.5 else f"{speaker} {verb}"
    speech = f'"{" ".join(head[:-1] + [_comma(head[-1])])}" {said}.'
    if tail:
        speech += f' "{" ".join(tail)}"'
    return speech


def _comma(sentence: str) -> str:
    """A sentence's final period -> comma (before a trailing tag); ? and ! stay."""
    return sentence[:-1] + "," if sentence.endswith(".") else sentence


def add_dialogue(paragraphs: list[str], share: float, seed: int = 0) -> list[str]:
    """``paragraphs`` with about ``share`` (0 to 1) of them turned into quoted speech by
    ``quote_paragraph``, chosen by a ``random.Random(seed)``; the others unchanged.
    ValueError when share is outside 0 to 1."""
    if not 0 <= share <= 1:
        raise ValueError(f"the dialogue share must be between 0 and 1, not {share}")
    rng = random.Random(seed)
    return [quote_paragraph(p, rng) if rng.random() < share else p for p in paragraphs]


def pack(paragraphs: list[str], limit: int) -> list[str]:
    """Consecutive paragraphs joined by blank lines into texts of at most ``limit`` characters
    (a paragraph longer than ``limit`` is a text on its own), so that a reader that starts each
    text from a fresh state starts it at a paragraph's start, outside any quotation."""
    texts: list[str] = []
    for paragraph in paragraphs:
        if texts and len(texts[-1]) + 2 + len(paragraph) <= limit:
            texts[-1] += "\n\n" + paragraph
        else:
            texts.append(paragraph)
    return texts
