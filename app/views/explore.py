"""Explore: type an input, see every gate and state of the model as it reads it."""

import streamlit as st

from app import classroom, state
from app.components.explore.compare import render_compare
from app.components.explore.controls import (
    apply_hand_offs,
    render_order_controls,
    render_unit_picker,
    render_view_picker,
)
from app.components.explore.export import render_export
from app.components.explore.frames import render_frames_explore
from app.components.explore.heatmap_view import order_note, render_heatmap_view
from app.components.explore.input import input_key, render_input
from app.components.explore.predictions import language_model, render_predictions
from app.components.explore.share import render_share
from app.components.explore.step import render_step_through
from app.components.explore.unit import render_unit
from app.components.heatmaps import render_pickers, render_tokens
from app.components.model_header import render_model_header
from app.resources import all_models, record_text, recording_key, unit_order
from app.text import escape_markdown

st.title("🔍 Explore")

choices = state.choices()
ref, checkpoint = render_model_header(
    "Pick a model in the sidebar to look inside it. No model yet? Train a small one in a "
    "minute, or upload your own.",
    frames=True,
)
config = checkpoint.model.config
if config.cell == "conv_lstm":  # a ConvLSTM reading frames: its gates are pictures
    render_frames_explore(ref, key=f"{state.EXPLORE_PREFIX}.{ref.id}")
    st.stop()

panel = f"{state.EXPLORE_PREFIX}.{ref.id}"
# A shared link (state.LINK) or another page (state.EXPLORE_UNIT) may preset the widgets below.
apply_hand_offs(ref, config, input_key(ref), panel)
text = render_input(ref, checkpoint)

try:
    recording = record_text(ref, text, choices["device"])
except ValueError as error:
    st.error(f"The model cannot read this input: {escape_markdown(error)}", icon="🚫")
    st.stop()

render_tokens(
    recording.tokens,
    recording.unknown,
    numeric=recording.numeric,
    key=f"{state.EXPLORE_PREFIX}.tokens",
)
trace = recording.trace
# The pickers live in one keyed container: a classroom link with hide=1 hides it (classroom.py),
# and the widgets keep the values the link gave them.
with st.container(key=classroom.EXPLORE_CONTROLS):
    top = st.columns([4, 1], vertical_alignment="bottom")
    with top[0]:
        layer, direction = render_pickers(trace, key=panel)
    with top[1]:
        unit = render_unit_picker(trace, key=panel)
    view = render_view_picker(language_model(ref), key=panel)
device = choices["device"]

if view == "heatmaps":
    method, quantity, top_k = render_order_controls(trace, key=panel)
    units = None
    if method != "index" or top_k:
        units = unit_order(ref, text, device, layer, direction, method, quantity, top_k)
        st.caption(order_note(method, quantity, len(units), trace))
    recording_name = recording_key(ref, text, device)
    render_heatmap_view(trace, layer, direction, units, unit, key=panel, recording=recording_name)
elif view == "unit":
    render_unit(trace, layer, direction, unit, key=panel)
elif view == "predictions":
    render_predictions(ref, text, key=panel)
elif view == "step":
    delay = st.session_state.get(state.PLAY_DELAY)
    render_step_through(trace, layer, direction, unit, key=panel, delay=delay)
elif view == "compare":
    models = {m.id: m for m in all_models() if m.path is not None}
    render_compare(ref, text, trace, layer, direction, models, device, key=panel)
elif view == "export":
    render_export(ref, trace, layer, direction, key=panel)

render_share(
    {
        "page": "explore",
        "model": ref.id,
        "text": text,
        "layer": layer,
        "direction": direction if trace.num_directions > 1 else None,
        "view": view,
        "unit": unit,
        "step": st.session_state.get(f"{panel}.step") if view == "step" else None,
    },
    key=panel,
)
