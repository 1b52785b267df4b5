"""The Upload page's recording: the chosen layer recorded and checked (our recording vs our
reading; our reading vs the file's runtime) by lstm_viz.importers.record_imported once per file,
layer, choice and input (kept in session state), then shown with every assumption; and the
hand-off to Explore."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import streamlit as st

from app import classroom, state
from app.components.heatmaps import render_heatmaps, render_pickers, render_tokens
from app.components.upload.inputs import UploadInput
from app.resources import ModelRef, list_uploaded_models
from app.text import escape_markdown
from lstm_viz.importers import (
    MAX_MODELS,
    RUNTIME_PACKAGES,
    Choice,
    ModelFileError,
    UploadFolder,
    folder_name,
    head_reading,
    missing_runtime,
    record_imported,
    save_as_checkpoint,
)
from lstm_viz.numbers import format_numbers

K = state.UPLOAD_PREFIX


def record_layer(digest: str, imported: Any, layer: Any, choice: Choice, given: UploadInput,
                 mask: bool) -> Any:  # fmt: skip
    """The Recording (lstm_viz.importers.record_imported: trace, checks, notes), recorded once per
    file, layer, choice, mask and input (onnxruntime or Keras may run); later reruns (a layer
    picked in the heatmaps, a button) reuse it. Stops the page with the reason when it cannot be
    recorded."""
    recording_key = (
        digest,
        layer.name,
        repr(choice),
        mask,
        given.source,
        given.level,
        None if given.csv is None else hashlib.sha256(given.csv).hexdigest(),
        None if given.vocab is None else given.vocab_digest,
    )
    memo = st.session_state.get(state.UPLOAD_RECORDING)
    if not memo or memo["key"] != recording_key:
        try:
            with st.spinner("Recording and checking..."):
                result = record_imported(
                    imported,
                    layer=layer.name,
                    input=given.source,
                    csv=given.csv,
                    vocab=given.vocab,
                    level=given.level,
                    embedding=choice.embedding,
                    no_embedding=choice.embedding is None,
                    head=choice.head,
                    nonlinearity=choice.nonlinearity,
                    mask=mask,
                )
            memo = {"key": recording_key, "result": result}
        except ValueError as error:  # ModelFileError included
            memo = {"key": recording_key, "error": str(error)}
        st.session_state[state.UPLOAD_RECORDING] = memo
    if "error" in memo:
        st.error(f"Cannot record this: {escape_markdown(memo['error'])}", icon="🚫")
        st.stop()
    return memo["result"]


def render_checks(result: Any) -> None:
    """Each check on its own line (red where it found a difference), a red banner when any did,
    and a caption when no runtime could confirm the mapping."""
    st.subheader("⚠️ Check: our numbers DIFFER" if result.disagrees else "Check")
    if result.disagrees:
        st.error(
            "**Do not trust this recording**: a check found our numbers differ from its "
            "reference (see below). The heatmaps show our reading, not what the file's model "
            "computes.",
            icon="🛑",
        )
    for check in result.checks:
        line = (
            f"{check.title}: **{escape_markdown(check.reference)}** on the same weights and "
            f"input: largest difference **{check.max_difference:.2g}** "
            f"({escape_markdown(check.compared)}) · **{check.status}**"
            if check.ran
            else f"{check.title}: **{escape_markdown(check.reference)}** · **not run**: "
            f"{escape_markdown(check.compared[:300])}"
        )
        if check.ran and not check.ok:
            st.error(line, icon="❌")
        elif check.ok:
            st.success(line, icon="✅")
        else:
            st.info(line, icon="➖")
    runtime = [c for c in result.checks if c.role == "runtime"]
    if runtime and not any(c.ran for c in runtime):  # the line above says why
        st.caption(
            "The file's runtime did not run on this input (see above): only our recording vs "
            "our reading was checked."
        )
    elif not runtime:
        st.caption(
            f"No runtime could confirm this mapping ({no_runtime_reason(result.imported.format)}): "
            "the choices below are ours, and only our recording vs our reading was checked."
        )


def no_runtime_reason(file_format: str) -> str:
    """Why no runtime checked a file of ``file_format`` ("pytorch", "onnx", "keras", ...): a
    weights-only file has no model to run; for ONNX and Keras, the missing package
    (lstm_viz.importers.RUNTIME_PACKAGES) and how to install it."""
    if file_format not in RUNTIME_PACKAGES:
        return "a weights-only file: there is no model in it to run"
    missing = missing_runtime(file_format)
    if not missing:
        return "its runtime did not run"
    names = " and ".join(missing)
    return (
        f"{names} {'is' if len(missing) == 1 else 'are'} not installed on this server: "
        f"`pip install {' '.join(missing)}` lets the file's own runtime check our reading"
    )


def render_notes(result: Any) -> None:
    """Every assumption made, and for a CSV which rows and columns were read (the tokens a
    vocabulary lacks are said once, under the tokens: render_recording)."""
    read = result.prepared.read
    if read is not None:
        st.info(f"Read from the CSV: {escape_markdown(str(read))}", icon="📈")
    unknown_note = result.prepared.unknown_note
    for note in result.notes:
        if read is not None and note.startswith("CSV: "):
            continue  # shown above
        if unknown_note and note == unknown_note:
            continue  # the warning under the tokens says it
        st.caption(f"ℹ️ {escape_markdown(note)}")


def render_recording(result: Any, numeric: bool) -> None:
    """The checks, the notes, the tokens, and the heatmaps."""
    render_checks(result)
    render_notes(result)
    prepared = result.prepared
    render_tokens(
        prepared.tokens,
        prepared.unknown,
        numeric=numeric,
        key=f"{K}.tokens",
        unknown_note=prepared.unknown_note,
    )
    panel = f"{K}.panel"
    layer_index, direction = render_pickers(result.trace, key=panel)
    render_heatmaps(result.trace, layer_index, direction, key=panel, numeric=numeric)


def session_place(name: str) -> Path:
    """A folder for an uploaded model called ``name`` in this browser session's own upload
    folder (lstm_viz.importers.UploadFolder: removed with the session, never listed for other
    sessions; the oldest of more than MAX_MODELS go, and leave the session's list)."""
    folder = st.session_state.get(state.UPLOAD_FOLDER)
    if not isinstance(folder, UploadFolder) or folder.removed:
        folder = UploadFolder()  # removed when this session's state goes (or the server stops)
        st.session_state[state.UPLOAD_FOLDER] = folder
    target, dropped = folder.place(folder_name(name))  # at most MAX_MODELS: the oldest go
    kept = [m for m in list_uploaded_models() if Path(m.path) not in dropped]
    st.session_state[state.UPLOADED_MODELS] = kept
    return target


def add_uploaded(ref: ModelRef) -> ModelRef:
    """List ``ref`` under 📤 Uploaded for this session and select it in the sidebar."""
    models = [m for m in list_uploaded_models() if m.id != ref.id]
    st.session_state[state.UPLOADED_MODELS] = [*models, ref]
    state.hand_off(state.SELECT_MODEL, ref.id)
    return ref


def render_open_in_explore(
    filename: str, layer: Any, choice: Choice, given: UploadInput, prepared: Any
) -> None:
    """Save the layer as a checkpoint of this session, list it under 📤 Uploaded, and open it in
    Explore on the input recorded here."""
    if st.button("🔍 Open in Explore", key=f"{K}.explore", type="primary"):
        target = session_place(f"{Path(filename).stem}-{layer.name}")
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
            ref = add_uploaded(ModelRef("uploaded", path.name, str(path)))
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
            classroom.switch_page("explore", model=ref.id, text=handed)
    try:
        why = head_reading(layer, choice)
    except ModelFileError as error:
        why = str(error)
    predictions = (
        f"Explore offers 🔮 Predictions: the head {choice.head}'s outputs, one per embedding row, "
        "are read as the next token's scores. "
        if why is None
        else f"Explore shows no 🔮 Predictions: {why}. "
    )
    st.caption(
        escape_markdown(predictions)
        + "Explore lists the model under 📤 Uploaded in this browser tab, and reads the input "
        f"recorded here. The last {MAX_MODELS} models opened are kept until the tab is closed or "
        "reloaded (the server deletes a tab's uploads when it goes): then upload the file again."
    )
