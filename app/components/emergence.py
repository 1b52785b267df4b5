"""Units emerging during training: a scrubber over the evaluations stored in a checkpoint's
probe.npz (lstm_viz.training.probe), for the heatmaps and one unit's line. Shared by Train and
Explore."""

from __future__ import annotations

import streamlit as st

from app.components.heatmaps import PLOTLY_CONFIG, render_heatmaps, render_pickers
from app.text import escape_markdown
from lstm_viz.figures.causal import emergence_figure
from lstm_viz.quantities import format_metric, label, metric_label


def render_emergence(
    history,
    key: str,
    unit: int | None = None,
    layer: int | None = None,
    direction: int = 0,
    scales=None,
) -> None:
    """The scrubber over ``history`` (a ProbeHistory), the unit line and the heatmaps at the
    chosen evaluation. ``unit``, ``layer``: what to follow (None: pickers here). ``scales``: the
    trained model's fixed colour scales (app.resources.model_scales): every evaluation is then
    coloured alike, as the Heatmaps view colours the model (None: each its own, and it says so)."""
    trace, steps = history.trace, history.steps
    tokens = trace.tokens[0] if trace.tokens else None
    joiner = "" if tokens and all(len(t) == 1 for t in tokens) else " "
    probe = f"“{escape_markdown(joiner.join(tokens), 160)}”" if tokens else "numbers"
    probe += f", {trace.num_steps} steps"
    st.markdown(
        f"**Units emerging during training.** The probe input ({probe}, the task's sample) was "
        f"recorded at each of **{len(steps)}** evaluations; move the slider through training."
    )
    index = st.select_slider(
        "Training time",
        options=list(range(len(steps))),
        value=len(steps) - 1,
        format_func=lambda k: f"step {steps[k]:,}",
        key=f"{key}.evaluation",
    )
    snapshot = history.at(index)
    cols = st.columns([3, 1, 2], vertical_alignment="bottom")
    if layer is None:
        with cols[0]:
            layer, direction = render_pickers(snapshot, key=f"{key}.pickers")
    units = snapshot["hidden"].shape[-1]
    with cols[1]:
        if unit is None:
            unit = int(st.number_input(f"Unit (0-{units - 1})", 0, units - 1, 0, key=f"{key}.unit"))
        unit = min(unit, units - 1)
    with cols[2]:
        names = ["hidden", "cell"] if "cell" in snapshot.names else ["hidden"]
        quantity = st.radio(
            "Line of", names, format_func=label, horizontal=True, key=f"{key}.quantity"
        )
    if history.metrics:
        value, last = history.metrics[index], history.metrics[-1]
        st.caption(
            f"After {steps[index]:,} training steps: validation {metric_label(history.metric)} "
            f"{format_metric(history.metric, value)} "
            f"(last: {format_metric(history.metric, last)})."
        )
    st.plotly_chart(
        emergence_figure(history, index, unit, layer, direction, quantity),
        key=f"{key}.line",
        config=PLOTLY_CONFIG,
    )
    render_heatmaps(
        snapshot, layer, direction, key=f"{key}.heatmaps", highlight=unit, scales=scales
    )
