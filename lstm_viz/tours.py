"""Guided tours: a sentence read by a real model, a few stops that each point at a real unit at
real steps, with a sentence and a small figure from the recording.

The units are not hard-coded: each stop picks its unit from the trace it is given (the unit whose
forget gate drops most at spaces, whose cell moves most at "mat", that tracks the subject's
number best, ...), so a tour tells the truth about whichever model it runs on.

    stops = cat_tour(trace)                            # a character model on CAT_TEXT
    stops = agreement_tour(trace, plural, r)           # a word model on AGREEMENT_TEXT
    figure = stop_figure(trace, stops[1])              # a small heatmap or a line chart

No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from .plots import display_token, heatmap, label, plotly_safe
from .trace import Trace

CAT_MODEL = "shipped/english-char-lstm"
CAT_TEXT = "The cat sat on the mat."
AGREEMENT_MODEL = "shipped/agreement-word-lstm"
AGREEMENT_TEXT = "The cat, which was hungry, sat on the mat."
AGREEMENT_PLURAL = "The cats, which were hungry, sat on the mat."
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


def _grid(trace: Trace, quantity: str, layer: int, direction: int = 0) -> np.ndarray:
    """[time, unit] float64 of batch element 0."""
    return trace[quantity][layer, direction, 0].double().numpy()


def _tokens(trace: Trace) -> list[str]:
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
    grid = _grid(trace, quantity, layer, direction)
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


def _pick(scores: np.ndarray) -> int:
    return int(np.nanargmax(scores))


def cat_tour(trace: Trace) -> list[Stop]:
    """The stops of "The cat sat on the mat." on a character LSTM (``trace``: its recording)."""
    tokens = _tokens(trace)
    top = trace.num_layers - 1
    spaces = tuple(t for t, tok in enumerate(tokens) if tok == " ")
    letters = [t for t, tok in enumerate(tokens) if tok.isalpha()]
    stops = [
        Stop(
            "One character at a time",
            f"The model reads **{len(tokens)} characters**, one per step, left to right. Each "
            f"column below is one step, each row one of the {trace.hidden.shape[-1]} units of "
            f"layer {top}: its hidden state h, the only thing the layer shows the next layer "
            "(or the prediction of the next character).",
            top,
            None,
            "hidden",
        )
    ]
    if spaces and letters:
        forget = _grid(trace, "forget_gate", 0)
        drop = forget[letters].mean(axis=0) - forget[list(spaces)].mean(axis=0)
        unit = _pick(drop)
        stops.append(
            Stop(
                "Words end: some memory is let go",
                f"Unit **{unit}** of layer 0 has the forget gate that drops most at the spaces: "
                f"on average **{forget[list(spaces), unit].mean():.2f}** at a space against "
                f"**{forget[letters, unit].mean():.2f}** inside a word. A forget gate near 0 "
                "wipes the cell; near 1 it keeps it. The spaces are outlined.",
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
            _grid(trace, "input_gate", top) * _grid(trace, "candidate", top)
        )  # [time, unit]
        score = written[list(mat)].mean(axis=0) - written[others].mean(axis=0)
        unit = _pick(score)
        cell = _grid(trace, "cell", top)[:, unit]
        before = cell[min(mat) - 1] if min(mat) > 0 else 0.0
        at_mat, elsewhere = written[list(mat), unit].mean(), written[others, unit].mean()
        stops.append(
            Stop(
                'Something is written at "mat"',
                f"Reading **mat**, unit **{unit}** (layer {top}) writes into its cell more than "
                f"anywhere else in the sentence: |i·g| averages **{at_mat:.2f}** over those "
                f"steps against **{elsewhere:.2f}** elsewhere, and "
                f"its cell goes from {before:+.2f} to {cell[max(mat)]:+.2f}.{drift_note(cell)} "
                "The line shows its cell, input gate and forget gate over the whole sentence.",
                top,
                unit,
                "cell",
                mat,
                figure="line",
                quantities=("cell", "input_gate", "forget_gate"),
            )
        )
    forget_top = _grid(trace, "forget_gate", top)
    unit = _pick(forget_top.mean(axis=0))
    kept = forget_top[:, unit]
    stops.append(
        Stop(
            "A long memory",
            f"Unit **{unit}** of layer {top} keeps the most: its forget gate averages "
            f"**{kept.mean():.2f}** over the sentence (at least {kept.min():.2f}). Each step its "
            f"cell keeps that share of what it held, so after the {len(tokens)} steps about "
            f"**{np.prod(kept):.0%}** of what it held at the start is still there: a unit "
            "like this can carry information across a sentence.",
            top,
            unit,
            "cell",
            figure="line",
            quantities=("cell", "forget_gate"),
        )
    )
    stop_steps = tuple(t for t, tok in enumerate(tokens) if tok == ".")
    if stop_steps:
        moved = change_at(trace, "hidden", stop_steps[-1:], top)
        unit = _pick(moved)
        hidden = _grid(trace, "hidden", top)[:, unit]
        at = stop_steps[-1]
        stops.append(
            Stop(
                "The full stop",
                f"At the final **.**, unit **{unit}** (layer {top}) changes its output the most: "
                f"h goes from {hidden[at - 1] if at else 0.0:+.2f} to {hidden[at]:+.2f}. After a "
                "full stop the model expects a new sentence: a space, then a capital letter.",
                top,
                unit,
                "hidden",
                (at,),
            )
        )
    return stops


def agreement_tour(
    trace: Trace,
    plural: Trace | None = None,
    r: np.ndarray | None = None,
    subject: str = "cat",
    verb: str = "sat",
) -> list[Stop]:
    """The stops of "The cat, which was hungry, sat on the mat." on a word LSTM.

    trace: its recording of AGREEMENT_TEXT; plural: of AGREEMENT_PLURAL (same length); r:
    [layer, direction, unit] correlations with the subject's number over validation sentences
    (lstm_viz.lessons.unit_correlations), or None to pick by the two sentences alone.
    """
    tokens = [t.lower() for t in _tokens(trace)]
    top = trace.num_layers - 1
    noun = _last_word(tokens, subject)[:1] or (min(1, len(tokens) - 1),)
    verb_at = _last_word(tokens, verb)[:1]
    clause = tuple(range(noun[0] + 1, verb_at[0])) if verb_at else ()
    stops = [
        Stop(
            "A sentence, word by word",
            f"This model reads **{len(tokens)} words and punctuation marks** and was trained to "
            "say whether the main verb agrees with its subject. Here the subject *cat* and its "
            f"verb *{verb}* are {len(clause)} words apart: the model must carry *singular* "
            "across the clause in between. Below: the hidden state of layer "
            f"{top}, one row per unit.",
            top,
            None,
            "hidden",
        )
    ]
    moved = change_at(trace, "cell", noun, 0)
    unit = _pick(moved)
    cell = _grid(trace, "cell", 0)[:, unit]
    stops.append(
        Stop(
            f'The subject: "{subject}"',
            f"Reading **{subject}**, the cell of unit **{unit}** (layer 0) moves the most: from "
            f"{cell[noun[0] - 1] if noun[0] else 0.0:+.2f} to {cell[noun[0]]:+.2f}. The noun is "
            "where the number of the subject is first seen.",
            0,
            unit,
            "cell",
            noun,
        )
    )
    # The unit that carries the number: best correlated over validation data, else the one
    # whose cell differs most between the singular and the plural sentence across the clause.
    if r is not None:
        layer, direction, unit = (int(i) for i in np.unravel_index(np.argmax(np.abs(r)), r.shape))
        how = (
            f"Of all units, its cell correlates best with the subject's number over the "
            f"validation sentences: **r = {r[layer, direction, unit]:+.2f}**."
        )
    elif plural is not None and clause:
        gaps = [
            np.abs(_grid(trace, "cell", lay) - _grid(plural, "cell", lay))[list(clause)].mean(0)
            for lay in range(trace.num_layers)
        ]
        layer = int(np.argmax([g.max() for g in gaps]))
        unit, direction = _pick(gaps[layer]), 0
        how = "Its cell differs most between the singular and the plural sentence in the clause."
    else:
        layer, direction, unit = top, 0, stops[-1].unit or 0
        how = ""
    compare = {}
    if plural is not None:
        compare = {
            f"cell, '{AGREEMENT_TEXT.split(',')[0].lower()}…' (singular)": _grid(
                trace, "cell", layer, direction
            )[:, unit].tolist(),
            f"cell, '{AGREEMENT_PLURAL.split(',')[0].lower()}…' (plural)": _grid(
                plural, "cell", layer, direction
            )[:, unit].tolist(),
        }
    carry = ""
    if plural is not None and clause:
        one = _grid(trace, "cell", layer, direction)[list(clause), unit].mean()
        many = _grid(plural, "cell", layer, direction)[list(clause), unit].mean()
        carry = (
            f" Across *which was hungry* its cell averages **{one:+.2f}** after *cat* and "
            f"**{many:+.2f}** after *cats*: the number is carried over the clause."
        )
    stops.append(
        Stop(
            "The unit that remembers the number",
            f"Unit **{unit}** of layer {layer}. {how}{carry}",
            layer,
            unit,
            "cell",
            clause,
            figure="line",
            direction=direction,
            quantities=() if compare else ("cell",),
            compare=compare,
        )
    )
    if clause:
        forget = _grid(trace, "forget_gate", layer, direction)[list(clause), unit]
        stops.append(
            Stop(
                "Holding on through the clause",
                f"While it reads *which was hungry*, the forget gate of unit **{unit}** stays at "
                f"**{forget.mean():.2f}** on average (lowest {forget.min():.2f}): it keeps most "
                "of its memory at every step, so the subject's number survives the detour. The "
                "clause's steps are outlined.",
                layer,
                unit,
                "forget_gate",
                clause,
                direction=direction,
            )
        )
    if verb_at:
        cell = _grid(trace, "cell", layer, direction)[:, unit]
        at = verb_at[0]
        stops.append(
            Stop(
                f'The verb: "{verb}"',
                f"At **{verb}** the model needs the number, and the subject is done with: unit "
                f"**{unit}**'s cell goes from {cell[at - 1]:+.2f} to {cell[at]:+.2f}. A verb "
                "that did not agree (*the cat were*) is what the model was trained to catch.",
                layer,
                unit,
                "cell",
                verb_at,
                direction=direction,
            )
        )
    return stops


# ---- Figures -----------------------------------------------------------------------------------


def stop_figure(trace: Trace, stop: Stop, height: int = 300) -> go.Figure:
    """The figure of one stop: a heatmap of a few units around the stop's unit (the unit's row
    and the stop's steps outlined), or a line chart of the unit across the input."""
    if stop.figure == "line":
        return unit_lines(trace, stop, height=height)
    units = trace[stop.quantity].shape[-1]
    start = 0
    if stop.unit is not None:
        start = min(max(0, stop.unit - WINDOW_UNITS // 2), max(0, units - WINDOW_UNITS))
    figure = heatmap(
        trace,
        stop.quantity,
        layer=stop.layer,
        direction=stop.direction,
        max_units=WINDOW_UNITS if stop.unit is not None else 64,
        unit_start=start,
        height=height,
    )
    if stop.unit is not None:
        figure.add_shape(
            type="rect",
            x0=-0.5,
            x1=trace.num_steps - 0.5,
            y0=stop.unit - 0.5,
            y1=stop.unit + 0.5,
            line=dict(color="#e7298a", width=2),
        )
    for step in stop.steps:
        figure.add_shape(
            type="rect",
            x0=step - 0.5,
            x1=step + 0.5,
            y0=(stop.unit if stop.unit is not None else start) - 0.5,
            y1=(stop.unit if stop.unit is not None else min(units, start + 64) - 1) + 0.5,
            line=dict(color="#ff7f00", width=3),
        )
    figure.update_layout(meta={**figure.layout.meta, "unit": stop.unit, "steps": list(stop.steps)})
    return figure


def unit_lines(trace: Trace, stop: Stop, height: int = 300) -> go.Figure:
    """One unit's quantities (or the stop's comparison lines) across the input's tokens."""
    tokens = _tokens(trace)
    x = [plotly_safe(f"{display_token(t)} · {i}") for i, t in enumerate(tokens)]
    figure = go.Figure()
    series: dict[str, list[float]] = dict(stop.compare)
    for name in stop.quantities:
        series[label(name).split(" (")[0]] = _grid(trace, name, stop.layer, stop.direction)[
            :, stop.unit
        ].tolist()
    # A cell state far outside [-1, 1] next to gates gets its own axis (right), so the gates
    # stay readable.
    cell_name = label("cell").split(" (")[0]
    own_axis = (
        len(series) > 1
        and cell_name in series
        and float(np.nanmax(np.abs(series[cell_name]))) > 1.5
    )
    for k, (name, values) in enumerate(series.items()):
        right = own_axis and name == cell_name
        figure.add_trace(
            go.Scatter(
                x=x[: len(values)],
                y=values,
                yaxis="y2" if right else "y",
                name=name + (" (right axis)" if right else ""),
                mode="lines+markers",
                line=dict(color=LINE_COLOURS[k % len(LINE_COLOURS)], width=2),
                hovertemplate="%{x}<br>%{y:.3f}<extra>" + name + "</extra>",
            )
        )
    for step in stop.steps:
        figure.add_vrect(
            x0=step - 0.5, x1=step + 0.5, fillcolor="#ff7f00", opacity=0.15, line_width=0
        )
    figure.update_layout(
        title=dict(text=f"Unit {stop.unit}, layer {stop.layer}", x=0, xanchor="left"),
        height=height,
        margin=dict(l=50, r=10, t=50, b=40),
        legend=dict(orientation="h", y=-0.25),
        meta={"unit": stop.unit, "layer": stop.layer, "series": list(series)},
    )
    figure.update_xaxes(
        type="category",
        tickmode="array",
        tickvals=x,
        ticktext=[plotly_safe(display_token(t)) for t in tokens],
        tickangle=0,
    )
    figure.update_yaxes(zeroline=True, zerolinecolor="#999")
    if own_axis:
        figure.update_layout(
            yaxis2=dict(overlaying="y", side="right", showgrid=False, title_text="cell c")
        )
    return figure


__all__ = [
    "AGREEMENT_MODEL",
    "AGREEMENT_PLURAL",
    "AGREEMENT_TEXT",
    "CAT_MODEL",
    "CAT_TEXT",
    "Stop",
    "agreement_tour",
    "cat_tour",
    "change_at",
    "stop_figure",
    "unit_lines",
]
