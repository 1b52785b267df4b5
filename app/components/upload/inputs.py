"""The Upload page's choices for a layer: what to attach (embedding, head, nonlinearity) and
the input to record it on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app import state
from app.text import escape_markdown
from lstm_viz.importers import MAX_STEPS, Choice, ModelFileError, read_vocab
from lstm_viz.numbers import first_columns

K = state.UPLOAD_PREFIX
NONE = "(none)"
MAX_VOCAB_MB = 16


@dataclass(frozen=True)
class UploadInput:
    """The input the layer reads: ``source`` ("text:...", "ids:...", "random:N" or "csv") in
    lstm_viz.importers.prepare's terms, with the CSV bytes, vocabulary (and its file's sha256)
    and token level."""

    mode: str
    source: str
    csv: bytes | None
    vocab: Any
    level: str
    vocab_digest: str | None = None


def render_choice(layer: Any, prefix: str) -> Choice:
    """Embedding, linear head and (vanilla RNN) nonlinearity, from what was found beside it."""
    columns = st.columns(3)
    with columns[0]:
        embedding = st.selectbox(
            "Embedding",
            options=[NONE, *[e.name for e in layer.embeddings]],
            index=1 if layer.embeddings else 0,
            key=f"{prefix}.embedding",
            help="A [tokens × input size] table found beside the layer. With it, the model reads "
            "token ids (or text through a vocabulary); without it, numbers per step.",
        )
    with columns[1]:
        head = st.selectbox(
            "Linear head",
            options=[NONE, *[h.name for h in layer.heads]],
            index=1 if layer.heads else 0,  # the head the file has (e.g. fc), as for embeddings
            key=f"{prefix}.head",
            help="A linear layer found beside the layer, reading its output.",
        )
    nonlinearity = None
    with columns[2]:
        if layer.kind.startswith("rnn"):
            nonlinearity = st.radio(
                "Nonlinearity",
                options=["tanh", "relu"],
                index=0 if layer.kind == "rnn_tanh" else 1,
                horizontal=True,
                key=f"{prefix}.nonlinearity",
                help="A vanilla RNN's nonlinearity is not stored in PyTorch weights.",
            )
    return Choice(
        embedding=None if embedding == NONE else embedding,
        head=None if head == NONE else head,
        nonlinearity=nonlinearity,
    )


def render_mask(layer: Any, prefix: str) -> bool:
    """Whether to honour the file's Keras mask (ticked by default); True when it has none."""
    masking = layer.masking
    if not masking:
        return True
    if masking["kind"] == "ids":
        what = f"token id {masking['value']} (Embedding {masking['by']!r}, mask_zero=True)"
    else:
        what = f"steps whose features all equal {masking['value']:g} (Masking {masking['by']!r})"
    honour = st.checkbox(
        f"Honour the file's mask: skip {what}",
        value=True,
        key=f"{prefix}.mask",
        help="Keras skips masked steps, keeping the previous state and output; so does this "
        "recording (gates blank there). Untick to read them as real input, which is not what "
        "the file's model computes.",
    )
    if not honour:
        st.caption(
            "Mask off: masked steps are read as real input, which the file's model does not do; "
            "expect its runtime to disagree."
        )
    return honour


def render_input(layer: Any, choice: Choice, prefix: str) -> UploadInput:
    """The input mode and its widgets (text with a vocabulary, ids, random numbers, a CSV)."""
    # Ids to start from that fit: below the embedding's rows, or the one-hot width.
    width = next(
        (int(e.weight.shape[0]) for e in layer.embeddings if e.name == choice.embedding),
        layer.input_size,
    )
    fixed = layer.steps  # the number of steps the file's model fixes (None: any)
    default_ids = " ".join(str(i % width) for i in range(1, (fixed or 5) + 1))
    ids_key, steps_key = (
        (f"{prefix}.ids", f"{prefix}.steps") if fixed else (f"{K}.ids", f"{K}.steps")
    )
    origin = (
        f"The file fixes {fixed} steps (its model's input): the default input has {fixed}, "
        "and its runtime checks only an input of that length."
    )
    vocab_digest = None
    if choice.embedding:
        modes = ["Text (with a vocabulary)", "Token ids", "Random tokens"]
    else:
        modes = ["Random numbers", "Numeric CSV", "One-hot tokens"]
    mode = st.radio("Input", options=modes, horizontal=True, key=f"{prefix}.mode")
    vocab = None
    level = "char"
    source, csv = "random:20", None
    if mode in ("Text (with a vocabulary)", "One-hot tokens"):
        left, right = st.columns([2, 1])
        with left:
            vocab_file = st.file_uploader(
                f'vocab.json: {{"token": id, ...}} or ["token", ...] (at most {MAX_VOCAB_MB} MB)',
                type=["json"],
                key=f"{K}.vocab",
                max_upload_size=MAX_VOCAB_MB,
                help="Without one, type token ids.",
            )
        with right:
            level = st.radio(
                "Tokens are", options=["char", "word"], horizontal=True, key=f"{K}.level"
            )
        if vocab_file is not None:
            try:
                vocab = read_vocab(vocab_file.getvalue())
                vocab_digest = hashlib.sha256(vocab_file.getvalue()).hexdigest()
            except ModelFileError as error:
                name, why = escape_markdown(vocab_file.name), escape_markdown(error)
                st.error(f"{name} cannot be used as a vocabulary: {why}", icon="🚫")
        if vocab is not None:
            text = st.text_input(
                f"Text (at most {MAX_STEPS:,} tokens)",
                value="The cat sat on the mat.",
                key=f"{K}.text",
            )
            source = f"text:{text}"
        else:
            st.caption(
                "No vocab.json yet: the model reads the token ids below until you add one "
                "(the file names each id's token, and then you type text)."
            )
            ids = st.text_input("Token ids, e.g. 3 14 15 9", value=default_ids, key=ids_key)
            source = f"ids:{ids}"
    elif mode == "Token ids":
        ids = st.text_input("Token ids, e.g. 3 14 15 9", value=default_ids, key=ids_key)
        source = f"ids:{ids}"
    elif mode == "Numeric CSV":
        csv_file = st.file_uploader(
            f"CSV: {first_columns(layer.input_size)}, one row per step "
            f"(at most {MAX_STEPS:,} rows)",
            type=["csv"],
            key=f"{K}.csv",
        )
        if csv_file is None:
            st.info("Upload a CSV to record it; until then, random numbers are shown.", icon="📈")
        else:
            source, csv = "csv", csv_file.getvalue()
    else:
        steps = st.number_input(
            "Steps", min_value=1, max_value=MAX_STEPS, value=fixed or 20, key=steps_key
        )
        source = f"random:{int(steps)}"
    if fixed:
        st.caption(f"ℹ️ {origin}")
    return UploadInput(mode, source, csv, vocab, level, vocab_digest)
