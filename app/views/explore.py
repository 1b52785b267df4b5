"""Explore: type an input, see every gate and state of the model as it reads it."""

import streamlit as st

from app import classroom, state
from app.components import explore_views as views
from app.components.explore_controls import (
    apply_hand_offs,
    render_order_controls,
    render_unit_picker,
    render_view_picker,
)
from app.components.heatmaps import render_pickers, render_tokens
from app.components.model_header import render_model_header
from app.resources import (
    MAX_EXPLORE_STEPS,
    csv_to_text,
    default_input,
    list_shipped_models,
    list_trained_models,
    record_text,
    recording_key,
)
from app.text import escape_markdown

st.title("🔍 Explore")

choices = state.choices()
ref, checkpoint = render_model_header(
    "Pick a model in the sidebar to look inside it. No model yet? Train a small one in a "
    "minute, or upload your own."
)
task = checkpoint.info.get("task") or {}
config = checkpoint.model.config
numeric = checkpoint.vocab is None

# The input box: one per model, keeping what the user typed across pages.
text_key = f"{state.EXPLORE_PREFIX}.text.{ref.id}"
panel = f"{state.EXPLORE_PREFIX}.{ref.id}"
# A shared link (state.LINK) or another page (state.EXPLORE_UNIT) may preset the widgets below.
apply_hand_offs(ref, config, text_key, panel)
handed = st.session_state.get(state.EXPLORE_INPUT)  # e.g. from the Train page
if handed and handed != st.session_state.get(state.EXPLORE_SEEN_INPUT):
    st.session_state[state.EXPLORE_SEEN_INPUT] = handed
    st.session_state[text_key] = handed
if text_key not in st.session_state:
    st.session_state[text_key] = default_input(ref)

if numeric:
    size = config.input_size
    how = (
        "numbers separated by commas"
        if size == 1
        else f"{size} numbers per step, steps separated by ';'"
    )
    label = f"Numbers the model reads ({how}; at most {MAX_EXPLORE_STEPS:,} steps)"
else:
    unit = "characters" if checkpoint.vocab.level == "char" else "words and punctuation"
    label = f"Text the model reads ({unit}; at most {MAX_EXPLORE_STEPS:,}), then press Enter"
hidden = classroom.controls_hidden()  # a classroom link: the prepared input, read only
text = st.text_input(label, key=text_key, persist_state="session", disabled=hidden)

if numeric and not hidden:

    def _take_csv() -> None:
        upload = st.session_state.get(f"{state.EXPLORE_PREFIX}.csv.{ref.id}")
        if upload is None:
            return
        try:
            st.session_state[text_key] = csv_to_text(upload.getvalue(), config.input_size)
        except ValueError as error:
            st.session_state[f"{state.EXPLORE_PREFIX}.csv_error"] = str(error)

    st.file_uploader(
        f"…or a CSV file (its first {config.input_size} numeric column(s), up to "
        f"{MAX_EXPLORE_STEPS:,} rows)",
        type=["csv"],
        key=f"{state.EXPLORE_PREFIX}.csv.{ref.id}",
        on_change=_take_csv,
    )
    csv_error = st.session_state.pop(f"{state.EXPLORE_PREFIX}.csv_error", None)
    if csv_error:
        st.error(f"That CSV cannot be read: {escape_markdown(csv_error)}", icon="🚫")

try:
    recording = record_text(ref, text or "", choices["device"])
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
    view = render_view_picker(views.language_model(ref), key=panel)
device = choices["device"]

if view == "heatmaps":
    method, quantity, top_k = render_order_controls(trace, key=panel)
    units = None
    if method != "index" or top_k:
        units = views.unit_order(ref, text, device, layer, direction, method, quantity, top_k)
        st.caption(views.order_note(method, quantity, len(units), trace))
    views.render_heatmap_view(
        trace,
        layer,
        direction,
        units,
        unit,
        key=panel,
        recording=recording_key(ref, text or "", device),
    )
elif view == "unit":
    views.render_unit(trace, layer, direction, unit, key=panel)
elif view == "predictions":
    views.render_predictions(ref, text, key=panel)
elif view == "step":
    views.render_step_through(
        trace, layer, direction, unit, key=panel, delay=st.session_state.get(views.PLAY_DELAY_KEY)
    )
elif view == "compare":
    uploaded = st.session_state.get(state.UPLOADED_MODELS, [])
    models = {
        m.id: m
        for m in [*list_shipped_models(), *list_trained_models(), *uploaded]
        if m.path is not None
    }
    views.render_compare(ref, text, trace, layer, direction, models, device, key=panel)
elif view == "export":
    views.render_export(ref, trace, layer, direction, key=panel)

views.render_share(
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
