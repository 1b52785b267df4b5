"""The unit finder: which unit follows which feature of the input (Pearson r, held out)."""

from __future__ import annotations

import streamlit as st

from app import corpora
from app.components.analyze.common import (
    columns_for,
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
            table = corpora.cached_finder(regex or "", *key.args())
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
    constant = [f for f in features if f not in set(known["feature"])]
    features = [f for f in features if f not in constant]
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
    st.dataframe(
        readable(best[columns_for(corpus, columns)]),
        hide_index=True,
        key=f"{widget}.best",
        column_config={
            "r": st.column_config.NumberColumn("r (ranked on)", format="%.3f"),
            "r_heldout": st.column_config.NumberColumn("r held out", format="%.3f"),
        },
    )
    if constant:
        names = [escape_markdown(FEATURE_LABELS.get(f, f)) for f in constant if f != "regex"]
        if "regex" in constant:  # the user's own feature: say what is wrong with it
            names.append("your regular expression (it marks no token of this corpus, or every one)")
        st.caption("Constant on this corpus, so no unit can follow them: " + ", ".join(names) + ".")
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
    st.dataframe(
        readable(ranked[columns_for(corpus, columns)]),
        hide_index=True,
        key=f"{widget}.ranked",
        column_config={
            "r": st.column_config.NumberColumn("r (ranked on)", format="%.3f"),
            "r_heldout": st.column_config.NumberColumn("r held out", format="%.3f"),
            "n": st.column_config.NumberColumn("steps", format="%d"),
            "n_heldout": st.column_config.NumberColumn("steps held out", format="%d"),
        },
    )
    render_open_buttons(ranked, corpus.trace.num_directions > 1, f"{widget}.open")
