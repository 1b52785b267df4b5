"""Shared parts of the causal tools (attribution, patching, gate split, trajectories): which
input they read, named as a cache-friendly ``source`` (see app.corpora.causal_input)."""

from __future__ import annotations

import streamlit as st

from app import corpora
from app.components.analyze.common import joiner_of
from app.corpora import MAX_CAUSAL_STEPS, CorpusKey
from app.text import escape_markdown
from lstm_viz.analysis.corpus import Corpus


def sequence_default(corpus: Corpus, sequence: int) -> str:
    """The corpus's ``sequence`` (its first MAX_CAUSAL_STEPS tokens) as text for an input box."""
    sequence = min(sequence, corpus.trace.batch_size - 1)
    return joiner_of(corpus).join(corpus.tokens[sequence][:MAX_CAUSAL_STEPS])


def pick_source(
    checkpoint, corpus: Corpus, label: str, default: str, sequence: int, key: str
) -> tuple:
    """A text box for token models (``default`` first), a corpus sequence for numeric ones.
    Returns ("text", TEXT) or ("sequence", K)."""
    if checkpoint.vocab is not None:
        text = st.text_input(
            f"{label} (at most {MAX_CAUSAL_STEPS} tokens)", value=default, key=f"{key}.text"
        )
        return ("text", text)
    count = corpus.trace.batch_size
    k = st.number_input(
        f"{label}: sequence of the corpus (0-{count - 1}; its first {MAX_CAUSAL_STEPS} steps)",
        min_value=0,
        max_value=count - 1,
        value=min(sequence, count - 1),
        key=f"{key}.sequence",
    )
    return ("sequence", int(k))


def source_tokens(key: CorpusKey, source: tuple) -> tuple | None:
    """(inputs, tokens) of ``source``, or None after saying on the page why it cannot be read."""
    try:
        return corpora.causal_input(key.path, key.version, source, key.args())
    except ValueError as error:
        st.error(f"The model cannot read this input: {escape_markdown(error)}", icon="🚫")
        return None
