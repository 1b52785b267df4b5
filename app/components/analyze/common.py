"""Shared parts of the Analyze tools: unit names and pickers, sequences, the hand-off to
Explore. Every function takes the widget ``key`` and prefixes its widget keys with it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import classroom, corpora, state
from app.corpora import CorpusKey
from app.text import escape_markdown
from lstm_viz.analysis import (
    FEATURE_LABELS,
)
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.quantities import label
from lstm_viz.trace import DIRECTION_NAMES


def unit_defaults(key: CorpusKey, corpus: Corpus) -> dict:
    """Where the ledger and interventions start: the hidden variable's best cell unit, said on
    the page, or unit 0 of layer 0."""
    best = corpora.cached_best_cell_unit(*key.args())
    if best is None:
        return {"layer": 0, "direction": 0, "unit": 0}
    st.caption(
        f"Starting on unit {best['unit']} of layer {best['layer']}: the cell that follows "
        f"{escape_markdown(corpus.hidden_name or 'the hidden variable')} best "
        f"(r = {best['r']:.3f})."
    )
    return best


def open_in_explore(layer: int, direction: int, unit: int, text: str | None = None) -> None:
    """Hand a unit (and optionally an input) to Explore and go there."""
    state.hand_off(
        state.EXPLORE_UNIT, {"layer": int(layer), "direction": int(direction), "unit": int(unit)}
    )
    if text:
        state.hand_off(state.EXPLORE_INPUT, text)
    where = {"layer": int(layer), "direction": int(direction), "unit": int(unit)}
    model = state.choices()["model"]
    classroom.switch_page("explore", model=model, text=text, view="unit", **where)


def unit_name(layer: int, direction: int, unit: int, bidirectional: bool) -> str:
    layer, direction, unit = int(layer), int(direction), int(unit)
    where = f"layer {layer}"
    if bidirectional:
        where += f" {DIRECTION_NAMES[direction]}"
    return f"unit {unit} ({where})"


def ranked_units(table: pd.DataFrame, limit: int = 20) -> list[tuple[int, int, int]]:
    """(layer, direction, unit) of the table's first ``limit`` rows, in its order."""
    rows = table.head(limit)
    return [(int(r["layer"]), int(r["direction"]), int(r["unit"])) for _, r in rows.iterrows()]


def render_open_buttons(table: pd.DataFrame, bidirectional: bool, key: str) -> None:
    """A picker of the table's units and a button that opens the picked one in Explore.

    The options are the units themselves and the widget's key carries the ranking, so a new
    ranking (another feature, a new regular expression) starts the picker on its own #1: the
    picker and the button always name the same unit (issue 16)."""
    if table.empty:
        return
    units = ranked_units(table)
    ranking = "-".join(f"{lay}.{d}.{u}" for lay, d, u in units)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left:
        pick = st.selectbox(
            "Open a unit of this list in Explore",
            units,
            format_func=lambda u: f"#{units.index(u) + 1}: " + unit_name(*u, bidirectional),
            key=f"{key}.pick.{ranking}",
        )
    with right:
        if st.button("🔍 Open in Explore", key=f"{key}.open", width="stretch"):
            open_in_explore(*(pick or units[0]))


def clicked_unit(point: dict) -> tuple[int, int, int] | None:
    """(layer, direction, unit) from a clicked point's customdata, or None."""
    data = point.get("customdata")
    if isinstance(data, dict):  # a typed array may come back keyed by position
        data = [data[k] for k in sorted(data, key=lambda k: int(k))]
    try:
        layer, direction, unit = (int(v) for v in list(data)[:3])
    except (TypeError, ValueError):
        return None
    return layer, direction, unit


def columns_for(corpus: Corpus, columns: list[str]) -> list[str]:
    """``columns`` without "direction" for a one-directional model."""
    if corpus.trace.num_directions > 1:
        return columns
    return [c for c in columns if c != "direction"]


def percent_column(label: str | None = None):
    """A table column of fractions shown as percentages with one decimal (98.5%), as the page's
    sentences write them; Streamlit's own "percent" format prints 98.46% beside them. The
    column's values must be in percent: ``as_percent``."""
    return st.column_config.NumberColumn(label, format="%.1f%%")


def as_percent(table: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``table`` with these columns of fractions in percent (x 100), for ``percent_column``."""
    return table.assign(**{c: table[c] * 100 for c in columns})


MISSING = "–"  # how a table shows a number that does not exist (NaN)


def number_columns(table: pd.DataFrame, columns: dict[str, tuple[str, str]]):
    """(table, column_config) for st.dataframe: each of ``columns`` (name -> (label, printf
    format such as "%.3f")) as a number column; a column with a missing value (NaN) as
    right-aligned text instead, MISSING where the number is missing. The browser draws a
    missing number as "None" whatever the format or a Styler says. Say under the table why a
    value is missing."""
    table = table.copy()
    config = {}
    for name, (title, form) in columns.items():
        if name not in table:
            continue
        if table[name].isna().any():
            table[name] = [MISSING if pd.isna(v) else form % v for v in table[name]]
            config[name] = st.column_config.TextColumn(title, alignment="right")
        else:
            config[name] = st.column_config.NumberColumn(title, format=form)
    return table, config


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """Quantity and feature names as people read them."""
    table = table.copy()
    if "quantity" in table:
        table["quantity"] = table["quantity"].map(lambda q: label(q).split(" (")[0])
    if "feature" in table:
        table["feature"] = table["feature"].map(lambda f: FEATURE_LABELS.get(f, f))
    return table


def direction_picker(corpus: Corpus, key: str) -> int:
    if corpus.trace.num_directions == 1:
        return 0
    return st.radio(
        "Direction",
        [0, 1],
        format_func=lambda d: ("→ forward", "← backward")[d],
        horizontal=True,
        key=f"{key}.direction",
    )


def joiner_of(corpus: Corpus) -> str:
    """How the corpus's tokens join into text: words with spaces, characters as they are."""
    return " " if corpus.level in ("word", "numeric") else ""


def sequence_text(corpus: Corpus, sequence: int) -> str:
    tokens = corpus.tokens[sequence]
    if corpus.level == "numeric":
        return ""
    return (" " if corpus.level == "word" else "").join(tokens)


def sequence_picker(corpus: Corpus, key: str) -> int:
    count = corpus.trace.batch_size
    if count == 1:
        return 0
    return int(
        st.number_input(
            f"Sequence (0-{count - 1})",
            min_value=0,
            max_value=count - 1,
            value=0,
            step=1,
            key=f"{key}.sequence",
        )
    )


def show_sequence(corpus: Corpus, sequence: int, limit: int = 300) -> None:
    tokens = corpus.tokens[sequence]
    text = sequence_text(corpus, sequence) if corpus.level != "numeric" else " · ".join(tokens)
    more = " …" if len(text) > limit else ""
    st.code(text[:limit] + more, language=None, wrap_lines=True)
