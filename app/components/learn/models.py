"""Which model a tour or an exercise runs on: the shipped one it was written for, else one
that fits (a picker when several do)."""

from __future__ import annotations

import streamlit as st

from app import classroom, state
from app.resources import (
    ModelRef,
    all_models,
    load_model,
)
from app.text import escape_markdown


def fits_text(ref: ModelRef, text: str, level: str) -> bool:
    try:
        checkpoint = load_model(ref)
    except (ValueError, OSError):
        return False
    vocab = checkpoint.vocab
    if vocab is None or vocab.level != level:
        return False
    if checkpoint.model.config.cell not in ("lstm", "peephole_lstm"):
        return False
    tokens = vocab.tokenize(text)
    return not any(vocab.unknown(tokens))


def pick_model(wanted: str, fits, key: str, what: str) -> ModelRef | None:
    """The shipped model ``wanted`` if present, else a model that ``fits`` (the sidebar's first);
    with several, a picker. None (and a message) when no model fits."""
    candidates = [ref for ref in all_models() if ref.path and (ref.id == wanted or fits(ref))]
    if not candidates:
        st.info(
            f"This needs the shipped model **{wanted}**, which is not installed here, or "
            f"{what}. Train one on the Train page, or upload one.",
            icon="📦",
        )
        return None
    ids = [ref.id for ref in candidates]
    chosen = state.choices().get("model")
    default = wanted if wanted in ids else chosen if chosen in ids else ids[0]
    if len(ids) > 1 and not classroom.controls_hidden():
        st.session_state.setdefault(f"{key}.model", default)
        if st.session_state[f"{key}.model"] not in ids:
            st.session_state[f"{key}.model"] = default
        labels = {ref.id: ref.label for ref in candidates}  # as the sidebar shows them
        picked = st.selectbox("Model", ids, format_func=labels.get, key=f"{key}.model")
    else:
        picked = default
    ref = next(ref for ref in candidates if ref.id == picked)
    if picked != wanted:
        shown = escape_markdown(ref.label)  # as the sidebar and the picker name it
        written = escape_markdown(wanted.removeprefix("shipped/"))
        where = "is not here" if wanted not in ids else "is here too"
        st.caption(
            f"Written for the shipped model {written}, which {where}: this runs on "
            f"**{shown}**, measured on it."
        )
    return ref


def is_dyck(ref: ModelRef) -> bool:
    try:
        checkpoint = load_model(ref)
    except (ValueError, OSError):
        return False
    return checkpoint.task is not None and checkpoint.task.name == "dyck"
