"""The ECG autoencoder tour: where the reconstruction fails, and what the forget gates did."""

from __future__ import annotations

import streamlit as st

from app import state
from app.components.heatmaps import PLOTLY_CONFIG
from app.components.learn.navigation import tour_model, tour_position
from app.resources import anomaly_run
from app.text import escape_markdown
from lstm_viz.figures.series import anomaly_figure
from lstm_viz.learn.ecg_tour import ECG_MODEL, ECG_SECONDS, ECG_SEED, ecg_tour
from lstm_viz.tasks.ecg import RATE


def render_ecg_tour(key: str = "learn.tour.ecg") -> None:
    st.markdown("#### 🫀 An ECG autoencoder finds anomalies")
    ref = tour_model(ECG_MODEL, "autoencoder", "the shipped autoencoder")
    if ref is None:
        return
    try:
        run = anomaly_run(ref, ECG_SEED, int(ECG_SECONDS * RATE), None)
        stops = ecg_tour(run.scores, run.tiled, run.events)
    except (ValueError, OSError) as error:
        st.error(escape_markdown(f"This tour cannot run on {ref.name}: {error}"), icon="🚫")
        return
    index = tour_position(len(stops), key, "ecg")
    stop = stops[index]
    st.markdown(f"**{stop.title}**")
    st.markdown(escape_markdown(stop.text))
    scores, tiled = run.scores, run.tiled
    quantity = "forget_gate"
    figure = anomaly_figure(
        scores.value,
        scores.reconstruction,
        scores.error,
        scores.anomaly,
        scores.threshold,
        {part: tiled.grid(part, quantity) for part in ("encoder", "decoder")},
        quantity,
        list(run.events),
        stop.selected,
    )
    st.plotly_chart(figure, key=f"{key}.figure.{index}", config=PLOTLY_CONFIG)
    if st.button("🔍 Open in Explore", key=f"{key}.explore"):
        state.hand_off(state.SELECT_MODEL, ref.id)
        st.switch_page("views/explore.py")
