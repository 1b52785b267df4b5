"""The Upload page's recording: the chosen layer recorded and checked against a reference
implementation once per file, layer, choice and input (kept in session state), then shown;
and the hand-off to Explore."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import streamlit as st

from app import state
from app.components.heatmaps import render_heatmaps, render_pickers, render_tokens
from app.components.upload.inputs import UploadInput
from app.resources import ModelRef, list_uploaded_models
from app.text import escape_markdown
from lstm_viz import record
from lstm_viz.importers import (
    MAX_MODELS,
    Choice,
    ModelFileError,
    UploadFolder,
    build,
    checks,
    prepare,
    recurrent_input,
    save_as_checkpoint,
)
from lstm_viz.numbers import format_numbers

K = state.UPLOAD_PREFIX


def record_layer(digest: str, layer: Any, choice: Choice, given: UploadInput) -> tuple:
    """(prepared input, trace, checks), recorded once per file, layer, choice and input (onnxruntime
    or Keras may run); later reruns (a layer picked in the heatmaps, a button) reuse them. Stops
    the page with the reason when it cannot be recorded."""
    recording_key = (
        digest,
        layer.name,
        repr(choice),
        given.source,
        given.level,
        None if given.csv is None else hashlib.sha256(given.csv).hexdigest(),
        None if given.vocab is None else given.vocab_digest,
    )
    memo = st.session_state.get(state.UPLOAD_RECORDING)
    if not memo or memo["key"] != recording_key:
        try:
            module = build(layer, choice)
            prepared = prepare(
                layer, choice, given.source, vocab=given.vocab, level=given.level, csv=given.csv
            )
            _, trace = record(module, prepared.inputs, tokens=[prepared.tokens])
            found = checks(layer, recurrent_input(module, prepared.inputs), trace)
            memo = {"key": recording_key, "result": (prepared, trace, found)}
        except ValueError as error:
            memo = {"key": recording_key, "error": str(error)}
        st.session_state[state.UPLOAD_RECORDING] = memo
    if "error" in memo:
        st.error(f"Cannot record this: {escape_markdown(memo['error'])}", icon="🚫")
        st.stop()
    return memo["result"]


def render_recording(prepared: Any, trace: Any, found: list, numeric: bool) -> None:
    """The checks against the reference, the tokens, and the heatmaps."""
    st.subheader("✅ Check" if all(c.ok for c in found) else "⚠️ Check")
    for check in found:
        line = (
            f"**{escape_markdown(check.reference)}** on the same weights and input: largest "
            "difference "
            f"**{check.max_difference:.2g}** ({check.compared})"
        )
        if check.ok:
            st.success(line, icon="✅")
        else:
            st.warning(line, icon="⚠️")
    render_tokens(prepared.tokens, prepared.unknown, numeric=numeric, key=f"{K}.tokens")
    panel = f"{K}.panel"
    layer_index, direction = render_pickers(trace, key=panel)
    render_heatmaps(trace, layer_index, direction, key=panel)


def render_open_in_explore(
    filename: str, layer: Any, choice: Choice, given: UploadInput, prepared: Any
) -> None:
    """Save the layer as a checkpoint of this session, list it under 📤 Uploaded, and open it in
    Explore on the input recorded here."""
    if st.button("🔍 Open in Explore", key=f"{K}.explore", type="primary"):
        folder = st.session_state.get(state.UPLOAD_FOLDER)
        if not isinstance(folder, UploadFolder) or folder.removed:
            folder = UploadFolder()  # removed when this session's state goes (or the server stops)
            st.session_state[state.UPLOAD_FOLDER] = folder
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{Path(filename).stem}-{layer.name}").strip("-")
        target, dropped = folder.place(slug or "model")  # at most MAX_MODELS: the oldest go
        kept = [m for m in list_uploaded_models() if Path(m.path) not in dropped]
        st.session_state[state.UPLOADED_MODELS] = kept
        try:
            path = save_as_checkpoint(
                target,
                layer,
                choice,
                filename=filename,
                vocab=given.vocab if choice.embedding else None,
                level=given.level,
            )
        except ModelFileError as error:
            st.error(f"Cannot open this in Explore: {escape_markdown(error)}", icon="🚫")
        else:
            ref = ModelRef("uploaded", path.name, str(path))
            models = [m for m in list_uploaded_models() if m.id != ref.id]
            st.session_state[state.UPLOADED_MODELS] = [*models, ref]
            state.hand_off(state.SELECT_MODEL, ref.id)
            # Explore opens on the input recorded here (as text its input box reads back).
            source = given.source
            if choice.embedding is None:
                handed = format_numbers(prepared.inputs[0])
            elif given.vocab is not None:
                handed = source.removeprefix("text:") if source.startswith("text:") else None
            else:
                handed = " ".join(prepared.tokens)  # the ids: the tokens without a vocabulary
            if handed:
                state.hand_off(state.EXPLORE_INPUT, handed)
            st.switch_page("views/explore.py")
    st.caption(
        "Explore lists the model under 📤 Uploaded for this browser session, and reads the input "
        f"recorded here. The last {MAX_MODELS} models opened are kept, until the session ends."
    )
