"""Agreement: subject-verb agreement across attractors and the number unit (Lakretz et al.)."""

from __future__ import annotations

import streamlit as st

from app import classroom, corpora
from app.components.analyze.common import as_percent, open_in_explore
from app.components.heatmaps import PLOTLY_CONFIG
from app.resources import ModelRef, load_model, model_version
from app.text import escape_markdown
from lstm_viz.analysis.agreement import (
    CONTEXT_LABELS,
    MAX_SENTENCES,
    MIN_SENTENCES,
    AgreementError,
    affordable,
    usable_words,
)
from lstm_viz.figures.agreement import number_unit_figure
from lstm_viz.quantities import drop_in_points, shown_percent

CONTEXT_CODES = {"none": "none", "prepositional": "PP", "relative": "RC"}
NUMBER_WORDS = {"S": "singular", "P": "plural"}
CONDITION_COLUMNS = {  # pixel widths: the five columns fit 540 px (a 1024-px window, sidebar open)
    "context": st.column_config.TextColumn(
        "context", width=150, help="What stands between the subject and the verb"
    ),
    "subject": st.column_config.TextColumn("subject", width=80, help="The subject's number"),
    "attractor": st.column_config.TextColumn(
        "attractor",
        width=80,
        help="The number of the noun between subject and verb (– when there is none)",
    ),
    "sentences": st.column_config.NumberColumn("sentences", width=90),
}
ABLATION_LEGEND = (
    "**Each column is one condition**, written *context: subject/attractor*. Context: "
    "**none** no attractor (*the cat …*), **PP** a prepositional phrase (*the cat near the "
    "dogs …*), **RC** a relative clause (*the cat that the dogs liked …*). Number: **S** "
    "singular, **P** plural, the subject's first: **PP: S/P** is a singular subject with a "
    "plural attractor. **attractor drop**: the mean over the conditions whose attractor "
    "differs in number from the subject (S/P and P/S)."
)


def condition_header(name: str) -> tuple[str, str]:
    """(short header, its words) for an ablation column: "prepositional SP" -> ("PP: S/P",
    "prepositional phrase, singular subject, plural attractor"); "none S" -> ("none: S",
    "no attractor, singular subject")."""
    context, numbers = name.split()
    words = f"{CONTEXT_LABELS[context]}, {NUMBER_WORDS[numbers[0]]} subject"
    if len(numbers) == 1:
        return f"{CONTEXT_CODES[context]}: {numbers}", words
    short = f"{CONTEXT_CODES[context]}: {numbers[0]}/{numbers[1]}"
    return short, f"{words}, {NUMBER_WORDS[numbers[1]]} attractor"


def ablation_columns(dropped: list[str], layers: int = 1) -> dict:
    """column_config for the ablation table: short, legend-explained headers, each with its
    condition in words on hover; the unit pinned (it stays in view while the conditions scroll
    sideways in a window under about 1300 px); no layer column for a one-layer model."""
    config = {
        "layer": st.column_config.NumberColumn("layer", width=50, pinned=True)
        if layers > 1
        else None,
        "unit": st.column_config.NumberColumn("unit", width=56, pinned=True),
    }
    for name in dropped:
        if name == "attractor drop":
            config[name] = st.column_config.NumberColumn(
                "attractor drop",
                width=110,
                help="Mean drop over the conditions with an attractor of the other number "
                "(S/P and P/S), in percentage points",
            )
            continue
        short, words = condition_header(name)
        config[name] = st.column_config.NumberColumn(
            short, width=64, help=f"{words}: drop in agreement accuracy, percentage points"
        )
    return config


def render_agreement(ref: ModelRef, widget: str) -> None:
    checkpoint = load_model(ref)
    try:
        usable_words(checkpoint.vocab)
        per_condition = affordable(checkpoint.model, MAX_SENTENCES)
    except AgreementError as error:
        st.info(f"No agreement test for this model: {escape_markdown(error)}.", icon="ℹ️")
        return
    st.markdown(
        "Does the model choose **is** over **are** after *the cat near the dogs*? Lakretz et "
        "al. (2019) found that a language model carries the subject's number across such an "
        "**attractor** in one or two **number units**: zero one of them and agreement breaks, "
        "zero any other and nothing happens. Here every unit is zeroed in turn (its cell and "
        "hidden state, at every step), over a fixed, seeded set of sentences."
    )
    per_condition = int(
        st.number_input(
            f"Sentences per condition ({MIN_SENTENCES}-{per_condition})",
            min_value=MIN_SENTENCES,
            max_value=per_condition,
            value=min(24, per_condition),
            step=4,
            key=f"{widget}.sentences",
        )
    )
    version = model_version(ref)
    bar = None
    if not corpora.agreement_is_done(ref.path, version, per_condition):
        what = "Zeroing each unit in turn"
        bar = st.progress(0.0, text=f"{what}...")

        def progress(fraction: float) -> None:
            bar.progress(min(1.0, fraction), text=f"{what}: {fraction:.0%}")

    try:
        result = corpora.load_agreement(
            ref.path, version, per_condition, progress if bar is not None else None
        )
    except AgreementError as error:
        st.info(f"No agreement test for this model: {escape_markdown(error)}.", icon="ℹ️")
        return
    if bar is not None:
        bar.empty()
    units = result.number_units()
    drops = result.attractor_drops()
    # One above the other, each full width: side by side, a 1024-pixel window cut the
    # condition table's last column ("sen…") and squeezed the ablation table's.
    st.markdown(
        f"**Agreement accuracy by condition** · with an attractor of the other number: "
        f"**{result.attractor_accuracy():.1%}**"
    )
    st.dataframe(
        as_percent(result.conditions(), "accuracy"),
        hide_index=True,
        key=f"{widget}.conditions",
        column_config=CONDITION_COLUMNS
        | {
            "accuracy": st.column_config.NumberColumn(
                "agreement accuracy", format="%.1f%%", width=140
            )
        },
    )
    before = result.attractor_accuracy()
    if units:
        named = ", ".join(f"layer {layer} unit {unit}" for layer, unit in units)
        layer, unit = units[0]
        after = before - float(drops[layer, unit])
        st.markdown(
            f"**Number unit{'s' if len(units) > 1 else ''}: {named}.** Zeroing "
            f"unit {unit} drops agreement with an attractor from {before:.1%} to "
            f"{after:.1%}, by **{drop_in_points(before, after):.1f} percentage points**; "
            f"the median unit drops it by **{shown_percent(result.median_drop()):.1f} "
            "points**."
        )
    else:
        st.markdown(
            "**No number unit:** no single unit's ablation drops agreement with an "
            f"attractor by {shown_percent(0.1):.1f} percentage points or more (median "
            f"drop {shown_percent(result.median_drop()):.1f} points)."
        )
    table = result.ablation_table().head(12)
    dropped = [c for c in table.columns if c not in ("layer", "unit")]
    table = as_percent(table, *dropped)  # in points, like the accuracies above it
    highlight = {tuple(u) for u in units}

    def mark(row):
        hit = (row["layer"], row["unit"]) in highlight
        return ["background-color: #ffe08a" if hit else ""] * len(row)

    st.markdown(ABLATION_LEGEND)
    st.dataframe(
        table.style.apply(mark, axis=1).format(precision=1),
        hide_index=True,
        key=f"{widget}.ablation",
        height=300,
        column_config=ablation_columns(dropped, result.ablated.shape[0]),
    )
    st.caption(
        "Drop in agreement accuracy, in percentage points, per condition when one unit is "
        "zeroed, largest first. Hover a column's name for it in words."
    )
    if units:
        layer, unit = units[0]
        cells = corpora.cached_number_unit_cells(ref.path, version, layer, unit)
        st.plotly_chart(
            classroom.on_screen(number_unit_figure(cells, (layer, unit))),
            key=f"{widget}.figure",
            config=PLOTLY_CONFIG,
        )
        if st.button(f"Open unit {unit} in Explore", key=f"{widget}.open"):
            open_in_explore(layer, 0, unit)
