"""The shared sidebar: model picker and device picker."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import state
from app.resources import (
    DEFAULT_MODEL,
    ModelRef,
    available_devices,
    list_autoencoders,
    list_shipped_models,
    list_trained_models,
    list_unreadable_models,
    list_uploaded_models,
)
from app.text import escape_markdown

# About this many characters of a model's label show in the sidebar's select box (its width at
# Streamlit's default sidebar, "🏋️ Trained · " included); a longer name is written out below it.
LABEL_FITS = 30
DEVICE_LABELS = {"cpu": "CPU", "cuda": "CUDA (NVIDIA GPU)", "mps": "MPS (Apple GPU)"}


def unreadable_lines(refs: list[ModelRef]) -> str:
    """One Markdown bullet per unreadable model: "name (source): reason", escaped."""
    return "\n".join(
        f"- **{escape_markdown(ref.name)}** ({ref.source}): {escape_markdown(ref.problem or '')}"
        for ref in refs
    )


def render_sidebar(hidden: bool = False) -> dict[str, Any]:
    """Draw the sidebar and return the user's choices as a plain dict.

    Returns {"model": a model id such as "shipped/char-lstm", or None,
             "device": "cpu", "cuda" or "mps"}.
    ``hidden`` (a classroom link's hide=1): draw nothing, return the same choices (the model a
    link or a page asked for, else the default; the device chosen before, else the first).
    """
    shipped, trained = list_shipped_models(), list_trained_models()
    uploaded = list_uploaded_models()
    autoencoders = list_autoencoders()  # LSTM autoencoders (Explore's anomaly view)
    unreadable = list_unreadable_models()  # listed last, so a link can still select one
    # all_models(unreadable=True), counted by source
    models = {m.id: m for m in [*shipped, *autoencoders, *trained, *uploaded, *unreadable]}

    if state.MODEL_PICKER not in st.session_state and DEFAULT_MODEL in models:
        st.session_state[state.MODEL_PICKER] = DEFAULT_MODEL  # the app opens on it

    wanted = state.take(state.SELECT_MODEL)
    if wanted in models:  # a page asked for this model (e.g. one just trained)
        st.session_state[state.MODEL_PICKER] = wanted

    if hidden:
        model_id = st.session_state.get(state.MODEL_PICKER)
        if model_id not in models:
            model_id = next(iter(models), None)
        devices = available_devices()
        device = st.session_state.get(state.DEVICE_PICKER)
        return {"model": model_id, "device": device if device in devices else devices[0]}

    with st.sidebar:
        st.subheader("🧠 Model")
        if models:
            model_id = st.selectbox(
                "Model",
                options=list(models),
                format_func=lambda i: models[i].label,
                key=state.MODEL_PICKER,
                label_visibility="collapsed",
                help="Shipped with lstm-viz, trained in this session, or uploaded.",
            )
        else:
            model_id = None
            st.info(
                "No shipped models yet. Models you train or upload in this session "
                "will appear here.",
                icon="📦",
            )
        if model_id is not None and len(models[model_id].label) > LABEL_FITS:
            st.caption(escape_markdown(models[model_id].name))  # cut in the box above
        # Autoencoders are listed apart (their own loader) but counted with their source.
        n_shipped = len(shipped) + sum(a.source == "shipped" for a in autoencoders)
        n_trained = len(trained) + sum(a.source == "trained" for a in autoencoders)
        counts = f"{n_shipped} shipped · {n_trained} trained · {len(uploaded)} uploaded"
        st.caption(counts + (f" · {len(unreadable)} unreadable" if unreadable else ""))
        if unreadable:
            with st.expander(f"⚠️ {len(unreadable)} unreadable", key=state.SIDEBAR_UNREADABLE):
                st.markdown(unreadable_lines(unreadable))

        st.subheader("⚙️ Device")
        device = st.selectbox(
            "Device",
            options=available_devices(),
            format_func=lambda d: DEVICE_LABELS.get(d, d),
            key=state.DEVICE_PICKER,
            label_visibility="collapsed",
            help="Where models run. CUDA and MPS appear when this machine has them.",
        )

    return {"model": model_id, "device": device}
