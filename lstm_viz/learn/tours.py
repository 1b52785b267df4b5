"""Guided tours: a sentence read by a real model, a few stops that each point at a real unit at
real steps, with a sentence and a small figure from the recording.

The units are not hard-coded: each stop picks its unit from the trace it is given (the unit whose
forget gate drops most at spaces, whose cell moves most at "mat", that tracks the subject's
number best, ...), so a tour tells the truth about whichever model it runs on.

    stops = cat_tour(trace)                            # a character model on CAT_TEXT
    stops = agreement_tour(trace, plural, r)           # lstm_viz.learn.agreement_tour
    figure = stop_figure(trace, stops[1])              # a small heatmap or a line chart

No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lstm_viz.figures.heatmap import DEFAULT_MAX_UNITS
from lstm_viz.trace import Trace

CAT_MODEL = "shipped/english-char-lstm"
CAT_TEXT = "The cat sat on the mat."
WINDOW_UNITS = 12  # a stop's heatmap shows this many units around the one it points at
LINE_COLOURS = ("#b2182b", "#2166ac", "#4d9221", "#762a83")


@dataclass(frozen=True)
class Stop:
    """One stop of a tour: what to look at and what to say about it.

    figure: "heatmap" (``quantity`` of units around ``unit``, ``steps`` outlined) or "line"
    (``unit``'s ``quantities`` across the input; ``compare``: the same unit on other inputs,
    label -> values, drawn as extra lines).
    """

    title: str
    text: str  # markdown, with the measured numbers in it
    layer: int
    unit: int | None
    quantity: str
    steps: tuple[int, ...] = ()
    figure: str = "heatmap"
    direction: int = 0
    quantities: tuple[str, ...] = ()
    compare: dict[str, list[float]] = field(default_factory=dict)


def quantity_grid(trace: Trace, quantity: str, layer: int, direction: int = 0) -> np.ndarray:
    """[time, unit] float64 of batch element 0."""
    return trace[quantity][layer, direction, 0].double().numpy()


def token_labels(trace: Trace) -> list[str]:
    steps = int(trace.lengths[0])
    if trace.tokens is None:
        return [str(t) for t in range(steps)]
    return list(trace.tokens[0])[:steps]


def _last_word(tokens: list[str], word: str) -> tuple[int, ...]:
    """The steps of the last occurrence of ``word``: one word token, or its characters."""
    lowered = [t.lower() for t in tokens]
    if word in lowered:
        at = len(lowered) - 1 - lowered[::-1].index(word)
        return (at,)
    text = "".join(lowered)
    at = text.rfind(word)
    if at < 0 or len(text) != len(tokens):
        return ()
    return tuple(range(at, at + len(word)))


def change_at(trace: Trace, quantity: str, steps, layer: int, direction: int = 0) -> np.ndarray:
    """[unit]: how far ``quantity`` moves over ``steps`` (|value after the last - value before
    the first|; the value before step 0 counts as 0)."""
    grid = quantity_grid(trace, quantity, layer, direction)
    first, last = min(steps), max(steps)
    before = grid[first - 1] if first > 0 else np.zeros(grid.shape[1])
    return np.abs(grid[last] - before)


def drift_note(values: np.ndarray) -> str:
    """A sentence when ``values`` (one unit's cell over the steps) climbs or falls steadily
    (|r| with the step number >= 0.95): such a unit may be counting steps. "" otherwise."""
    if len(values) < 5 or np.std(values) == 0:
        return ""
    r = float(np.corrcoef(values, np.arange(len(values)))[0, 1])
    if abs(r) < 0.95:
        return ""
    way = "climbs" if r > 0 else "falls"
    return (
        f" Its cell also {way} steadily through the whole sentence (r = {r:+.2f} with the step "
        "number): it may be counting how far into the text it is."
    )


def words_of(tokens: list[str]) -> list[tuple[int, int]]:
    """(start, stop) steps of each word: a word token, or a run of letters in a character
    model's tokens."""
    spans, start = [], None
    for t, token in enumerate([*tokens, " "]):
        letters = token.isalpha()
        if letters and len(token) > 1:  # a word token is a word of its own
            if start is not None:
                spans.append((start, t))
            spans.append((t, t + 1))
            start = None
        elif letters and start is None:
            start = t
        elif not letters and start is not None:
            spans.append((start, t))
            start = None
    return spans


SIMILAR_WRITE = 0.8  # another word with at least this share of the write counts as "as much"


def same_writes(tokens: list[str], written: np.ndarray, cell: np.ndarray, target) -> str:
    """Whether one unit's write at ``target`` (steps of one word) is specific to that word:
    names the other words where it writes at least SIMILAR_WRITE as much (mean |i·g| over the
    word) with its cell after each, or the largest write over another word when none comes
    close. ``written`` and ``cell``: [time] of that unit."""
    span = (min(target), max(target) + 1)
    at_target = float(written[span[0] : span[1]].mean())
    others = [
        ("".join(tokens[a:b]), float(written[a:b].mean()), b - 1)
        for a, b in words_of(tokens)
        if (a, b) != span
    ]
    if not others or at_target <= 0:
        return ""
    close = [o for o in others if o[1] >= SIMILAR_WRITE * at_target]
    if not close:
        name, value, _ = max(others, key=lambda o: o[1])
        return (
            f"No other word gets as much: the most it writes over another word is "
            f"**{value:.2f}** (*{name}*)."
        )
    parts = [
        f"*{name}* ({value:.2f}, its cell {cell[end]:+.2f} after it)" for name, value, end in close
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"But it writes about as much over {listed}: the write follows letters these words "
        "share, so it is not specific to a mat."
    )


LOW_WRITE = 0.2  # mean |i·g| below this: a unit that mostly holds what it has


def long_memory_stop(trace: Trace, layer: int, steps: int) -> Stop:
    """The unit of ``layer`` that keeps the largest share of its cell (the product of its
    forget gates) among those that write little (mean |i·g| < LOW_WRITE), so its cell holds a
    value; the text gives the share kept, the write, the cell's range, and the unit that keeps
    most of all when that one drifts instead. Without a quiet unit it says none holds still."""
    forget = quantity_grid(trace, "forget_gate", layer)  # [time, unit]
    written = np.abs(
        quantity_grid(trace, "input_gate", layer) * quantity_grid(trace, "candidate", layer)
    ).mean(axis=0)  # [unit]
    kept_all = np.exp(np.log(np.clip(forget, 1e-12, 1.0)).sum(axis=0))  # [unit]
    quiet = written < LOW_WRITE
    holds = bool(quiet.any())
    unit = _pick(np.where(quiet, kept_all, -1.0)) if holds else _pick(kept_all)
    kept = forget[:, unit]
    cell = quantity_grid(trace, "cell", layer)[:, unit]
    if holds:
        text = (
            f"Unit **{unit}** of layer {layer} keeps the most of what it holds while writing "
            f"little: its forget gate averages **{kept.mean():.2f}** over the sentence (at "
            f"least {kept.min():.2f}), so after the {steps} steps about **{kept_all[unit]:.0%}** "
            f"of what it held at the start is still there; it writes little (|i·g| averages "
            f"**{written[unit]:.2f}**), so its cell stays between **{cell.min():+.2f}** and "
            f"**{cell.max():+.2f}**: a unit like this can carry information across a sentence."
        )
    else:
        text = (
            f"Unit **{unit}** of layer {layer} has the forget gates that keep the most (average "
            f"**{kept.mean():.2f}**, about **{kept_all[unit]:.0%}** kept over the {steps} "
            f"steps), but it also writes at most steps (|i·g| averages **{written[unit]:.2f}**), "
            f"so its cell goes from {cell[0]:+.2f} to {cell[-1]:+.2f}: no unit of this layer "
            "holds a value still over this sentence."
        )
    most = _pick(kept_all)
    if holds and most != unit:
        other = quantity_grid(trace, "cell", layer)[:, most]
        text += (
            f" A high forget gate alone is not a memory: unit **{most}** keeps even more "
            f"({kept_all[most]:.0%}) but writes at most steps (|i·g| averages "
            f"{written[most]:.2f}), so its cell goes from {other[0]:+.2f} to {other[-1]:+.2f}."
        )
    return Stop(
        "A long memory",
        text + " The lines show its cell (top) and its forget gate (below).",
        layer,
        unit,
        "cell",
        figure="line",
        quantities=("cell", "forget_gate"),
    )


def _pick(scores: np.ndarray) -> int:
    return int(np.nanargmax(scores))


def cat_tour(trace: Trace) -> list[Stop]:
    """The stops of "The cat sat on the mat." on a character LSTM (``trace``: its recording)."""
    tokens = token_labels(trace)
    top = trace.num_layers - 1
    spaces = tuple(t for t, tok in enumerate(tokens) if tok == " ")
    letters = [t for t, tok in enumerate(tokens) if tok.isalpha()]
    stops = [
        Stop(
            "One character at a time",
            f"The model reads **{len(tokens)} characters**, one per step, left to right. Each "
            f"column below is one step, each row one unit of layer {top}"
            + (
                f" (it has {trace.hidden.shape[-1]}; the heatmap shows {DEFAULT_MAX_UNITS} at a "
                "time)"
                if trace.hidden.shape[-1] > DEFAULT_MAX_UNITS
                else f" (all {trace.hidden.shape[-1]})"
            )
            + ": its hidden state h, the only thing the layer shows the next layer "
            "(or the prediction of the next character).",
            top,
            None,
            "hidden",
        )
    ]
    if spaces and letters:
        forget = quantity_grid(trace, "forget_gate", 0)
        drop = forget[letters].mean(axis=0) - forget[list(spaces)].mean(axis=0)
        unit = _pick(drop)
        stops.append(
            Stop(
                "Words end: some memory is let go",
                f"Unit **{unit}** of layer 0 has the forget gate that drops most at the spaces: "
                f"**{forget[list(spaces), unit].mean():.2f}** on average over the sentence's "
                f"{len(spaces)} spaces (spaces only: Explore's hint also counts the full stop, "
                f"so its average differs) against **{forget[letters, unit].mean():.2f}** over "
                f"its {len(letters)} letters. A forget gate near 0 wipes the cell; near 1 it "
                "keeps it. The spaces are outlined.",
                0,
                unit,
                "forget_gate",
                spaces,
            )
        )
    mat = _last_word(tokens, "mat")
    others = [t for t in range(len(tokens)) if t not in mat]
    if mat and others:
        # What each unit writes (i * g, in [-1, 1]) at "mat", against the rest of the sentence:
        # a unit that writes specifically there, not one that writes (or drifts) everywhere.
        written = np.abs(
            quantity_grid(trace, "input_gate", top) * quantity_grid(trace, "candidate", top)
        )  # [time, unit]
        score = written[list(mat)].mean(axis=0) - written[others].mean(axis=0)
        unit = _pick(score)
        cell = quantity_grid(trace, "cell", top)[:, unit]
        before = cell[min(mat) - 1] if min(mat) > 0 else 0.0
        at_mat, elsewhere = written[list(mat), unit].mean(), written[others, unit].mean()
        stops.append(
            Stop(
                'What is written at "mat"',
                f"Reading **mat**, unit **{unit}** (layer {top}) writes into its cell more than "
                f"it does on average over the sentence: |i·g| averages **{at_mat:.2f}** over "
                f"those steps against **{elsewhere:.2f}** elsewhere, and its cell goes from "
                f"{before:+.2f} to {cell[max(mat)]:+.2f}. "
                + same_writes(tokens, written[:, unit], cell, mat)
                + drift_note(cell)
                + " The lines show its cell (top) and its input and forget gates (below).",
                top,
                unit,
                "cell",
                mat,
                figure="line",
                quantities=("cell", "input_gate", "forget_gate"),
            )
        )
    stops.append(long_memory_stop(trace, top, len(tokens)))
    stop_steps = tuple(t for t, tok in enumerate(tokens) if tok == ".")
    if stop_steps:
        moved = change_at(trace, "hidden", stop_steps[-1:], top)
        unit = _pick(moved)
        hidden = quantity_grid(trace, "hidden", top)[:, unit]
        at = stop_steps[-1]
        stops.append(
            Stop(
                "The full stop",
                f"At the final full stop, unit **{unit}** (layer {top}) changes its output the "
                "most: "
                f"h goes from {hidden[at - 1] if at else 0.0:+.2f} to {hidden[at]:+.2f}. In "
                "English a full stop is followed by a space and a new sentence; Explore's "
                "Predictions view shows what this model expects next.",
                top,
                unit,
                "hidden",
                (at,),
            )
        )
    return stops


__all__ = [
    "CAT_MODEL",
    "CAT_TEXT",
    "Stop",
    "cat_tour",
    "change_at",
]
