"""Hard-wrapped English (issue 20): the training text re-filled at a fixed width, and the new
prose the shipped English model's Karpathy units are measured on."""

from __future__ import annotations

from lstm_viz.tasks import make_task, text


def test_rewrap_fills_prose_paragraphs_and_keeps_code_and_lists():
    prose = "One two three four five six seven eight nine ten eleven twelve thirteen."
    source = "\n\n".join(
        [prose, "   def f():\n       return 1", "* an item\n* another item", "“Quoted,” he said."]
    )
    out = text.rewrap(source, 20).split("\n\n")
    assert out[0] == "One two three four\nfive six seven eight\nnine ten eleven\ntwelve thirteen."
    assert all(len(line) <= 20 for line in out[0].split("\n"))
    assert out[1] == "   def f():\n       return 1"  # code: as written
    assert out[2] == "* an item\n* another item"  # a bulleted list: as written
    assert out[3] == '"Quoted," he said.'  # curly quotes written straight


def test_english_task_wrap_is_a_parameter_that_round_trips():
    plain = make_task("text-english", seq_len=50)
    wrapped = make_task("text-english", seq_len=50, wrap=text.WRAP_WIDTH)
    assert "wrap" not in plain.params and wrapped.params["wrap"] == text.WRAP_WIDTH
    stream = wrapped.vocab.decode(wrapped.stream("train")[:50_000].tolist())
    assert "“" not in stream and "”" not in stream
    prose = [line for line in "".join(stream).split("\n") if line and not line[0].isspace()]
    assert max(len(line) for line in prose) <= text.WRAP_WIDTH or "<unk>" in "".join(stream)


def test_docstring_prose_is_new_wrapped_prose_with_quotations():
    held_out = text.docstring_prose(text.WRAP_WIDTH)
    assert len(held_out) > 100_000 and held_out.count('"') > 500 and ">>>" not in held_out
    lines = held_out.split("\n")
    assert max(len(line) for line in lines) <= text.WRAP_WIDTH or all(
        " " not in line for line in lines if len(line) > text.WRAP_WIDTH
    )  # only a single word longer than the width may pass it
    assert "``" not in held_out
    paragraphs = held_out.split("\n\n")
    assert sum(p.count('"') % 2 for p in paragraphs) <= 0.01 * len(paragraphs)  # quotes close
    # Not the training text: no held-out paragraph's opening appears in pydoc's topics.
    training = " ".join(text.english_corpus().split())
    openings = [" ".join(p.split())[:80] for p in paragraphs if len(p) > 200]
    assert not any(o in training for o in openings)
