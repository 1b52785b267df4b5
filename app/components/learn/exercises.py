"""Exercises with checks: keep the memory (set a forget gate), find the bracket counter."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from app import classroom, state
from app.components.heatmaps import PLOTLY_CONFIG
from app.components.learn.models import is_dyck, pick_model
from app.components.learn.playground import WEIGHT_RANGE, slider
from app.resources import (
    correlations_of,
    dyck_example,
    find_model,
    load_model,
    model_scales,
    record_text,
)
from lstm_viz.analysis.scales import scale_sentence
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.learn.cell_step import (
    CellParams,
    lstm_step,
)
from lstm_viz.learn.lessons import TRACKING_THRESHOLD, check_keeps_memory, check_tracking_unit
from lstm_viz.quantities import UNBOUNDED
from lstm_viz.tasks.dyck import depths

BRACKETS_MODEL = "shipped/brackets-lstm"


MAX_UNITS = 64  # rows of the exercise's heatmap


def render_memory_exercise(key: str = "learn.exercise.memory") -> None:
    """Set the forget gate so the cell keeps at least 90% of its memory (x = 1, h_prev = 0.5)."""
    st.markdown("#### 🧹 Keep the memory")
    x, h = 1.0, 0.5
    st.markdown(
        f"The cell reads **x = {x}** with **h_prev = {h}**. Set the forget gate's weights so "
        "that the cell keeps **at least 90%** of its old memory."
    )
    columns = st.columns(3)
    with columns[0]:
        w = slider("forget weight on x", *WEIGHT_RANGE, 0.0, f"{key}.x")
    with columns[1]:
        u = slider("forget weight on h_prev", *WEIGHT_RANGE, 0.0, f"{key}.h")
    with columns[2]:
        b = slider("forget bias", *WEIGHT_RANGE, 0.0, f"{key}.bias")
    params = CellParams(forget_x=w, forget_h=u, forget_bias=b)
    forget = lstm_step(x, h, 1.0, params=params).value("forget_gate")
    if st.button("Check my answer", key=f"{key}.check"):
        st.session_state[f"{key}.feedback"] = asdict(check_keeps_memory(forget))
    show_feedback(f"{key}.feedback")


def show_feedback(key: str) -> None:
    feedback = st.session_state.get(key)
    if not feedback:
        return
    # the message starts with its own mark (✅ / ❌, lstm_viz.learn.lessons): no second icon
    if feedback["correct"]:
        st.success(feedback["message"])
    else:
        st.error(feedback["message"])


def render_depth_exercise(key: str = "learn.exercise.depth") -> None:
    """Find a unit whose cell tracks the bracket depth; checked against the validation data."""
    st.markdown("#### 🔢 Find the bracket counter")
    st.markdown(
        "A network that knows how deep the brackets are nested must count somewhere. Look at "
        "the cell states below and **pick the unit that tracks the depth**: the app checks it "
        f"against the model's validation data (|r| ≥ {TRACKING_THRESHOLD:.1f})."
    )
    chosen = find_model(state.choices().get("model"))
    wanted = chosen.id if chosen is not None and is_dyck(chosen) else BRACKETS_MODEL
    ref = pick_model(wanted, is_dyck, key, "a model trained on Bracket matching (dyck)")
    if ref is None:
        return
    example = dyck_example(ref)
    trace = record_text(ref, example).trace
    config = load_model(ref).model.config
    columns = st.columns([1, 1, 2], vertical_alignment="bottom")
    with columns[0]:
        layer = st.selectbox("Layer", list(range(config.num_layers)), key=f"{key}.layer.{ref.id}")
    with columns[1]:
        unit = st.number_input(
            "Unit", 0, config.hidden_size - 1, 0, step=1, key=f"{key}.unit.{ref.id}"
        )
    with columns[2]:
        check = st.button("Check my answer", key=f"{key}.check.{ref.id}")
    quantity = "cell" if "cell" in trace.names else "hidden"  # a GRU or RNN has no cell
    start = 0
    if config.hidden_size > MAX_UNITS:
        start = st.select_slider(
            "Units shown",
            options=list(range(0, config.hidden_size, MAX_UNITS)),
            format_func=lambda s: f"{s}-{min(s + MAX_UNITS, config.hidden_size) - 1}",
            key=f"{key}.units.{ref.id}",
        )
    scales = model_scales(ref)  # the model's fixed colour range, when it has one
    figure = heatmap(
        trace,
        quantity,
        layer=layer,
        max_units=MAX_UNITS,
        unit_start=start,
        height=320,
        bound=scales.bound(quantity, layer) if scales is not None else None,
    )
    st.plotly_chart(
        classroom.on_screen(figure), key=f"{key}.heatmap.{ref.id}", config=PLOTLY_CONFIG
    )
    if quantity in UNBOUNDED:
        st.caption("🎨 " + scale_sentence(quantity, int(layer), 0, scales))
    st.caption("Depth after each bracket: " + " ".join(str(d) for d in depths(example)))
    feedback_key = f"{key}.feedback.{ref.id}"
    if check:
        r = correlations_of(ref, quantity)
        if r is None:
            st.session_state[feedback_key] = {
                "correct": False,
                "message": "This model's task cannot be rebuilt to check the answer.",
            }
        else:
            result = check_tracking_unit(
                r,
                layer=int(layer),
                unit=int(unit),
                state="cell" if quantity == "cell" else "hidden state",
            )
            st.session_state[feedback_key] = asdict(result)
    show_feedback(feedback_key)
