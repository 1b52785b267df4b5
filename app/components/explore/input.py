"""Explore's input box: text or numbers the model reads, preset by a hand-off (another page, a
link) or the task's sample; a CSV upload for numeric models."""

from __future__ import annotations

import streamlit as st

from app import classroom, state
from app.resources import MAX_EXPLORE_STEPS, ModelRef, csv_to_text, default_input
from app.text import escape_markdown
from lstm_viz.models.checkpoints import Checkpoint
from lstm_viz.numbers import first_columns


def input_key(ref: ModelRef) -> str:
    """The input box's widget key: one per model, keeping what the user typed across pages."""
    return f"{state.EXPLORE_PREFIX}.text.{ref.id}"


def ids_only(vocab) -> bool:
    """True for the vocabulary of an uploaded model that came without one: its tokens are the
    file's token ids written as numbers (lstm_viz.importers.save_as_checkpoint)."""
    words = vocab.tokens[2:]
    return vocab.level == "word" and bool(words) and all(t.isdigit() for t in words)


def render_input(ref: ModelRef, checkpoint: Checkpoint) -> str:
    """The input box (and, for a numeric model, a CSV upload); returns what it holds."""
    text_key = input_key(ref)
    handed = state.take(state.EXPLORE_INPUT)  # e.g. from the Train page
    if handed:
        st.session_state[text_key] = handed
    if text_key not in st.session_state:
        st.session_state[text_key] = default_input(ref)

    if classroom.controls_hidden():  # a classroom link: the prepared input, shown as tokens
        return st.session_state[text_key] or ""
    config = checkpoint.model.config
    numeric = checkpoint.vocab is None
    if numeric:
        size = config.input_size
        how = (
            "numbers separated by commas"
            if size == 1
            else f"{size} numbers per step, steps separated by ';'"
        )
        label = f"Numbers the model reads ({how}; at most {MAX_EXPLORE_STEPS:,} steps)"
    elif ids_only(checkpoint.vocab):  # an upload without a vocabulary: its tokens are ids
        last = max(int(t) for t in checkpoint.vocab.tokens[2:])
        label = (
            f"Token ids the model reads (whole numbers 0-{last} separated by spaces: the file "
            f"came without a vocabulary; at most {MAX_EXPLORE_STEPS:,}), then press Enter"
        )
    else:
        unit = "characters" if checkpoint.vocab.level == "char" else "words and punctuation"
        label = f"Text the model reads ({unit}; at most {MAX_EXPLORE_STEPS:,}), then press Enter"
    text = st.text_input(label, key=text_key, persist_state="session")

    if numeric:
        csv_key = f"{state.EXPLORE_PREFIX}.csv.{ref.id}"

        def take_csv() -> None:
            upload = st.session_state.get(csv_key)
            if upload is None:
                return
            try:
                st.session_state[text_key] = csv_to_text(upload.getvalue(), config.input_size)
            except ValueError as error:
                st.session_state[state.EXPLORE_CSV_ERROR] = str(error)

        st.file_uploader(
            f"…or a CSV file ({first_columns(config.input_size)}, up to "
            f"{MAX_EXPLORE_STEPS:,} rows)",
            type=["csv"],
            key=csv_key,
            on_change=take_csv,
        )
        csv_error = st.session_state.pop(state.EXPLORE_CSV_ERROR, None)
        if csv_error:
            st.error(f"That CSV cannot be read: {escape_markdown(csv_error)}", icon="🚫")
    return text or ""
