"""The model a page works on: the sidebar's choice, loaded, with a one-line caption.

Pages call ``render_model_header`` first; it stops the page (with what to do next) when there
is no model or it cannot be loaded.
"""

from __future__ import annotations

import streamlit as st

from app import classroom, state
from app.resources import ModelRef, find_model, load_model
from app.text import escape_markdown
from lstm_viz.models.checkpoints import Checkpoint


def render_model_header(
    missing: str, upload_link: bool = True, frames: bool = False
) -> tuple[ModelRef, Checkpoint]:
    """(ref, checkpoint) of the sidebar's model, after a caption naming it, its task and its
    core. ``missing``: what to say when no model is picked (links to Train, and Upload).
    ``frames``: the page can show a ConvLSTM frame model; otherwise it says so and stops."""
    ref = find_model(state.choices()["model"])
    if ref is None or ref.path is None:
        st.info(missing, icon="🧠")
        flags = classroom.page_params
        st.page_link("views/train.py", label="Train a model", icon="🏋️", query_params=flags("train"))
        if upload_link:
            st.page_link(
                "views/upload.py", label="Upload a model", icon="📤", query_params=flags("upload")
            )
        st.stop()
    if ref.kind == "seq2seq":  # an encoder-decoder: only Explore (and Learn's tour) show it
        st.info(
            f"**{escape_markdown(ref.name)}** is an encoder-decoder with attention: this page "
            "reads one-network sequence models. Explore shows its attention, an attribution "
            "beside it, and both networks' gates.",
            icon="🔁",
        )
        st.page_link("views/explore.py", label="Open it in Explore", icon="🔍")
        st.stop()
    if ref.kind == "autoencoder":  # another kind of model: only Explore opens it
        st.info(
            f"**{escape_markdown(ref.name)}** is an LSTM autoencoder (an encoder and a decoder): "
            "this page reads one-network sequence models. Open it in Explore to see where it "
            "finds anomalies, or pick another model in the sidebar.",
            icon="🔁",
        )
        st.page_link("views/explore.py", label="Open in Explore", icon="🔍")
        st.stop()
    try:
        checkpoint = load_model(ref)
    except (ValueError, OSError) as error:  # a broken or foreign folder: say why, never crash
        message = f"**{escape_markdown(ref.name)}** cannot be read: {escape_markdown(error)}"
        st.error(message, icon="🚫")
        if not classroom.controls_hidden():
            st.caption("Pick another model in the sidebar.")
        st.stop()
    config = checkpoint.model.config
    task = checkpoint.task
    if config.cell == "conv_lstm":
        title = escape_markdown(task.label if task else "unknown task")
        st.caption(
            f"**{escape_markdown(ref.name)}** · {title} · {config.num_layers} × ConvLSTM, "
            f"{config.hidden_channels} channels, {config.kernel_size}×{config.kernel_size} kernels"
        )
        if not frames:
            st.info(
                f"**{escape_markdown(ref.name)}** is a ConvLSTM that reads frames: this page "
                "reads text or number sequences. Open it in Explore to see its gates as pictures.",
                icon="🖼️",
            )
            st.page_link("views/explore.py", label="Open in Explore", icon="🔍")
            st.stop()
        return ref, checkpoint
    directions = "bidirectional " if config.bidirectional else ""
    title = escape_markdown(task.label if task else "unknown task")
    st.caption(
        f"**{escape_markdown(ref.name)}** · {title} · "
        f"{config.num_layers} × {directions}{config.cell.upper().replace('_', ' ')}, "
        f"{config.hidden_size} units"
    )
    return ref, checkpoint
