"""Interventions: force a gate or a cell over a span of steps and re-run the model."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import classroom, corpora
from app.components.analyze.common import (
    as_percent,
    percent_column,
    sequence_picker,
    show_sequence,
    unit_defaults,
)
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import CorpusKey
from app.resources import ModelRef, load_model
from app.text import escape_markdown
from lstm_viz.analysis import (
    TARGETS_BY_KIND,
    Intervention,
    intervene,
    intervention_figure,
    top_predictions,
)
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.quantities import label

MAX_INTERVENTION_STEPS = 500  # an intervention re-runs one sequence step by step
VALUE_RANGES = {  # what a forced value may be (gates: 0 to 1)
    "candidate": (-1.0, 1.0),
    "new_gate": (-1.0, 1.0),
    "hidden": (-1.0, 1.0),
    "cell": (-100.0, 100.0),
}


def output_labels(checkpoint, task) -> list[str]:
    config = checkpoint.model.config
    if config.objective == "next_token" and checkpoint.vocab is not None:
        return list(checkpoint.vocab.tokens)
    if task is not None and task.output_labels:
        return list(task.output_labels)
    return [str(k) for k in range(config.num_outputs)]


def render_interventions(ref: ModelRef, key: CorpusKey, corpus: Corpus, widget: str) -> None:
    checkpoint = load_model(ref)
    targets = TARGETS_BY_KIND.get(checkpoint.model.config.cell)
    if targets is None:
        st.info(f"No interventions for a {checkpoint.model.config.cell} core.", icon="ℹ️")
        return
    st.markdown(
        "Force a gate or a unit's state (cell or hidden) to a value over a span of steps, "
        "re-run the model step by step from there, and see what changes: the unit's states and "
        "the "
        f"prediction at every step (the first {MAX_INTERVENTION_STEPS} steps of a sequence)."
    )
    trace = corpus.trace
    defaults = unit_defaults(key, corpus)
    sequence = sequence_picker(corpus, widget)
    show_sequence(corpus, sequence)
    length = min(int(trace.lengths[sequence]), MAX_INTERVENTION_STEPS)
    cols = st.columns(3)
    with cols[0]:
        quantity = st.selectbox(
            "Change",
            targets,
            index=targets.index("forget_gate") if "forget_gate" in targets else 0,
            format_func=lambda q: label(q).split(" (")[0],
            key=f"{widget}.quantity",
        )
        layer = int(
            st.number_input(
                "Layer", 0, trace.num_layers - 1, defaults["layer"], key=f"{widget}.layer"
            )
        )
    with cols[1]:
        units = trace.hidden.shape[-1]
        unit = int(
            st.number_input(
                f"Unit (0-{units - 1})", 0, units - 1, defaults["unit"], key=f"{widget}.unit"
            )
        )
        low, high = VALUE_RANGES.get(quantity, (0.0, 1.0))
        if quantity == "hidden" and checkpoint.model.config.cell == "rnn_relu":
            low, high = 0.0, 100.0
        value = st.number_input(
            f"Set it to ({low:g} to {high:g})",
            min_value=low,
            max_value=high,
            value=0.0,
            step=0.1,
            key=f"{widget}.value.{quantity}",
        )
    with cols[2]:
        start = int(
            st.number_input(
                f"From step (0-{length - 1})",
                0,
                length - 1,
                min(5, length - 1),
                key=f"{widget}.start.{sequence}",
            )
        )
        stop = int(
            st.number_input(
                f"To step (inclusive, {start} to {length - 1})",
                start,
                length - 1,
                max(start, min(start + 2, length - 1)),
                key=f"{widget}.stop.{sequence}.{start}",
            )
        )
        direction = 0
        if trace.num_directions > 1:
            direction = int(
                st.number_input("Direction", 0, 1, defaults["direction"], key=f"{widget}.direction")
            )
    forced = Intervention(quantity, unit, float(value), start, stop + 1, layer, direction)
    inputs = corpus.inputs[sequence : sequence + 1, :length]
    try:
        result = intervene(
            checkpoint.model, inputs, [forced], tokens=[corpus.tokens[sequence][:length]]
        )
    except ValueError as error:
        st.error(escape_markdown(error), icon="🚫")
        return
    st.plotly_chart(
        classroom.on_screen(intervention_figure(result, forced)),
        key=f"{widget}.figure",
        config=PLOTLY_CONFIG,
    )
    if result.probabilities and result.original_output.dim() == 3:
        change = result.change()[0]
        worst = int(np.argmax(change))
        token = corpus.tokens[sequence][worst]
        st.markdown(
            f"Largest change at step **{worst}** ({escape_markdown(repr(token))}): total "
            "variation "
            f"**{change[worst]:.3f}** between the two predicted distributions."
        )
        task = corpora.load_task(ref)
        st.dataframe(
            as_percent(
                top_predictions(result, worst, output_labels(checkpoint, task), count=5),
                "original",
                "intervened",
            ),
            hide_index=True,
            key=f"{widget}.predictions",
            column_config={
                "original": percent_column("as read"),
                "intervened": percent_column("intervened"),
            },
        )
    elif result.original_output.dim() == 2:
        before = result.original_output[0].numpy()
        after = result.intervened_output[0].numpy()
        what = "probabilities" if result.probabilities else "values"
        st.markdown(
            f"The model predicts once per sequence. Its {what}: as read "
            f"`{np.round(before, 4).tolist()}`, intervened `{np.round(after, 4).tolist()}`."
        )
