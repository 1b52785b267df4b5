"""Texts a shipped model's units are measured on instead of its task's validation data
(Recipe.probe_text): new prose it was never trained on, named in its card."""

from __future__ import annotations

from pathlib import Path

from lstm_viz.models.checkpoints import Checkpoint
from lstm_viz.pretrained.recipes import PROBE_CHUNK


def _docstrings() -> str:
    from lstm_viz.tasks.text import WRAP_WIDTH, docstring_prose

    return docstring_prose(WRAP_WIDTH)


def _docstring_dialogue() -> list[str]:
    from lstm_viz.tasks.text import WRAP_WIDTH, docstring_dialogue

    return docstring_dialogue(WRAP_WIDTH, PROBE_CHUNK)


def _paragraph_texts(*names: str) -> list[str]:
    """The paragraphs of these files beside this module, in order, packed into texts of whole
    paragraphs (dialogue.pack), each to be read from a fresh state."""
    from lstm_viz.tasks.dialogue import pack

    paragraphs = []
    for name in names:
        text = (Path(__file__).parent / name).read_text(encoding="utf-8")
        paragraphs += text.strip().split("\n\n")
    return pack(paragraphs, PROBE_CHUNK)


def _story() -> list[str]:
    return _paragraph_texts("story.txt")


def _stories() -> list[str]:
    return _paragraph_texts("story.txt", "story2.txt")


# Texts a recipe may probe its model on instead of its task's validation data (Recipe.probe_text):
# name -> (what the card says it is, the text, or texts each read from a fresh state).
PROBE_TEXTS = {
    "docstrings": (
        "new prose, never trained on: the prose paragraphs of the standard library's docstrings "
        "(`lstm_viz.tasks.text.docstring_prose`), their quoted literals written in double quotes "
        "as pydoc's topics write them, re-filled at 70 columns",
        _docstrings,
    ),
    "docstring-dialogue": (
        "new prose with quotations, never trained on: the prose paragraphs of the standard "
        "library's docstrings, every one that can be turned into quoted speech by "
        "`lstm_viz.tasks.dialogue` (seed 1), re-filled at 70 columns and packed into texts of "
        "whole paragraphs (`lstm_viz.tasks.text.docstring_dialogue`)",
        _docstring_dialogue,
    ),
    "story": (
        "a short story written by hand for this test, with dialogue, never trained on "
        "(`lstm_viz/pretrained/story.txt`, 5,779 characters, filled at 70 columns; read in "
        "texts of whole paragraphs)",
        _story,
    ),
    "stories": (
        "two short stories written by hand for this test, with dialogue, never trained on "
        "(`lstm_viz/pretrained/story.txt` then `story2.txt`: 12,386 characters, 90 quotations, "
        "filled at 70 columns; read in texts of whole paragraphs; the first half is the first "
        "story and the opening of the second)",
        _stories,
    ),
}


def probe_text_of(checkpoint: Checkpoint) -> str:
    """The name of the text a built model's units are measured on ("" for its task's validation
    data), from the recipe saved in its config.json."""
    recipe = checkpoint.info.get("recipe") or {}
    return str(recipe.get("probe_text") or "")
