"""Explore's Unit view: one unit's gates and states over time, and the input coloured by it."""

from __future__ import annotations

import streamlit as st

from app import classroom
from lstm_viz import Trace
from lstm_viz.quantities import display_order, label


def render_unit(
    trace: Trace,
    layer: int,
    direction: int,
    unit: int,
    key: str,
    numeric: bool = False,
    scales=None,
) -> None:
    """The unit's gates and states over time (lines), and the input coloured by its value.
    ``numeric``: the model reads numbers (the x axis counts steps); ``scales``: the model's
    fixed colour scales (app.resources.model_scales), so the text's colours are the heatmaps'."""
    from lstm_viz.analysis.scales import scale_sentence
    from lstm_viz.figures.colours import layer_scale
    from lstm_viz.figures.unit import coloured_text_html, unit_lines  # altair: only when drawn

    step = st.session_state.get(f"{key}.step")
    lines = unit_lines(trace, layer, direction, unit, step=step, numeric=numeric)
    for k, chart in enumerate(lines):
        st.altair_chart(
            classroom.on_screen_chart(chart), key=f"{key}.unit_lines.{k}", width="stretch"
        )
    names = display_order(trace.names)
    default = "hidden" if "hidden" in names else names[0]
    quantity = st.session_state.get(f"{key}.colour_by", default)
    if not classroom.controls_hidden():
        quantity = st.radio(
            "Colour the text by",
            names,
            index=names.index(default),
            format_func=label,
            horizontal=True,
            key=f"{key}.colour_by",
            persist_state="session",
        )
    steps = int(trace.lengths[0])
    tokens = trace.tokens[0] if trace.tokens else [str(t) for t in range(steps)]
    values = trace[quantity][layer, direction, 0, :steps, unit].numpy()
    scale = layer_scale(trace, quantity, layer, direction, scales)
    words = scale_sentence(quantity, layer, direction, scales)
    st.caption(
        f"The input as unit {unit} sees it: each token on the colour of its "
        f"{label(quantity).split(' (')[0].lower()} after reading it (hover for the value)."
        + (f" 🎨 {words}" if words else "")
    )
    with st.container(key=f"{key}.coloured", height="content" if steps <= 600 else 300):
        st.markdown(
            coloured_text_html(tokens, values, quantity, scale=scale), unsafe_allow_html=True
        )
