"""A guided tour of an encoder-decoder on "3rd of March 2021": which characters does each output
character attend to? Every number is measured from the model's own attention and attribution
(lstm_viz.analysis.seq2seq_attribution), so the tour tells the truth about the model it runs on.

    stops = dates_tour(attention_and_attribution(model, DATES_TEXT))

No streamlit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from lstm_viz.analysis.seq2seq_attribution import AttentionAttribution
from lstm_viz.tasks.dates import month_span

DATES_MODEL = "shipped/dates-attention-lstm"
DATES_TEXT = "3rd of March 2021"


@dataclass(frozen=True)
class AttentionStop:
    """One stop: a title, a Markdown text with measured numbers, which matrix to draw
    ("attention" or "attribution") and the generated step to outline (None: none)."""

    title: str
    text: str
    matrix: str = "attention"
    selected: int | None = None


def _share(row: np.ndarray, span: tuple[int, int]) -> float:
    return float(row[span[0] : span[1]].sum())


def _quote(chars: list[str], span: tuple[int, int]) -> str:
    return "“" + "".join(chars[span[0] : span[1]]) + "”"


def dates_tour(result: AttentionAttribution) -> list[AttentionStop]:
    """The stops for one input that names its month in words (ValueError otherwise)."""
    source, generated, attention = result.source, result.generated, result.attention
    text, output = "".join(source), "".join(t for t in generated if t != "</s>")
    month = month_span(text)
    if month is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", output):
        raise ValueError(f"the tour needs a date with the month in words, read as yyyy-mm-dd; "
                         f"the model wrote {output!r} for {text!r}")  # fmt: skip
    year = re.search(r"\d{4}", text)
    year_span = year.span() if year else (0, 0)
    stops = [
        AttentionStop(
            "Two networks, one output",
            f"The encoder reads the {len(source)} characters of “{text}”; the decoder writes "
            f"“{output}” one character at a time ({len(generated)} steps with the end token). "
            "Each row of the matrix is one generated character and shows where it looked in "
            "the input: its weights sum to 1.",
        )
    ]
    for step, which in ((5, "first"), (6, "second")):
        row = attention[step]
        top = int(row.argmax())
        inside = month[0] <= top < month[1]
        stops.append(
            AttentionStop(
                f"The {which} month digit",
                f"The {which} month digit “{generated[step]}” puts "
                f"**{_share(row, month):.0%}** of its attention on {_quote(source, month)}; its "
                f"largest weight ({row[top]:.0%}) is on “{source[top]}” (position {top}), "
                + (
                    "inside the month's name: the digits of this month are read from its name."
                    if inside
                    else "outside the month's name: here attention does not show the digit "
                    "read from the name."
                ),
                selected=step,
            )
        )
    year_rows = attention[0:4]
    # How many year digits look hardest at their own digit of the input (a diagonal).
    own = sum(int(r.argmax()) == year_span[0] + k for k, r in enumerate(year_rows))
    diagonal = (
        "each looks hardest at its own digit: a diagonal in the top rows."
        if own == 4 and year_span[1] > year_span[0]
        else f"{own} of the 4 look hardest at their own digit."
    )
    stops.append(
        AttentionStop(
            "The year is copied",
            "The four year digits put on average "
            f"**{np.mean([_share(r, year_span) for r in year_rows]):.0%}** of their attention "
            f"on {_quote(source, year_span)}: {diagonal}",
            selected=0,
        )
    )
    agree = result.agree
    stops.append(
        AttentionStop(
            "Attention is not the whole story",
            "Integrated gradients ask a different question: which input characters changed the "
            "output's probability? Attention and attribution put their largest weight on the "
            f"same character for **{int(agree.sum())} of {len(agree)}** generated tokens. "
            "Where they differ, attention shows where the decoder looked, not what it used "
            "(Jain and Wallace 2019).",
            matrix="attribution",
            selected=5,
        )
    )
    return stops
