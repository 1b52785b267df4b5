"""Units measured on a held-out text instead of the task's validation data (issue 20): the
recipe names the text (Recipe.probe_text), and the card states each feature's best unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_viz.models.checkpoints import load_checkpoint, save_checkpoint
from lstm_viz.pretrained import cards
from lstm_viz.pretrained.cards import UnitClaim, probe_text_of, read_units, unit_table
from lstm_viz.pretrained.recipes import PROBE_CHUNK, PROBE_STEPS
from tests.lesson_models import char_model

FEATURES = ["inside_quotes", "position_in_line"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model, vocab = char_model()
    info = {
        "task": {"name": "text-english", "title": "English prose", "params": {}},
        "recipe": {"name": "tiny", "probe_text": "docstrings"},
    }
    path = save_checkpoint(tmp_path_factory.mktemp("m") / "tiny", model, vocab, info)
    return load_checkpoint(path)


def test_units_are_measured_on_the_text_the_recipe_names(tiny, monkeypatch):
    """(docstring_prose itself: tests/unit/tasks/test_text_wrap.py.)"""
    text = 'The "cat" sat\non the "mat" of a cat.\n' * 40  # 1,560 characters: 2 sequences
    monkeypatch.setitem(cards.PROBE_TEXTS, "docstrings", ("a test text", lambda: text))
    assert probe_text_of(tiny) == "docstrings"
    table = unit_table(tiny, FEATURES)  # read PROBE_CHUNK characters at a time
    assert set(table["feature"]) == set(FEATURES)
    first = table.iloc[0]
    assert first["n"] + first["n_heldout"] == len(text) < PROBE_STEPS
    assert len(table) == 2 * 2 * 2 * 8  # features x quantities x layers x units
    with pytest.raises(ValueError, match="unknown probe text 'novels'"):
        unit_table(tiny, FEATURES, probe_text="novels")


def test_read_units_reads_the_best_unit_of_each_feature(tmp_path):
    units = [
        UnitClaim(1, 0, "cell", 51, "inside_quotes", 0.83, 10_000),
        UnitClaim(0, 0, "hidden", 35, "position_in_line", -0.9, 10_000),
    ]
    line = "- Best unit for each feature: " + "; ".join(u.sentence() for u in units) + ".\n"
    (tmp_path / "README.md").write_text("# m\n\n" + line + "- Gate saturation: none.\n")
    assert read_units(tmp_path) == units
    (tmp_path / "README.md").write_text("# m\n")
    assert read_units(tmp_path) == []


def test_a_probe_of_several_texts_reads_each_from_a_fresh_state(tiny, monkeypatch):
    """docstring-dialogue and story are lists of whole paragraphs, so each sequence starts
    outside any quotation and at a line's start."""
    texts = ['"A cat," said Ada.\n\n"Sat."', 'The "mat" was red.\nIt was.']
    monkeypatch.setitem(cards.PROBE_TEXTS, "docstrings", ("two texts", lambda: texts))
    table = unit_table(tiny, FEATURES)
    first = table.iloc[0]
    assert first["n"] + first["n_heldout"] == sum(len(t) for t in texts)
    story = cards.PROBE_TEXTS["story"][1]()
    assert all(len(t) <= PROBE_CHUNK for t in story) and all(t.count('"') % 2 == 0 for t in story)
    assert sum(len(t) + 2 for t in story) - 2 == len(
        (Path(cards.__file__).parent / "story.txt").read_text().strip()
    )


def test_the_two_stories_probe_is_both_stories_as_its_description_says():
    """ "stories": story.txt then story2.txt, whole paragraphs, every text starting outside a
    quotation; the description's counts (12,386 characters, 90 quotations) are the files'."""
    folder = Path(cards.__file__).parent
    files = [(folder / n).read_text().strip() for n in ("story.txt", "story2.txt")]
    texts = cards.PROBE_TEXTS["stories"][1]()
    assert all(len(t) <= PROBE_CHUNK for t in texts) and all(t.count('"') % 2 == 0 for t in texts)
    assert "\n\n".join(texts) == "\n\n".join(files)
    description = cards.PROBE_TEXTS["stories"][0]
    assert f"{sum(len(f) + 1 for f in files):,} characters" in description
    assert f"{sum(f.count(chr(34)) for f in files) // 2} quotations" in description


def test_a_feature_constant_on_the_probe_text_is_left_out_not_a_crash():
    """Bracket depth on prose without brackets: no unit has a held-out r (the build of a
    recipe listing it crashed writing the card)."""
    import pandas as pd

    row = dict(layer=1, direction=0, quantity="cell", unit=3, n_heldout=100)
    table = pd.DataFrame(
        [
            {**row, "feature": "inside_quotes", "r_heldout": 0.7},
            {**row, "feature": "bracket_depth", "r_heldout": float("nan")},
        ]
    )
    claims = cards.best_units(table, ["bracket_depth", "inside_quotes"])
    assert [c.feature for c in claims] == ["inside_quotes"] and claims[0].r == 0.7
    with pytest.raises(ValueError, match="constant on the text"):
        cards.find_unit(table[table["feature"] == "bracket_depth"])
