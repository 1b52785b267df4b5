"""The recorded quantities, for people: one dictionary of names, labels, symbols, ranges and order.

Figures, lessons, analyses and importers all read these, so a quantity is named, ordered and
bounded the same way everywhere. Names are the Trace's (see trace.RECORDED_NAMES): full words,
``forget_gate`` not ``f``; the letters are the equations' (Hochreiter & Schmidhuber 1997; Gers et
al. 2000 for the forget gate; Cho et al. 2014 for the GRU's reset, update and new gates).
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Sequence

# What each recorded quantity is, for people. One place: every page uses these.
QUANTITY_LABELS: dict[str, str] = {
    "forget_gate": "Forget gate f (keeps old memory, 0 to 1)",
    "input_gate": "Input gate i (lets the candidate in, 0 to 1)",
    "candidate": "Candidate g (what could be written, -1 to 1)",
    "output_gate": "Output gate o (exposes memory, 0 to 1)",
    "cell": "Cell state c (the memory)",
    "hidden": "Hidden state h (what the unit outputs)",
    "reset_gate": "Reset gate r (how much old state the proposal sees, 0 to 1)",
    "update_gate": "Update gate z (keeps the old state, 0 to 1)",
    "new_gate": "New gate n (the proposed state, -1 to 1)",
    "pre_activation": "Pre-activation (what enters the nonlinearity)",
}

# The letter each quantity goes by in the equations (hover text, colour bars).
QUANTITY_SYMBOLS: dict[str, str] = {
    "forget_gate": "f",
    "input_gate": "i",
    "candidate": "g",
    "output_gate": "o",
    "cell": "c",
    "hidden": "h",
    "reset_gate": "r",
    "update_gate": "z",
    "new_gate": "n",
    "pre_activation": "a",
}

# The order pages lay heatmaps out in: the gates as the equations read them, then the states.
DISPLAY_ORDER: tuple[str, ...] = (
    "forget_gate",
    "input_gate",
    "candidate",
    "output_gate",
    "reset_gate",
    "update_gate",
    "new_gate",
    "pre_activation",
    "cell",
    "hidden",
)

GATES = frozenset({"input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate"})
BOUNDED = frozenset({"candidate", "hidden", "new_gate"})  # tanh outputs: [-1, 1]
UNBOUNDED = frozenset({"cell", "pre_activation"})


def label(quantity: str) -> str:
    """The human label of a recorded quantity (falls back to the name)."""
    return QUANTITY_LABELS.get(quantity, quantity.replace("_", " ").capitalize())


def display_order(names: tuple[str, ...] | list[str]) -> list[str]:
    """``names`` in the order pages show them (unknown names last, in their own order)."""
    rank = {name: i for i, name in enumerate(DISPLAY_ORDER)}
    return sorted(names, key=lambda n: rank.get(n, len(rank)))


# Where a character model's words end, for the forget-gate measures (the english-char-lstm
# card's count, Learn's and Explore's hint): a space, a line break, and these marks.
BOUNDARY = frozenset(" .,;:\n")
BOUNDARY_MARKS = "spaces, line breaks and . , ; : only"  # the same, in words


@functools.lru_cache(maxsize=8192)  # a vocabulary's tokens, labelled again on every heatmap
def display_token(token: str) -> str:
    """A token as a label (visible_token, cut to 12 characters)."""
    visible = visible_token(token)
    return visible if len(visible) <= 12 else visible[:11] + "…"


@functools.lru_cache(maxsize=8192)
def visible_token(token: str) -> str:
    """A token with spaces, tabs and line breaks made visible; a token of nothing but invisible
    characters (an emoji's variation selector U+FE0F, a zero-width joiner, a lone combining
    mark, a control character) as their code points, e.g. "U+FE0F"; "" as "∅"."""
    if token == "":
        return "∅"
    visible = token.replace(" ", "␣").replace("\t", "⇥").replace("\n", "⏎").replace("\r", "␍")
    if all(unicodedata.category(c) in _INVISIBLE for c in visible):
        visible = " ".join(f"U+{ord(c):04X}" for c in visible)
    return visible


_INVISIBLE = ("Mn", "Me", "Cf", "Cc", "Cs", "Co", "Cn")  # marks, format, control, unassigned


def unknown_tokens_line(
    tokens: Sequence[str],
    unknown: Sequence[bool],
    *,
    source: str = "vocabulary",
    read_as: str = "<unk>",
    shown: int = 8,
) -> str:
    """One line on the tokens a vocabulary lacks, counting steps and distinct tokens apart:
    "19 tokens (10 different) are not in the vocabulary and read as <unk>: 'T', 'h', 'e', '␣',
    ... and 2 more" (each token as display_token shows it; the first ``shown`` distinct ones).
    ``source`` names what lacks them, ``read_as`` what the model read instead. "" when no
    token is unknown. ``tokens`` and ``unknown`` have one entry per step."""
    missing = [t for t, u in zip(tokens, unknown, strict=True) if u]
    if not missing:
        return ""
    distinct = list(dict.fromkeys(missing))
    count = f"{len(missing):,} token{'s' if len(missing) != 1 else ''}"
    if len(distinct) != len(missing):
        count += f" ({len(distinct):,} different)"
    verb = "are" if len(missing) != 1 else "is"
    names = ", ".join(isolated(repr(display_token(t))) for t in distinct[:shown])
    more = f", and {len(distinct) - shown:,} more" if len(distinct) > shown else ""
    return f"{count} {verb} not in the {source} and read as {read_as}: {names}{more}"


def isolated(label: str) -> str:
    """``label`` between Unicode's first-strong isolate and pop (U+2068, U+2069) when it holds a
    right-to-left letter (Hebrew, Arabic), so that in a line of such labels each keeps its own
    quotes and the commas between them stay in order (Unicode Standard Annex #9, isolates);
    other labels as they are."""
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in label):
        return f"\u2068{label}\u2069"
    return label


def shown_percent(fraction: float, decimals: int = 1) -> float:
    """``fraction`` in percent, rounded as ``f"{fraction:.{decimals}%}"`` shows it (never -0)."""
    return float(f"{fraction * 100:.{decimals}f}") + 0.0


def drop_in_points(before: float, after: float, decimals: int = 1) -> float:
    """The drop from ``before`` to ``after`` (fractions) in percentage points: the difference of
    the two percentages as shown with ``decimals``, so that a sentence giving all three adds up
    (100.0% to 56.8%: 43.2 points)."""
    return round(shown_percent(before, decimals) - shown_percent(after, decimals), decimals) + 0.0


def plotly_safe(text: str) -> str:
    """``text`` for a plotly label, title or hover: ``&``, ``<`` and ``>`` as entities. Plotly
    reads its own HTML subset in every label (``<a href>`` links included) and turns these
    entities back into the characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# A trace's kind (trace.RECORDED_NAMES' keys), for people: messages say "a vanilla RNN (tanh)",
# not "a rnn_tanh trace".
KIND_LABELS: dict[str, str] = {
    "lstm": "LSTM",
    "peephole_lstm": "peephole LSTM",
    "conv_lstm": "ConvLSTM",
    "gru": "GRU",
    "rnn_tanh": "vanilla RNN (tanh)",
    "rnn_relu": "vanilla RNN (ReLU)",
    "lstm_states": "recording of LSTM states only",
    "hidden_states": "recording of hidden states only",
}


def kind_label(kind: str) -> str:
    """A trace's kind in words ("rnn_tanh" -> "vanilla RNN (tanh)"); unknown kinds as given."""
    return KIND_LABELS.get(kind, kind)


# A task's validation metric, in the same words and format on every page and figure.
METRIC_LABELS = {"accuracy": "accuracy", "bits_per_token": "bits per token", "mse": "MSE"}


def metric_label(metric: str) -> str:
    """ "accuracy", "bits per token", "MSE" (the metric's name otherwise)."""
    return METRIC_LABELS.get(metric, metric)


def format_metric(metric: str, value: float | None) -> str:
    """93.1% for accuracy, 2.143 for bits per token, 0.0312 for MSE; "—" when missing."""
    if value is None:
        return "—"
    if metric == "accuracy":  # rounded down: 0.9999 is 99.9%, never a perfect-looking 100.0%
        return f"{math.floor(value * 1000 + 1e-6) / 10:.1f}%"  # 0.57 * 1000 is 569.99...
    if metric == "bits_per_token":
        return f"{value:.3f}"
    return f"{value:.4g}"
