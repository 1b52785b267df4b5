"""First-visit hints say what each heatmap shows and what to look for, computed (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lstm_viz import record
from lstm_viz.learn.hints import heatmap_hints, outline_hint
from lstm_viz.learn.tours import CAT_TEXT
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.pretrained.cards import read_card

PRETRAINED = Path(__file__).resolve().parents[3] / "pretrained"


def test_hints_on_the_default_model_come_from_its_card_and_its_recording():
    path = PRETRAINED / "english-char-lstm"
    checkpoint = load_checkpoint(path)
    tokens = checkpoint.vocab.tokenize(CAT_TEXT)
    _, trace = record(
        checkpoint.model, torch.tensor([checkpoint.vocab.encode(tokens)]), tokens=[tokens]
    )
    claim = read_card(path)[2]
    hints = heatmap_hints(trace, claim.layer, claim.direction, claim)
    assert set(hints) == set(trace.names)
    # The card's unit is named on its own heatmap only, with the card's r.
    assert f"unit **{claim.unit}**: it tracks" in hints[claim.quantity]
    assert f"r = {claim.r:+.2f}" in hints[claim.quantity]
    assert all("it tracks" not in line for name, line in hints.items() if name != claim.quantity)
    # The forget-gate line names the unit that drops most at word ends in this recording.
    forget = trace.forget_gate[claim.layer, 0, 0].double().numpy()
    ends = [t for t, c in enumerate(CAT_TEXT) if c in " ."]
    letters = [t for t, c in enumerate(CAT_TEXT) if c.isalpha()]
    unit = int(np.argmax(forget[letters].mean(0) - forget[ends].mean(0)))
    assert f"unit **{unit}** drops most" in hints["forget_gate"]
    assert f"{forget[ends, unit].mean():.2f} there" in hints["forget_gate"]
    # a mean over spaces and punctuation together (the tour's stop averages spaces only)
    assert (
        f"the mean over its {len(ends)} spaces and punctuation marks "
        "(spaces, line breaks and . , ; : only) together" in hints["forget_gate"]
    )
    other_layer = heatmap_hints(trace, 1 - claim.layer, 0, claim)
    assert "it tracks" not in other_layer[claim.quantity]
    assert "unit **7**" in outline_hint(7) and "not among the rows" in outline_hint(7, False)


def test_no_unit_is_said_to_drop_when_none_does():
    """Issue 16 audit: "drops most at spaces" only when some unit's forget gate is lower there."""
    import dataclasses

    tokens = list("ab cd")
    _, recorded = record(
        torch.nn.LSTM(2, 3, batch_first=True), torch.zeros(1, 5, 2), tokens=[tokens]
    )
    forget = torch.full((1, 1, 1, 5, 3), 0.5)
    forget[0, 0, 0, 2] = 0.9  # the space: every unit keeps more there, none drops
    values = {**recorded.values, "forget_gate": forget}
    trace = dataclasses.replace(recorded, values=values)
    assert "drops" not in heatmap_hints(trace, 0)["forget_gate"]
    forget[0, 0, 0, 2, 1] = 0.1
    assert "unit **1** drops most" in heatmap_hints(trace, 0)["forget_gate"]


def test_a_hint_says_which_window_of_units_holds_the_unit_it_names():
    """A fresh user: the forget-gate line named unit 68 while the heatmaps showed units 0-63."""
    from lstm_viz.learn.hints import window_words

    assert window_words(68, 128, 64) == " (in units 64-127: pick them under **Units shown**)"
    assert window_words(5, 100, 64) == " (in units 0-63: pick them under **Units shown**)"
    assert window_words(70, 100, 64) == " (in units 64-99: pick them under **Units shown**)"
    assert window_words(68, 64, 64) == "" and window_words(68, 128, None) == ""
    import dataclasses

    tokens = list("ab cd")
    _, recorded = record(
        torch.nn.LSTM(2, 3, batch_first=True), torch.zeros(1, 5, 2), tokens=[tokens]
    )
    forget = torch.full((1, 1, 1, 5, 3), 0.5)
    forget[0, 0, 0, 2, 2] = 0.1  # unit 2 drops at the space
    trace = dataclasses.replace(recorded, values={**recorded.values, "forget_gate": forget})
    line = heatmap_hints(trace, 0, window=2)["forget_gate"]
    assert "unit **2** (in units 2-2: pick them under **Units shown**) drops most" in line
    assert "unit **2** drops most" in heatmap_hints(trace, 0)["forget_gate"]  # all shown
