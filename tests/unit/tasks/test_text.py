"""Text streams: rows that continue across batches, the 90/10 split and its vocabulary, the
built-in corpora, user text."""

from __future__ import annotations

import pytest
import torch

from lstm_viz.tasks import make_task, text

from ._common import USER_TEXT, build

# ---- text streams -----------------------------------------------------------------------------


def test_a_stream_row_continues_in_the_next_batch():
    task = build("text-user")  # seq_len 40
    stream = task.stream("train")
    for shuffle in (False, True):
        generator = torch.Generator().manual_seed(3)
        batches = list(task.batches("train", 4, shuffle=shuffle, generator=generator))
        assert len(batches) > 3 and all(len(b.inputs) == 4 for b in batches)
        for k in range(len(batches) - 1):
            now, then = batches[k], batches[k + 1]
            assert now.targets[:, -1].equal(then.inputs[:, 0])  # row b goes on in row b
            assert now.inputs[:, 1:].equal(now.targets[:, :-1])  # targets are ids[t + 1]
        rows = torch.cat([b.inputs for b in batches], dim=1)  # [4, L]
        found = [_find(stream, row) for row in rows]
        assert all(start >= 0 for start in found)
        steps = rows.shape[1]
        assert all(found[r + 1] - found[r] == steps for r in range(3))  # side by side, in order
        assert found[0] < task.seq_len and (found[0] > 0) == shuffle  # a random start offset
        assert len(stream) - (found[-1] + steps) <= 4  # the stream is read (nearly) to its end


def _find(stream: torch.Tensor, row: torch.Tensor) -> int:
    for start in range(len(stream) - len(row) + 1):
        if stream[start : start + len(row)].equal(row):
            return start
    return -1


def test_text_splits_at_ninety_percent_and_builds_its_vocab_from_training():
    tail = "Zebras quietly zigzag across the Zambezi. " * 2  # "Z" only in the last 10%
    task = make_task("text-user", text=USER_TEXT + "\n" + tail)
    whole = torch.cat([task.stream("train"), task.stream("validation")])
    assert whole.equal(torch.tensor(task.vocab.encode(USER_TEXT + "\n" + tail)))
    assert len(task.stream("train")) == int(len(whole) * 0.9)
    assert "Z" not in task.vocab.tokens and "Z" not in task.vocab.decode(whole.tolist())
    assert 1 in task.stream("validation") and 1 not in task.stream("train")


def test_text_vocab_keeps_the_most_frequent_characters():
    rare = "".join(chr(c) for c in range(0x100, 0x100 + 150))  # 150 characters seen once
    task = make_task("text-user", text=rare + USER_TEXT, max_vocab=100)
    assert len(task.vocab) == 100 and task.num_outputs == 100
    assert all(ch in task.vocab.tokens for ch in "the quick brown fox")


def test_a_short_validation_stream_uses_fewer_longer_rows():
    task = build("text-user")  # validation: about 400 characters, seq_len 40
    batch = next(task.batches("validation", 32))
    assert len(batch.inputs) == (len(task.stream("validation")) - 1) // task.seq_len
    assert batch.inputs.shape[1] == task.seq_len


def test_the_builtin_corpora_are_clean_and_capped():
    english = text.english_corpus()
    assert len(english) > 200_000 and "\t" not in english and "\r" not in english
    assert "\n\n\n" not in english
    lines = english.split("\n")
    assert not any(line != line.rstrip() for line in lines)
    decoration = [line for line in lines if line.strip() and not line.strip(" *=-~^+|")]
    assert not decoration, decoration[:3]  # rst underlines and table borders are gone
    code = text.python_corpus(50_000)
    assert 10_000 < len(code) <= 50_000 and "def " in code and "import " in code
    assert text.python_corpus(50_000) is code  # read once


@pytest.mark.parametrize(
    "data, message",
    [
        ("", "text is empty"),
        (" \n\t\n", "text is empty"),
        ("A short text.", "too short.*at least 500"),
        ("x" * (text.MAX_TEXT_CHARS + 1), "too long.*2,000,000"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 100, "binary.*NUL"),
        ("abc\x00def" * 100, "binary.*NUL"),
        (b"caf\xe9 au lait " * 100, "not UTF-8.*position 3"),
        ("Some text\x01\x02\x1b[0m. " * 100, "binary.*control characters"),
        (12345, "text must be"),
        (None, "no text was given"),
    ],
)
def test_bad_user_text_gets_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message):
        make_task("text-user", text=data)


def test_user_text_may_be_utf8_bytes():
    task = make_task("text-user", text=("\ufeff" + USER_TEXT).encode("utf-8"))
    assert task.sample() == USER_TEXT.split("\n")[0]
    assert task.params["text"] == USER_TEXT
