"""Quoted speech generated from prose (issue 20): deterministic, balanced, words unchanged."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from lstm_viz.tasks import dialogue, make_task, text

PARAGRAPH = (
    "The parser reads one line at a time. It keeps the open brackets on a stack. When a "
    "bracket closes, the parser pops it. Is the stack empty at the end? Then the line is "
    'complete, and "ok" is printed.'
)


def _words(s: str) -> list[str]:
    return re.sub(r"[\"',.?!]", " ", s).split()


TAG = re.compile(
    r"(?:(?P<who>{}) (?P<verb>{})|(?P<verb2>{}) (?P<who2>{}))".format(
        "|".join(w for s in dialogue.SPEAKERS for w in (s, s.capitalize())),
        "|".join((*dialogue.VERBS, "asked")),
        "|".join((*dialogue.VERBS, "asked")),
        "|".join(dialogue.SPEAKERS),
    )
)


def test_runs_of_whole_sentences_become_quoted_speech_and_the_words_stay():
    forms, counts = set(), set()
    for seed in range(60):
        out = dialogue.quote_paragraph(PARAGRAPH, random.Random(seed))
        assert out.count('"') % 2 == 0 and '""' not in out  # balanced, never empty
        if "'ok'" in out:  # the literal went inside a quotation: single quotes
            assert '"ok"' not in out
        tags = list(TAG.finditer(out))
        assert 1 <= len(tags) <= dialogue.MAX_QUOTATIONS
        counts.add(len(tags))
        # The words: the paragraph's own, in order, once the tags are taken out.
        assert _words(TAG.sub(" ", out)) == _words(PARAGRAPH)
        for m in re.finditer(r'"([^"]*)"', out):
            sentences = dialogue.sentences(m.group(1))
            assert 1 <= len(sentences) <= dialogue.MAX_QUOTED or "ok" in m.group(1)
        forms |= {
            "before"
            for _ in re.finditer(r'(said|explained|added|replied|wrote|noted|asked), "', out)
        }
        forms |= {"between" for _ in re.finditer(r'\. "', out)}
        forms |= {"after" for _ in re.finditer(r'[,?]" ', out)}
    assert forms == {"before", "after", "between"} and len(counts) >= 2


def test_a_literal_inside_a_quotation_is_single_quoted_so_quotes_never_nest():
    outs = {
        dialogue.quote_paragraph('Use "x" here. Then use "y" there.', random.Random(s))
        for s in range(20)
    }
    assert any("'x'" in o for o in outs) and any("'y'" in o for o in outs)
    for out in outs:
        assert out.count('"') == 2 or out.count('"') == 4 and "'" in out  # one quotation
    assert dialogue.quote_paragraph("no sentence here", random.Random(0)) == "no sentence here"


def test_add_dialogue_is_deterministic_and_takes_about_its_share():
    paragraphs = [PARAGRAPH] * 200
    once = dialogue.add_dialogue(paragraphs, 0.3, seed=5)
    assert once == dialogue.add_dialogue(paragraphs, 0.3, seed=5)
    changed = sum(p != " ".join(PARAGRAPH.split()) for p in once)
    assert 40 <= changed <= 80
    assert dialogue.add_dialogue(paragraphs, 0.0) == paragraphs
    with pytest.raises(ValueError, match="between 0 and 1"):
        dialogue.add_dialogue(paragraphs, 1.5)


def test_pack_keeps_whole_paragraphs_under_the_limit():
    texts = dialogue.pack(["a" * 400, "b" * 400, "c" * 400, "d" * 1200], 1000)
    assert texts == ["a" * 400 + "\n\n" + "b" * 400, "c" * 400, "d" * 1200]


def test_english_task_dialogue_is_a_parameter_and_needs_a_wrap():
    plain = make_task("text-english", seq_len=50, wrap=text.WRAP_WIDTH)
    spoken = make_task("text-english", seq_len=50, wrap=text.WRAP_WIDTH, dialogue=0.5)
    assert "dialogue" not in plain.params and spoken.params["dialogue"] == 0.5
    assert len(spoken.stream("train")) > len(plain.stream("train"))
    with pytest.raises(ValueError, match=r"quoted speech \(dialogue\) needs a line width"):
        make_task("text-english", dialogue=0.5)


def test_the_held_out_probe_texts_are_quoted_speech_in_whole_paragraphs():
    texts = text.docstring_dialogue(text.WRAP_WIDTH, 1000)
    assert all(len(t) <= 1000 for t in texts[:200])
    assert sum(t.count('"') % 2 for t in texts) <= 0.01 * len(texts)  # quotes close in each text
    assert sum(bool(re.search(r'[,.?]" (said|asked|wrote)', t)) for t in texts[:100]) > 20
    story = (Path(dialogue.__file__).parents[1] / "pretrained" / "story.txt").read_text()
    assert 5000 <= len(story) <= 7000 and story.count('"') % 2 == 0
    assert max(len(line) for line in story.split("\n")) <= text.WRAP_WIDTH


def test_the_dialogue_share_is_range_checked():
    with pytest.raises(ValueError, match="dialogue"):
        make_task("text-english", wrap=text.WRAP_WIDTH, dialogue=2.0)
