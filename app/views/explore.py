"""Explore: type an input, see every gate and state of the model as it reads it."""

import streamlit as st

from app import classroom, state
from app.components.emergence import render_emergence
from app.components.explore.anomaly import render_anomaly_explore
from app.components.explore.compare import render_compare
from app.components.explore.controls import (
    VIEW_USES,
    apply_hand_offs,
    chosen,
    linked_choices,
    render_order_controls,
    render_unit_picker,
    render_view_picker,
)
from app.components.explore.export import render_export
from app.components.explore.forecast import render_forecast
from app.components.explore.frames import render_frames_explore
from app.components.explore.heatmap_view import order_note, render_heatmap_view
from app.components.explore.input import input_key, render_input
from app.components.explore.predictions import (
    language_model,
    predictions_absent,
    render_predictions,
)
from app.components.explore.seq2seq import render_seq2seq_explore
from app.components.explore.share import render_share
from app.components.explore.step import render_step_through
from app.components.explore.unit import render_unit
from app.components.heatmaps import render_pickers, render_tokens
from app.components.model_header import render_model_header
from app.components.opened import render_opener
from app.resources import (
    all_models,
    card_claim,
    find_model,
    model_scales,
    preactivation_split,
    probe_history,
    record_text,
    recording_key,
    unit_order,
)
from app.text import escape_markdown
from lstm_viz.figures.heatmap import DEFAULT_MAX_UNITS as MAX_UNITS
from lstm_viz.learn.hints import heatmap_hints

st.title("🔍 Explore")

choices = state.choices()
opened = render_opener("explore")  # an LSTMVis project or a corpus store, instead of a model
if opened is not None:
    from app.components.explore.opened import render_opened_explore

    render_opened_explore(opened)
    st.stop()
picked = find_model(choices["model"])
if picked is not None and picked.kind == "seq2seq":  # an encoder-decoder: its own page
    render_seq2seq_explore(picked)
    st.stop()
if picked is not None and picked.kind == "autoencoder":  # its own view: anomalies and gates
    render_anomaly_explore(picked, key=f"{state.EXPLORE_PREFIX}.anomaly.{picked.id}")
    st.stop()
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
try:
    history = probe_history(ref.path)  # units emerging during training, if it was recorded
except ValueError as error:
    history = None
    st.caption(f"No training view: {escape_markdown(error)}")
hidden = classroom.controls_hidden()  # a classroom link's hide=1: no pickers, the link's view
if hidden:
    layer, direction, unit, view = linked_choices(trace, language_model(ref), key=panel)
else:
    forecaster = (config.objective, config.input_size, config.num_outputs) == ("step_value", 1, 1)
    absent = predictions_absent(ref)
    view = render_view_picker(
        absent is None,
        key=panel,
        forecaster=forecaster,
        training=history is not None,
        # why not, for a token model or an upload (a numeric model trained here: plain)
        no_predictions=absent
        if checkpoint.vocab is not None or "head" in checkpoint.info
        else None,
    )
    # Only the pickers this view reads (Predictions reads none of them).
    layer, direction, unit = chosen(trace, key=panel)
    uses = VIEW_USES[view]
    if uses:
        top = st.columns([4, 1], vertical_alignment="bottom")
        if "layer" in uses:
            with top[0]:
                layer, direction = render_pickers(trace, key=panel)
        if "unit" in uses:
            with top[1]:
                unit = render_unit_picker(trace, key=panel)
device = choices["device"]
share = {  # what the Share link reopens (the step is read where it changes: the player)
    "page": "explore",
    "model": ref.id,
    "text": text,
    "layer": layer,
    "direction": direction if trace.num_directions > 1 else None,
    "view": view,
    "unit": unit,
}

if view == "heatmaps":
    method, quantity, top_k = ("index", "hidden", None)
    if not hidden:
        method, quantity, top_k = render_order_controls(trace, key=panel)
    units = None
    if method != "index" or top_k:
        units = unit_order(ref, text, device, layer, direction, method, quantity, top_k)
        st.caption(order_note(method, quantity, units, trace, unit))
    recording_name = recording_key(ref, text, device)
    render_heatmap_view(
        trace,
        layer,
        direction,
        units,
        unit,
        key=panel,
        recording=recording_name,
        scales=model_scales(ref),
        hints=None
        if hidden or st.session_state.get(state.HINTS_HIDDEN)
        else heatmap_hints(
            trace, layer, direction, card_claim(ref), None if units is not None else MAX_UNITS
        ),
        numeric=recording.numeric,
        hidden=hidden,
    )
elif view == "unit":
    render_unit(
        trace,
        layer,
        direction,
        unit,
        key=panel,
        numeric=recording.numeric,
        scales=model_scales(ref),
    )
elif view == "predictions":
    render_predictions(ref, text, key=panel)
elif view == "forecast":
    render_forecast(ref, text, trace.num_steps, layer, key=panel)
elif view == "step":
    delay = st.session_state.get(state.PLAY_DELAY)
    try:  # why each gate moved (None: too long to split)
        split = preactivation_split(ref, text)
    except (ValueError, KeyError, NotImplementedError):  # a core the split does not read
        split = None
    render_step_through(
        trace,
        layer,
        direction,
        unit,
        key=panel,
        delay=delay,
        split=split,
        scales=model_scales(ref),
        share=None if hidden else share,  # in the player: Step and Play rerun only it
    )
elif view == "compare":
    models = {m.id: m for m in all_models() if m.path is not None}
    render_compare(ref, text, trace, layer, direction, models, device, key=panel)
elif view == "export":
    render_export(ref, trace, layer, direction, key=panel, text=text, device=device)
elif view == "training" and history is not None:
    render_emergence(history, f"{panel}.training", unit, layer, direction, model_scales(ref))
elif view == "training":
    st.info("This model folder has no training history (probe.npz).", icon="🌱")

if not hidden and view != "step":  # a classroom shows the view; the teacher shares the link
    render_share(share, key=panel)
