"""The encoder-decoder tour: "3rd of March 2021", which characters does the month attend to?"""

from __future__ import annotations

import streamlit as st

from app import state
from app.components.heatmaps import PLOTLY_CONFIG
from app.components.learn.navigation import tour_model, tour_position
from app.resources import model_version, seq2seq_analysis
from app.text import escape_markdown
from lstm_viz.figures.attention import attention_matrix
from lstm_viz.learn.seq2seq_tour import DATES_MODEL, DATES_TEXT, dates_tour


def render_dates_tour(key: str = "learn.tour.dates") -> None:
    st.markdown("#### 📅 3rd of March 2021")
    ref = tour_model(DATES_MODEL, "seq2seq", "the shipped encoder-decoder")
    if ref is None:
        return
    try:
        _, result = seq2seq_analysis(ref.path, model_version(ref), DATES_TEXT)
        stops = dates_tour(result)
    except (ValueError, OSError) as error:
        st.error(escape_markdown(f"This tour cannot run on {ref.name}: {error}"), icon="🚫")
        return
    index = tour_position(len(stops), key, "dates")
    stop = stops[index]
    st.markdown(f"**{stop.title}**")
    st.markdown(escape_markdown(stop.text).replace("\\*\\*", "**"))
    weights = result.attention if stop.matrix == "attention" else result.share
    heading = "Attention" if stop.matrix == "attention" else "Attribution (integrated gradients)"
    figure = attention_matrix(
        weights, result.source, result.generated, heading=heading, selected=stop.selected
    )
    st.plotly_chart(figure, key=f"{key}.figure.{index}", config=PLOTLY_CONFIG)
    if st.button("🔍 Open in Explore", key=f"{key}.explore"):
        state.hand_off(state.EXPLORE_INPUT, DATES_TEXT)
        state.hand_off(state.SELECT_MODEL, ref.id)
        st.switch_page("views/explore.py")
