"""The unit finder: which unit follows which feature of the input (Pearson r, held out)."""

from __future__ import annotations

import streamlit as st

from app import corpora
from app.components.analyze.common import (
    MISSING,
    columns_for,
    number_columns,
    readable,
    render_open_buttons,
)
from app.corpora import CorpusKey
from app.text import escape_markdown
from lstm_viz.analysis import (
    FEATURE_LABELS,
    PatternError,
)
from lstm_viz.analysis.corpus import Corpus


def render_finder(key: CorpusKey, corpus: Corpus, widget: str) -> None:
    st.markdown(
        "Which unit follows which feature of the input? Every unit of the cell, the hidden "
        "state and each gate is correlated (Pearson r) with each feature. Units are ranked on "
        "the **first half** of the corpus; **r held out** is measured again on the second "
        "half, which took no part in choosing them."
    )
    regex = st.text_input(
        "Your feature: a regular expression (marks the tokens a match covers)",
        key=f"{widget}.regex",
        placeholder=r"e.g. \bthe\b  or  [0-9]+",
        max_chars=200,
    )
    why = corpora.refused_pattern(regex, key)
    if why is not None:  # known bad: say so again without running it again (2 s a rerun)
        st.error(escape_markdown(why), icon="🚫")
        return
    try:
        with st.spinner("Correlating every unit with every feature..."):
            table, constant = corpora.cached_finder(regex or "", *key.args())
    except ValueError as error:
        if isinstance(error, PatternError):
            corpora.refuse_pattern(regex, key, str(error))
        st.error(escape_markdown(error), icon="🚫")
        return
    if table.empty:
        st.info("This model reads numbers and its task has no known hidden variable.", icon="ℹ️")
        return
    features = list(dict.fromkeys(table["feature"]))
    known = table[table["r"].notna()]
    unranked = [f for f in features if f not in set(known["feature"])]
    features = [f for f in features if f not in unranked]
    if not features:
        st.info("Every feature is constant on this corpus: nothing to correlate.", icon="ℹ️")
        return
    # The task's hidden variable and your regex first, then the rest by how well they are found.
    best = known.groupby("feature", sort=False).head(1)
    strength = best.set_index("feature")["r_heldout"].abs().fillna(0)
    first = [f for f in (corpus.hidden_name, "regex") if f in features]
    features = first + sorted(
        (f for f in features if f not in first), key=lambda f: -strength.get(f, 0)
    )
    best = best.set_index("feature").reindex(features).reset_index()
    st.markdown("**The best unit for each feature**")
    columns = ["feature", "quantity", "layer", "direction", "unit", "r", "r_heldout"]
    shown, config = number_columns(readable(best[columns_for(corpus, columns)]), R_COLUMNS)
    st.dataframe(shown, hide_index=True, key=f"{widget}.best", column_config=config)
    render_no_heldout(best, constant["held out"])
    if unranked:
        render_unranked(unranked, constant)
    default = "regex" if regex and "regex" in features else features[0]
    feature = st.selectbox(
        "Feature",
        features,
        index=features.index(default),
        format_func=lambda f: FEATURE_LABELS.get(f, f),
        key=f"{widget}.feature.{regex}",
    )
    ranked = known[known["feature"] == feature].head(10).reset_index(drop=True)
    st.markdown(f"**Top units for {escape_markdown(FEATURE_LABELS.get(feature, feature))}**")
    columns = ["quantity", "layer", "direction", "unit", "r", "r_heldout", "n", "n_heldout"]
    shown, config = number_columns(
        readable(ranked[columns_for(corpus, columns)]),
        {**R_COLUMNS, "n": ("steps", "%d"), "n_heldout": ("steps held out", "%d")},
    )
    st.dataframe(shown, hide_index=True, key=f"{widget}.ranked", column_config=config)
    render_no_heldout(ranked.assign(feature=feature), constant["held out"])
    render_open_buttons(ranked, corpus.trace.num_directions > 1, f"{widget}.open")


R_COLUMNS = {"r": ("r (ranked on)", "%.3f"), "r_heldout": ("r held out", "%.3f")}
RANKED, HELD_OUT = "the first half (where units are ranked)", "the held-out half"


def feature_name(feature: str) -> str:
    if feature == "regex":
        return "your regular expression"
    return escape_markdown(FEATURE_LABELS.get(feature, feature))


def no_r_because(feature: str, value: float, part: str) -> str:
    """Why ``feature`` has no r on ``part`` (RANKED or HELD_OUT): it takes one ``value`` there
    (NaN: it is known at no step there)."""
    if value != value:
        return f"{feature_name(feature)} is known at no step of {part}"
    if feature == "regex" and value in (0.0, 1.0):
        return (
            f"the pattern {'matches nothing in' if value == 0 else 'covers every token of'} {part}"
        )
    return f"{feature_name(feature)} is {value:g} at every step of {part}"


def render_no_heldout(rows, held_out: dict[str, float]) -> None:
    """One caption under a table whose r held out is missing (MISSING) in some ``rows``: the
    feature does not vary over the held-out half, or the unit does not."""
    missing = rows[rows["r_heldout"].isna()]
    if missing.empty:
        return
    flat = list(dict.fromkeys(f for f in missing["feature"] if f in held_out))
    why = [no_r_because(f, held_out[f], HELD_OUT) for f in flat]
    if len(flat) < len(set(missing["feature"])):  # a feature that varies: the unit does not
        why.append(f"a unit that does not change over {HELD_OUT} has none either")
    st.caption(
        f"No r held out ({MISSING}): " + "; ".join(why) + ". r needs both the feature and the "
        "unit to vary."
    )


def render_unranked(unranked: list[str], constant: dict[str, dict[str, float]]) -> None:
    """Say why these features have no unit: constant on the whole corpus, or on the half that
    ranks the units."""
    ranked, held_out = constant["ranked"], constant["held out"]
    everywhere = [f for f in unranked if f not in ranked or held_out.get(f) == ranked[f]]
    if everywhere:
        names = [feature_name(f) for f in everywhere if f != "regex"]
        if "regex" in everywhere:  # the user's own feature: say what is wrong with it
            names.append("your regular expression (it marks no token of this corpus, or every one)")
        st.caption("Constant on this corpus, so no unit can follow them: " + ", ".join(names) + ".")
    half = [f for f in unranked if f not in everywhere]
    if half:
        why = "; ".join(no_r_because(f, ranked[f], RANKED) for f in half)
        st.caption(f"No unit is ranked for these, though they vary on the held-out half: {why}.")
