"""Explore's Forecast view (numeric next-value models): one-step predictions against the truth,
and a free-running forecast of k steps from a chosen point, with the gates during it."""

from __future__ import annotations

import streamlit as st

from app.components.explore.export import plotly_config
from app.resources import ModelRef, forecast
from app.text import escape_markdown
from lstm_viz.figures.series import forecast_figure
from lstm_viz.quantities import label

QUANTITIES = ("forget_gate", "input_gate", "output_gate", "candidate", "cell", "hidden")
CONTEXT = 40  # steps shown in the heatmap before the forecast starts


def render_forecast(ref: ModelRef, text: str, steps: int, layer: int, key: str) -> None:
    """Pick where the forecast starts and how far it runs; draw truth, one-step predictions, the
    forecast and the chosen quantity's heatmap over the steps around it."""
    if steps < 2:
        st.info("Give at least two values: the forecast starts after one.", icon="📈")
        return
    columns = st.columns([2, 1, 1])
    start = columns[0].slider(
        "Forecast from step", 0, steps - 1, min(steps - 1, steps // 2), key=f"{key}.start"
    )
    k = int(columns[1].number_input("Steps ahead (k)", 1, 500, 30, key=f"{key}.k"))
    quantity = columns[2].selectbox("Heatmap", QUANTITIES, format_func=label, key=f"{key}.q")
    try:
        values, predictions, run = forecast(ref, text, int(start), k)
    except ValueError as error:
        st.error(f"No forecast: {escape_markdown(error)}", icon="🚫")
        return
    first = max(0, start - CONTEXT)
    grid = run.trace[quantity][layer, 0, 0, first:].numpy().T  # [unit, step]
    figure = forecast_figure(values, predictions, int(start), run.forecast, grid, quantity, first)
    st.plotly_chart(figure, key=f"{key}.figure", config=plotly_config(f"{key}.figure"))
    st.caption(
        f"Up to step {start} the model reads the truth; then it reads its own forecasts for "
        f"{k - 1} more steps. The heatmap shows layer {layer}'s {label(quantity).lower()} from "
        f"step {first}: right of the dashed line, the gates of a model running on its own."
    )
