"""First-visit hints: one short line per heatmap saying what it shows and what to look for on
this model, from its card's measured finding and from the recording itself (issue 16).

    hints = heatmap_hints(trace, layer, direction, claim)   # {quantity: markdown line}
    line = outline_hint(unit)                                # what the red outline is

Nothing here states a fact that is not computed: the card's claim is measured on held-out
validation data (lstm_viz.pretrained.cards), the forget-gate line on the trace shown. No
streamlit here.
"""

from __future__ import annotations

import numpy as np

from lstm_viz.quantities import BOUNDARY, BOUNDARY_MARKS, QUANTITY_SYMBOLS, label
from lstm_viz.trace import Trace

WHAT = {  # what each heatmap shows, in a few words
    "forget_gate": "how much of its memory each unit keeps at each step (dark: wiped, bright: "
    "kept)",
    "input_gate": "how much of the candidate each unit writes into its memory",
    "output_gate": "how much of its memory each unit shows as h",
    "candidate": "what each unit would write (-1 to 1)",
    "cell": "each unit's memory c (red positive, blue negative)",
    "hidden": "what each unit shows the next layer and the prediction (-1 to 1)",
    "reset_gate": "how much of h_{t-1} each unit uses for its new content",
    "update_gate": "how much of its old state each unit keeps (bright: keeps)",
    "new_gate": "the new content each unit proposes (-1 to 1)",
    "pre_activation": "what goes into each unit's tanh before squashing",
}


def feature_words(feature: str) -> str:
    from lstm_viz.analysis import FEATURE_LABELS

    return FEATURE_LABELS.get(feature, feature.replace("_", " "))


def window_words(unit: int, width: int, window: int | None) -> str:
    """Where ``unit`` is when a heatmap shows ``window`` of ``width`` units at a time (by index):
    " (in units 64-127: pick them under **Units shown**)"; "" when every unit is shown."""
    if not window or width <= window:
        return ""
    start = unit // window * window
    return f" (in units {start}-{min(start + window, width) - 1}: pick them under **Units shown**)"


def claim_line(
    claim, quantity: str, layer: int, direction: int, width: int = 0, window: int | None = None
) -> str:
    """The card's measured unit, when it lives in this heatmap (same quantity, layer,
    direction); "" otherwise. ``claim``: lstm_viz.pretrained.cards.UnitClaim or None; ``width``,
    ``window``: as window_words."""
    if claim is None or (claim.quantity, claim.layer, claim.direction) != (
        quantity,
        layer,
        direction,
    ):
        return ""
    return (
        f" On this model, find unit **{claim.unit}**{window_words(claim.unit, width, window)}: "
        "it tracks "
        f"{feature_words(claim.feature)} (r = {claim.r:+.2f} on {claim.steps:,} held-out "
        "validation steps, from its card)."
    )


def boundary_line(trace: Trace, layer: int, direction: int, window: int | None = None) -> str:
    """On a character model's forget gate: the unit that drops most at spaces and punctuation
    in this recording, with its two averages; "" when the input has no such steps, or when no
    unit's forget gate is lower there than inside words (then none "drops"). ``window``: the
    units a heatmap shows at a time (window_words says where the unit is)."""
    if trace.tokens is None or "forget_gate" not in trace.names:
        return ""
    tokens = list(trace.tokens[0])[: int(trace.lengths[0])]
    if any(len(t) > 1 for t in tokens):  # a word model: no character boundaries
        return ""
    ends = [t for t, tok in enumerate(tokens) if tok in BOUNDARY]
    letters = [t for t, tok in enumerate(tokens) if tok.isalpha()]
    if not ends or not letters:
        return ""
    forget = trace["forget_gate"][layer, direction, 0].numpy()  # [T, U]
    weights = np.zeros(len(forget), dtype=forget.dtype)  # the two means' difference, in one
    weights[letters] = 1 / len(letters)  # product: no copy of the [T, U] rows (5,000 x 1,024:
    weights[ends] = -1 / len(ends)  # 40 MB in float64)
    unit = int(np.argmax(weights[: len(tokens)] @ forget[: len(tokens)]))
    inside = forget[letters, unit].astype(np.float64).mean()
    at_ends = forget[ends, unit].astype(np.float64).mean()
    if inside - at_ends <= 0:  # no unit's forget gate is lower at word ends: claim nothing
        return ""
    return (
        f" On this input, unit **{unit}**{window_words(unit, forget.shape[1], window)} drops "
        "most at spaces and punctuation: "
        f"{at_ends:.2f} there, the mean over its {len(ends)} spaces and punctuation marks "
        f"({BOUNDARY_MARKS}) together, against {inside:.2f} over its {len(letters)} letters."
    )


def heatmap_hints(
    trace: Trace, layer: int, direction: int = 0, claim=None, window: int | None = None
) -> dict[str, str]:
    """{quantity: one markdown line}: what the heatmap shows, and what to look for on this model
    (the card's measured unit where it lives; on the forget gate of a character model, the
    unit this input shows resetting at word ends). ``window``: the heatmaps show this many units
    at a time, by index (the lines then say which to pick); None: every unit, or another order."""
    hints = {}
    for name in trace.names:
        symbol = QUANTITY_SYMBOLS.get(name, name)
        what = WHAT.get(name, label(name).lower())
        line = f"**{symbol}**: {what}."
        line += claim_line(claim, name, layer, direction, trace[name].shape[-1], window)
        if name == "forget_gate":
            line += boundary_line(trace, layer, direction, window)
        hints[name] = line
    return hints


def outline_hint(unit: int | None, shown: bool = True) -> str:
    """What the red outline in every heatmap is."""
    if unit is None:
        return ""
    where = "" if shown else " (not among the rows shown now)"
    return (
        f"The red outline is unit **{unit}**{where}: the unit every view of this page follows "
        "(the Unit box above; the Unit view plots it step by step)."
    )


__all__ = ["WHAT", "heatmap_hints", "outline_hint"]
