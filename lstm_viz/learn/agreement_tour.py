"""The agreement tour: "The cat, which was hungry, sat on the mat." on the shipped word LSTM,
its stops measured on its own recording (and, for the last, the ablation experiment of
lstm_viz.analysis.agreement). Split from lstm_viz.learn.tours (the cat tour and the shared stop
helpers)."""

from __future__ import annotations

import numpy as np

from lstm_viz.learn.tours import (
    Stop,
    _last_word,
    _pick,
    change_at,
    quantity_grid,
    token_labels,
)
from lstm_viz.trace import Trace

AGREEMENT_MODEL = "shipped/agreement-word-lstm"
AGREEMENT_TEXT = "The cat, which was hungry, sat on the mat."
AGREEMENT_PLURAL = "The cats, which were hungry, sat on the mat."


def agreement_tour(
    trace: Trace,
    plural: Trace | None = None,
    r: np.ndarray | None = None,
    subject: str = "cat",
    verb: str = "sat",
    ablation=None,
) -> list[Stop]:
    """The stops of "The cat, which was hungry, sat on the mat." on a word LSTM.

    trace: its recording of AGREEMENT_TEXT; plural: of AGREEMENT_PLURAL (same length); r:
    [layer, direction, unit] correlations with the subject's number over validation sentences
    (lstm_viz.learn.lessons.unit_correlations), or None to pick by the two sentences alone;
    ablation: an analysis.agreement.AgreementResult of the same model, which adds a last stop
    (ablation_stop), or None.
    """
    tokens = [t.lower() for t in token_labels(trace)]
    top = trace.num_layers - 1
    noun = _last_word(tokens, subject)[:1] or (min(1, len(tokens) - 1),)
    verb_at = _last_word(tokens, verb)[:1]
    clause = tuple(range(noun[0] + 1, verb_at[0])) if verb_at else ()
    stops = [
        Stop(
            "A sentence, word by word",
            f"This model reads **{len(tokens)} words and punctuation marks** and was trained "
            "to predict the next word. To predict a verb's form (*was* or *were*, *is* or "
            "*are*) it must know the subject's number, even when other words come between: "
            f"here *{subject}* and its verb *{verb}* are {len(clause)} words apart. Below: the "
            f"hidden state of layer {top}, one row per unit.",
            top,
            None,
            "hidden",
        )
    ]
    moved = change_at(trace, "cell", noun, 0)
    unit = _pick(moved)
    cell = quantity_grid(trace, "cell", 0)[:, unit]
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
            np.abs(quantity_grid(trace, "cell", lay) - quantity_grid(plural, "cell", lay))[
                list(clause)
            ].mean(0)
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
            f"cell, '{AGREEMENT_TEXT.split(',')[0].lower()}…' (singular)": quantity_grid(
                trace, "cell", layer, direction
            )[:, unit].tolist(),
            f"cell, '{AGREEMENT_PLURAL.split(',')[0].lower()}…' (plural)": quantity_grid(
                plural, "cell", layer, direction
            )[:, unit].tolist(),
        }
    carry = ""
    if plural is not None and clause:
        one = quantity_grid(trace, "cell", layer, direction)[list(clause), unit].mean()
        many = quantity_grid(plural, "cell", layer, direction)[list(clause), unit].mean()
        carry = (
            f" Across *which was hungry* its cell averages **{one:+.2f}** after *cat* and "
            f"**{many:+.2f}** after *cats*"
            + (
                ": opposite signs, so the number is carried over the clause."
                if one * many < 0
                else f": the same sign, {abs(one - many):.2f} apart, so on this pair the "
                "number is not clearly carried."
            )
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
        forget = quantity_grid(trace, "forget_gate", layer, direction)[list(clause), unit]
        stops.append(
            Stop(
                "Holding on through the clause",
                f"While it reads *which was hungry*, the forget gate of unit **{unit}** stays at "
                f"**{forget.mean():.2f}** on average (lowest {forget.min():.2f}): "
                + (
                    "it keeps most of its memory at every step, so what it held after the "
                    f"subject is still **{np.prod(forget):.0%}** there after the clause. The "
                    if forget.mean() >= 0.9
                    else f"after the clause only **{np.prod(forget):.0%}** of what it held "
                    "after the subject is left from the subject itself. The "
                )
                + "clause's steps are outlined.",
                layer,
                unit,
                "forget_gate",
                clause,
                direction=direction,
            )
        )
    if verb_at:
        cell = quantity_grid(trace, "cell", layer, direction)[:, unit]
        at = verb_at[0]
        stops.append(
            Stop(
                f'The verb: "{verb}"',
                f"At **{verb}** the main verb arrives: unit **{unit}**'s cell goes from "
                f"{cell[at - 1]:+.2f} to {cell[at]:+.2f}. (*{verb}* reads the same for one cat "
                "or many; *was*/*were* in the clause, or a present-tense verb, is where the "
                "number decides the word.) The model was never told about agreement: "
                "predicting the next word is all it was trained on.",
                layer,
                unit,
                "cell",
                verb_at,
                direction=direction,
            )
        )
    if ablation is not None:
        number = next(s for s in stops if s.title == "The unit that remembers the number")
        from .ablation_stop import ablation_stop

        stops.append(ablation_stop(ablation, (number.layer, number.unit)))
    return stops
