"""Upload: a Keras ``LSTM -> RepeatVector -> LSTM -> TimeDistributed(Dense)`` autoencoder
(.keras or legacy .h5, lstm_viz.importers.keras_autoencoder) is offered for Explore's anomaly
view: its threshold is calibrated on normal signal the user picks
(lstm_viz.analysis.anomaly.calibrate) and it is saved as an autoencoder folder in the models
folder, selected in the sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import classroom, state
from app.components.upload.recording import add_uploaded, session_place
from app.resources import ModelRef
from app.text import escape_markdown
from lstm_viz.importers import ModelFileError

K = f"{state.UPLOAD_PREFIX}.autoencoder"
NORMALS = {"ecg": "the generated ECG-like signal", "sines": "a noisy sum of sines"}


def render_keras_autoencoder(name: str, data: bytes, digest: str, imported=None) -> None:
    """Nothing unless ``data`` is a Keras file (.keras or legacy .h5) of the autoencoder layout
    (the generic layer table below shows every other file); a file of that layout that cannot
    be read says why. Read once per file, in a child process (read_keras_autoencoder_isolated),
    and only when ``imported`` (the file as the layer table reads it) has two LSTM layers."""
    if not name.lower().endswith((".keras", ".h5", ".hdf5")):
        return
    if imported is not None and [layer.kind for layer in imported.layers] != ["lstm", "lstm"]:
        return  # the layout has exactly two LSTM layers: no second child for any other file
    from lstm_viz.importers.keras_autoencoder import (
        NotAnAutoencoder,
        read_keras_autoencoder_isolated,
    )

    read = st.session_state.get(state.UPLOAD_AUTOENCODER)
    if not read or (read["digest"], read["name"]) != (digest, name):
        read = {"digest": digest, "name": name}
        try:
            read["model"] = read_keras_autoencoder_isolated(data, name)
        except NotAnAutoencoder:
            read["model"] = None  # another layout: the layer table reads it
        except ModelFileError as error:
            read["error"] = str(error)
        st.session_state[state.UPLOAD_AUTOENCODER] = read
    if "error" in read:
        st.warning(
            f"**{escape_markdown(name)}** cannot be opened in the anomaly view as an LSTM "
            f"autoencoder: {escape_markdown(read['error'])}",
            icon="⚠️",
        )
        return
    model = read["model"]
    if model is None:
        return
    config = model.config
    with st.container(border=True):
        st.markdown(
            f"🫀 **{escape_markdown(name)}** is an LSTM autoencoder (LSTM → RepeatVector → LSTM → "
            f"TimeDistributed(Dense)): windows of {config.window} steps, {config.hidden_size} "
            f"units, {config.input_size} feature(s). Explore's anomaly view scores a series by "
            "its reconstruction error."
        )
        if config.input_size != 1:
            st.info(
                f"The anomaly view reads one-feature series; this model has {config.input_size} "
                "features, so only its layers (below) can be recorded.",
                icon="ℹ️",
            )
            return
        normal = st.selectbox(
            "Calibrate its threshold on normal signal",
            list(NORMALS),
            format_func=NORMALS.get,
            key=f"{K}.normal",
            help="The threshold is the 99.9th percentile of its per-step reconstruction errors "
            "on 60 s of this signal, in the signal's own units (the model reads raw values).",
        )
        if st.button("🫀 Open in the anomaly view", key=f"{K}.open"):
            open_autoencoder(name, model, normal)


def open_autoencoder(name: str, model, normal: str) -> None:
    """Calibrate, save in this session's upload folder (never the shared models folder: other
    sessions do not see it), list it under 📤 Uploaded and open Explore's anomaly view."""
    from lstm_viz.analysis.anomaly import calibrate
    from lstm_viz.models.autoencoder import Autoencoder, save_autoencoder
    from lstm_viz.training.autoencoder import training_signals

    try:
        _, validation = training_signals(normal, seconds=300.0, seed=1)  # validation: 60 s
        anomaly = calibrate(model, validation)
    except ValueError as error:
        st.error(f"Cannot calibrate this autoencoder: {escape_markdown(error)}", icon="🚫")
        return
    info = {
        "task": {"name": normal, "title": NORMALS[normal], "params": {"seed": 1}},
        "source": {"file": name, "format": "keras"},
    }
    target = session_place(f"{Path(name).stem}-autoencoder")
    save_autoencoder(target, Autoencoder(target, model, anomaly, info))
    ref = add_uploaded(ModelRef("uploaded", target.name, str(target), kind="autoencoder"))
    classroom.switch_page("explore", model=ref.id)
