"""Explore's controls: the unit and view pickers, unit ordering, and the hand-offs that preset
them (a shared link in ``state.LINK``, a unit another page hands off as ``state.EXPLORE_UNIT``).

Every function takes the panel ``key``; widget keys are ``<key>.<what>``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import classroom, state
from app.resources import ModelRef, find_model
from app.text import escape_markdown
from lstm_viz import Trace
from lstm_viz.figures.ordering import ORDERING_LABELS, ORDERINGS
from lstm_viz.quantities import display_order, label

VIEW_LABELS = {
    "heatmaps": "🌡️ Heatmaps",
    "unit": "📈 Unit",
    "predictions": "🔮 Predictions",
    "forecast": "🔭 Forecast",
    "step": "⏯️ Step-through",
    "compare": "⚖️ Compare",
    "export": "💾 Export",
    "training": "🌱 Training",
}


def preset(config: Any, panel: str, values: dict[str, Any]) -> list[tuple[str, int, int]]:
    """Set the layer/direction/unit/step/view widgets from ``values``, where valid. Returns the
    ones out of this model's range, as (key, value, how many the model has)."""
    counts = {
        "layer": config.num_layers,
        "direction": 2 if config.bidirectional else 1,
        "unit": config.hidden_size,
    }
    outside = []
    for key, count in counts.items():
        value = values.get(key)
        if isinstance(value, int) and 0 <= value < count:
            st.session_state[f"{panel}.{key}"] = value
        elif isinstance(value, int):
            outside.append((key, value, count))
    step = values.get("step")
    if isinstance(step, int) and step >= 0:
        st.session_state[f"{panel}.step"] = step  # clamped to the input by the step view,
        st.session_state[f"{panel}.step_linked"] = step  # which says so if it is past the end
    view = values.get("view")
    if view in VIEW_LABELS:
        st.session_state[f"{panel}.view"] = view
    return outside


def apply_hand_offs(ref: ModelRef, config: Any, text_key: str, panel: str) -> None:
    """Take a shared link (once per new link) and a unit handed over by another page (once per
    hand-off) into the widgets, before they are drawn. A link to another model asks the
    sidebar for it and reruns; a link to a model that is not here says so."""
    link = st.session_state.get(state.LINK) or {}
    if (
        link
        and link.get("page", "explore") == "explore"
        and link != st.session_state.get(state.EXPLORE_LINK_APPLIED)
    ):
        wanted = link.get("model")
        if wanted and wanted != ref.id:
            asked = st.session_state.get(state.EXPLORE_LINK_MODEL_ASKED)
            if find_model(wanted) is not None and asked != link:
                st.session_state[state.EXPLORE_LINK_MODEL_ASKED] = link
                state.hand_off(state.SELECT_MODEL, wanted)
                st.rerun()
            st.session_state[state.EXPLORE_LINK_APPLIED] = link
            # The link's text is kept (it is handed to the input box like any link's), and
            # said: it was written for the other model (an upload's may be token ids).
            reading = (
                " It reads the link's text, written for the other model."
                if link.get("text")
                else ""
            )
            st.warning(
                f"The link is for the model **{escape_markdown(wanted, 80)}**, "
                f"{classroom.why_missing(wanted)}: showing **{escape_markdown(ref.name)}** "
                f"instead.{reading}",
                icon="🔗",
            )
        else:
            st.session_state[state.EXPLORE_LINK_APPLIED] = link
            if "text" in link:
                st.session_state[text_key] = link["text"]
            for key, value, count in preset(config, panel, link):
                shown = st.session_state.get(f"{panel}.{key}", 0)
                shown = shown if isinstance(shown, int) and 0 <= shown < count else 0
                classroom.link_out_of_range(key, value, count, shown)

    handed = state.take(state.EXPLORE_UNIT)
    if handed:
        preset(config, panel, {**handed, "view": "unit"})


def render_unit_picker(trace: Trace, key: str) -> int:
    """The unit the Unit and Step-through views follow."""
    units = max(trace[n].shape[-1] for n in trace.names)
    unit_key = f"{key}.unit"
    if st.session_state.get(unit_key, 0) >= units:
        st.session_state[unit_key] = 0
    unit = st.number_input(
        f"Unit (0-{units - 1})",
        min_value=0,
        max_value=units - 1,
        step=1,
        key=unit_key,
        help="The unit the Unit and Step-through views follow.",
        persist_state="session",
    )
    return int(unit or 0)


def render_view_picker(
    language_model: bool,
    key: str,
    forecaster: bool = False,
    training: bool = False,
    no_predictions: str | None = None,
) -> str:
    """Which view of the recording to show; Predictions only for language models, Forecast only
    for numeric next-value models, Training only for a model folder with a training history
    (probe.npz). ``no_predictions``: why a model has no Predictions (the end of a sentence),
    said under the views."""
    views = [
        v
        for v in VIEW_LABELS
        if (v != "predictions" or language_model)
        and (v != "forecast" or forecaster)
        and (v != "training" or training)
    ]
    view_key = f"{key}.view"
    if st.session_state.get(view_key) not in views:
        st.session_state[view_key] = "heatmaps"
    view = st.radio(
        "View",
        views,
        format_func=VIEW_LABELS.get,
        horizontal=True,
        key=view_key,
        label_visibility="collapsed",
        persist_state="session",
    )
    if no_predictions and not language_model:
        st.caption(
            f"{VIEW_LABELS['predictions']} is not offered: {escape_markdown(no_predictions)}."
        )
    return view


def render_order_controls(trace: Trace, key: str) -> tuple[str, str, int | None]:
    """Unit ordering for the heatmaps: (method, the quantity it ranks by, top k or None)."""
    names = display_order(trace.names)
    units = max(trace[n].shape[-1] for n in trace.names)
    columns = st.columns([2, 2, 1])
    with columns[0]:
        method = st.selectbox(
            "Order units",
            ORDERINGS,
            format_func=ORDERING_LABELS.get,
            key=f"{key}.order",
            persist_state="session",
            help="Every heatmap shows the units in this order, so rows line up across them.",
        )
    with columns[1]:
        quantity = st.selectbox(
            "ranked by their",
            names,
            index=names.index("hidden") if "hidden" in names else 0,
            format_func=label,
            key=f"{key}.order_by",
            persist_state="session",
            disabled=method == "index",
        )
    with columns[2]:
        top_k = st.number_input(
            "Show the top k (0: all)",
            min_value=0,
            max_value=units,
            value=0,
            step=1,
            key=f"{key}.top_k",
            persist_state="session",
        )
    return method, quantity, int(top_k) or None


def chosen(trace: Trace, key: str) -> tuple[int, int, int]:
    """(layer, direction, unit) as the pickers (or a link) left them, within ``trace``; for
    views and sessions that do not draw the pickers."""
    get = st.session_state.get
    layer = get(f"{key}.layer") or 0
    direction = get(f"{key}.direction") or 0
    unit = get(f"{key}.unit") or 0
    units = max(trace[n].shape[-1] for n in trace.names)
    return (
        int(layer) if 0 <= int(layer) < trace.num_layers else 0,
        int(direction) if 0 <= int(direction) < trace.num_directions else 0,
        int(unit) if 0 <= int(unit) < units else 0,
    )


def linked_choices(trace: Trace, language_model: bool, key: str) -> tuple[int, int, int, str]:
    """(layer, direction, unit, view) without drawing a picker (a classroom link's hide=1): what
    the link (or a page's hand-off) preset, else layer 0, unit 0, the heatmaps."""
    views = [v for v in VIEW_LABELS if v != "predictions" or language_model]
    view = st.session_state.get(f"{key}.view")
    return (*chosen(trace, key), view if view in views else "heatmaps")


# Which pickers each view reads: the others are not drawn (a picker that changes nothing).
VIEW_USES = {
    "heatmaps": {"layer", "unit"},
    "unit": {"layer", "unit"},
    "predictions": set(),
    "forecast": {"layer"},
    "step": {"layer", "unit"},
    "compare": {"layer"},
    "export": {"layer"},
    "training": {"layer", "unit"},
}
