"""text-english read several times an epoch, its quotations made anew each time (readings)."""

from __future__ import annotations

import pytest

from lstm_viz.tasks.text import english_corpus, english_task, rewrap


def test_each_reading_quotes_the_same_prose_anew_and_validation_is_never_read():
    task = english_task(wrap=70, dialogue=1.0, readings=2)
    corpus = english_corpus()
    start = corpus.rfind("\n\n", 0, int(len(corpus) * 0.9))
    first, second = (rewrap(corpus[:start], 70, 1.0, seed) for seed in (0, 1))
    validation = rewrap(corpus[start + 2 :], 70, 1.0)
    assert task.stream("train").tolist() == task.vocab.encode(first + "\n\n" + second + "\n\n")
    assert task.stream("validation").tolist() == task.vocab.encode(validation)
    assert first != second  # other quotations...
    assert first.split('"')[0] != second.split('"')[0] or first.count('"') != second.count('"')
    words = lambda text: text.replace('"', "").split()  # noqa: E731
    assert len(words(first)) > 0.95 * len(words(second))  # ...of the same prose
    assert validation[:200] not in first and validation[:200] not in second
    assert task.params["readings"] == 2


def test_one_reading_is_the_text_as_before():
    plain = english_task(wrap=70, dialogue=1.0)
    assert "readings" not in plain.params
    assert len(plain.stream("validation")) == len(rewrap(english_corpus(), 70, 1.0)) - int(
        len(rewrap(english_corpus(), 70, 1.0)) * 0.9
    )


def test_readings_need_quoted_speech():
    with pytest.raises(ValueError, match="readings need quoted speech"):
        english_task(wrap=70, readings=2)
