"""Guided tours: a real model reading a real sentence, one stop at a time, each pointing at a
unit the app found in the recording."""

from __future__ import annotations

import streamlit as st

from app import classroom, corpora, state
from app.components.heatmaps import PLOTLY_CONFIG
from app.components.learn.models import fits_text, pick_model
from app.components.learn.navigation import tour_position
from app.resources import (
    ModelRef,
    correlations_of,
    model_scales,
    model_version,
    record_text,
)
from app.text import escape_markdown
from lstm_viz.analysis.agreement import AgreementError
from lstm_viz.analysis.scales import scale_sentence
from lstm_viz.learn.agreement_tour import (
    AGREEMENT_MODEL,
    AGREEMENT_PLURAL,
    AGREEMENT_TEXT,
    agreement_tour,
)
from lstm_viz.learn.diagram import trace_diagram
from lstm_viz.learn.tour_figures import stop_figure
from lstm_viz.learn.tours import CAT_MODEL, CAT_TEXT, cat_tour
from lstm_viz.quantities import UNBOUNDED

TOURS = {
    "cat": ("🐈 The cat sat on the mat.", CAT_MODEL, CAT_TEXT, "char"),
    "agreement": ("🧩 The cat, which was hungry, …", AGREEMENT_MODEL, AGREEMENT_TEXT, "word"),
}
TOUR_SENTENCES = 24  # per condition: Analyze's default, so the two share one table


def build_tour(tour: str, ref: ModelRef):
    """(trace, stops) of a tour on the model ``ref``."""
    _, _, text, _ = TOURS[tour]
    trace = record_text(ref, text).trace
    if tour == "cat":
        return trace, cat_tour(trace)
    plural = record_text(ref, AGREEMENT_PLURAL).trace
    return trace, agreement_tour(trace, plural, correlations_of(ref), ablation=ablation_of(ref))


def ablation_of(ref: ModelRef):
    """Lakretz et al.'s ablation on ``ref`` (shared with Analyze's Agreement section), or None
    for a model it cannot run on (the tour then ends without that stop)."""
    try:
        with st.spinner("Zeroing each unit in turn over the agreement sentences..."):
            return corpora.load_agreement(ref.path, model_version(ref), TOUR_SENTENCES)
    except AgreementError:
        return None


def render_tour(tour: str, key: str = "learn.tour") -> None:
    """One tour: its stops one at a time, with the figure, the unit's cell at the stop's step,
    and a button that opens the view in Explore."""
    if tour == "frames":  # the ConvLSTM stop: pictures, not a sentence
        from app.components.learn.frame_tour import render_frame_tour

        render_frame_tour(f"{key}.frames")
        return
    title, wanted, text, level = TOURS[tour]
    key = f"{key}.{tour}"
    st.markdown(f"#### {title}")
    what = (
        "a character-level LSTM that knows its letters (English prose)"
        if level == "char"
        else "a word-level LSTM trained on the agreement sentences"
    )
    ref = pick_model(wanted, lambda r: fits_text(r, text, level), key, what)
    if ref is None:
        return
    try:
        trace, stops = build_tour(tour, ref)
    except ValueError as error:
        why = f"This tour cannot run on {ref.name}: {error}"
        st.error(escape_markdown(why), icon="🚫")
        return
    index = tour_position(len(stops), key, tour)
    stop = stops[index]
    st.markdown(f"**{stop.title}**")
    st.markdown(stop.text)
    scales = model_scales(ref)  # the model's fixed colour range, as Explore uses it
    st.plotly_chart(
        classroom.on_screen(stop_figure(trace, stop, scales=scales)),
        key=f"{key}.figure.{index}",
        config=PLOTLY_CONFIG,
    )
    if stop.figure == "heatmap" and stop.quantity in UNBOUNDED:
        st.caption("🎨 " + scale_sentence(stop.quantity, stop.layer, stop.direction, scales))
    if stop.unit is not None and stop.steps:
        at = stop.steps[-1]
        inside = (
            f"Inside unit {stop.unit} of layer {stop.layer} at step {at} "
            f"({escape_markdown(repr(trace.tokens[0][at]))})"
        )
        # A classroom link (hide=1) shows it open, without the expander's toggle.
        if classroom.controls_hidden():
            box = st.container(border=True, key=f"{key}.inside")
            box.markdown(f"**{inside}**")
        else:
            box = st.expander(inside, expanded=True)
        with box:
            st.markdown(
                trace_diagram(trace, at, stop.unit, stop.layer, stop.direction, scales=scales),
                unsafe_allow_html=True,
            )
    if st.button("🔍 Open in Explore", key=f"{key}.explore"):
        state.hand_off(state.EXPLORE_INPUT, text)
        state.hand_off(state.SELECT_MODEL, ref.id)
        where = {}
        if stop.unit is not None:
            where = {"layer": stop.layer, "direction": stop.direction, "unit": stop.unit}
            state.hand_off(state.EXPLORE_UNIT, where)
        view = "unit" if where else None
        classroom.switch_page("explore", model=ref.id, text=text, view=view, **where)
