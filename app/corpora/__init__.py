"""Analyze's cached work: corpora (a model's recordings over its validation data or the user's
text, an LSTMVis project, a window of a corpus store) and the analyses over them.

Everything is keyed by strings and numbers (model path, file version, corpus settings), so
caching hashes cleanly. A corpus is a large read-only object: it is held once in a shared store
(st.cache_resource: st.cache_data would pickle and copy hundreds of MB on every rerun); the small
results (tables) are st.cache_data. Library functions do the work.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app.resources import ModelRef, cached_checkpoint, model_version
from lstm_viz.analysis import (
    constant_features,
    correlate,
    feature_set,
    find_units,
    gradient_flow,
    half_lives,
    record_corpus,
    saturation,
    split_rows,
)
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.tasks import Task, from_info
from lstm_viz.trace import Trace

MAX_STEPS = 20_000  # real steps a corpus holds at most (the page says so)
MAX_VALUES = 30_000_000  # recorded numbers a corpus holds at most (wide models get fewer steps)
MAX_TEXT = 200_000  # characters of the user's text
CHUNK = 200  # the user's text is read in sequences of this many tokens
MAX_TYPED = 300  # tokens of a typed input the gradient flow reads (one backward pass per unit)
FINDER_QUANTITIES = ("cell", "hidden", "input_gate", "forget_gate", "candidate", "output_gate")


@dataclass(frozen=True)
class CorpusKey:
    """What a corpus is made of: every field a string or a number (the cache key)."""

    path: str
    version: int
    source: str  # "validation" or "text"
    text: str
    max_steps: int
    device: str

    def args(self) -> tuple:
        return (self.path, self.version, self.source, self.text, self.max_steps, self.device)


def steps_allowed(checkpoint) -> int:
    """The most steps a corpus of this model may hold (MAX_STEPS, fewer for wide models), rounded
    down to a round number (19,000, not 19,531: the number input steps by 1,000)."""
    config = checkpoint.model.config
    dirs = 2 if config.bidirectional else 1
    per_step = config.num_layers * dirs * config.hidden_size * 6
    steps = min(MAX_STEPS, MAX_VALUES // per_step)
    unit = 1_000 if steps >= 1_000 else 100
    return int(max(100, steps // unit * unit))


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_task(path: str, version: int) -> Task | None:
    """The model's task, rebuilt once (building a text task reads a corpus: up to a second)."""
    return from_info(cached_checkpoint(path, version).task)


def load_task(ref: ModelRef) -> Task | None:
    """The task ``ref``'s model was trained on, or None (see lstm_viz.tasks.from_info)."""
    return cached_task(ref.path, model_version(ref))


def record(
    path: str,
    version: int,
    source: str,
    text: str,
    max_steps: int,
    device: str,
    progress: Callable[[float], None] | None = None,
) -> Corpus:
    """Record the corpus the arguments of a CorpusKey describe (not cached: see load_corpus).
    Sources "lstmvis" (``path``: the project), "trace" (``path``: a trace's .npz) and "store"
    (``path``: the store; ``text``: the window's first step, ``max_steps`` its length) read
    recordings made elsewhere instead."""
    from app.corpora.elsewhere import cached_lstmvis, cached_store_window, cached_trace_file

    if source == "lstmvis":
        return trace_corpus(cached_lstmvis(path, version).trace)
    if source == "trace":
        return trace_corpus(cached_trace_file(path, version))
    if source == "store":
        return trace_corpus(cached_store_window(path, version, int(text), max_steps))
    checkpoint = cached_checkpoint(path, version)
    if source == "text":
        return record_corpus(
            checkpoint.model,
            texts=[text],
            vocab=checkpoint.vocab,
            max_steps=max_steps,
            chunk=CHUNK,
            device=device,
            progress=progress,
        )
    task = cached_task(path, version)
    if task is None:
        raise ValueError(
            "this model's task cannot be rebuilt here (none is named, or it was trained on "
            "your own data): analyse your own text instead"
        )
    return record_corpus(
        checkpoint.model, task, max_steps=max_steps, device=device, progress=progress
    )


# Corpora are large and read-only: one shared store (st.cache_resource: no copies), the most
# recently used kept. A store of our own, not a cached function, so a recording can report
# its progress to the page that asked for it.
MAX_CORPORA = 4
STORE_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def corpus_store() -> OrderedDict:
    """{CorpusKey: Corpus}, shared by every session, the most recently used last."""
    return OrderedDict()


MAX_REFUSED = 64  # (pattern, corpus) pairs remembered as invalid or too slow


@st.cache_resource(show_spinner=False)
def refused_patterns() -> OrderedDict:
    """(regex, CorpusKey) -> why it was refused: shared, so a slow pattern costs its time once."""
    return OrderedDict()


def refused_pattern(regex: str, key: CorpusKey) -> str | None:
    """Why the finder refused ``regex`` on this corpus before (invalid or too slow), or None."""
    with STORE_LOCK:
        return refused_patterns().get((regex, key))


def refuse_pattern(regex: str, key: CorpusKey, why: str) -> None:
    """Remember that ``regex`` was refused on this corpus (the MAX_REFUSED most recent)."""
    refused = refused_patterns()
    with STORE_LOCK:
        refused[(regex, key)] = why
        while len(refused) > MAX_REFUSED:
            refused.popitem(last=False)


def corpus_is_recorded(key: CorpusKey) -> bool:
    with STORE_LOCK:
        return key in corpus_store()


def load_corpus(key: CorpusKey, progress: Callable[[float], None] | None = None) -> Corpus:
    """The corpus for ``key``: recorded once (``progress(fraction)`` while recording), then
    shared by every session; never mutate it. ValueError for no data (not stored)."""
    store = corpus_store()
    with STORE_LOCK:
        if key in store:
            store.move_to_end(key)
            return store[key]
    corpus = record(*key.args(), progress=progress)
    with STORE_LOCK:
        store[key] = corpus
        while len(store) > MAX_CORPORA:
            store.popitem(last=False)
    return corpus


def corpus_of(*args) -> Corpus:
    """The corpus of CorpusKey(*args)."""
    return load_corpus(CorpusKey(*args))


@st.cache_data(max_entries=8, show_spinner=False)
def cached_saturation(*args) -> pd.DataFrame:
    if args[2] == "store":  # every step of the store, in DuckDB, not the window
        from lstm_viz.export.store_tools import store_saturation

        return store_saturation(args[0])
    return saturation(corpus_of(*args).trace)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_half_lives(*args) -> pd.DataFrame:
    if args[2] == "store":  # every step of the store, in DuckDB, not the window
        from lstm_viz.export.store_tools import store_half_lives

        return store_half_lives(args[0])
    return half_lives(corpus_of(*args).trace)


@st.cache_data(max_entries=16, show_spinner="Searching every step of the store...")
def cached_store_spans(path: str, version: int, *search) -> tuple[pd.DataFrame, int]:
    """lstm_viz.export.store_tools.store_find_spans(path, *search): (top spans, how many)."""
    from lstm_viz.export.store_tools import store_find_spans

    quantity, layer, direction, units, threshold, min_length = search
    return store_find_spans(path, quantity, layer, direction, list(units), threshold, min_length)


def trace_corpus(trace: Trace) -> Corpus:
    """A recording made elsewhere as a Corpus: its tokens, no task, no inputs to re-run."""
    tokens = [list(t) for t in trace.tokens] if trace.tokens else []
    level = "char" if all(len(t) <= 1 for seq in tokens for t in seq[:2000]) else "word"
    inputs = torch.zeros(trace.batch_size, trace.num_steps, dtype=torch.int64)
    return Corpus(trace, tokens, None, None, inputs, level)


def corpus_features(corpus: Corpus, regex: str) -> dict[str, np.ndarray]:
    """The finder's features for this corpus; numeric models have only the hidden variable."""
    steps = corpus.trace.num_steps
    if corpus.level == "numeric":
        if corpus.hidden is None:
            return {}
        return {corpus.hidden_name or "hidden variable": corpus.hidden}
    if not corpus.tokens:  # a trace recorded without tokens: nothing to read features from
        return {}
    joiner = " " if corpus.level == "word" else ""
    return feature_set(
        corpus.tokens, steps, corpus.hidden, corpus.hidden_name, regex or None, joiner
    )


def finder_quantities(names: tuple[str, ...]) -> list[str]:
    """The trace's quantities, the states first (cell, hidden), then the gates."""
    first = [n for n in FINDER_QUANTITIES if n in names]
    return first + [n for n in names if n not in first]


@st.cache_data(max_entries=8, show_spinner=False)
def cached_finder(regex: str, *args) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """find_units over the corpus (an empty table when it has no features), and the features
    constant on each part ("ranked": the first half, "held out": the second; name -> the one
    value each takes there, lstm_viz.analysis.constant_features): those parts give them no r."""
    corpus = corpus_of(*args)
    features = corpus_features(corpus, regex)
    if not features:
        return pd.DataFrame(), {"ranked": {}, "held out": {}}
    trace = corpus.trace
    table = find_units(trace, features, finder_quantities(trace.names))
    ranked = split_rows(trace)  # the split find_units makes (its default fraction)
    constant = {
        "ranked": constant_features(trace, features, ranked),
        "held out": constant_features(trace, features, ~ranked),
    }
    return table, constant


@st.cache_data(max_entries=32, show_spinner=False)
def cached_gradient(model_path: str, model_version_: int, sequence: int, *args) -> np.ndarray:
    """∂h_T/∂x_t norms of the model at ``model_path`` reading a sequence of the corpus."""
    corpus = corpus_of(*args)
    n = int(corpus.lengths[sequence])
    inputs = corpus.inputs[sequence : sequence + 1, :n]
    model = cached_checkpoint(model_path, model_version_).model
    return gradient_flow(model, inputs)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_gradient_typed(model_path: str, model_version_: int, text: str) -> np.ndarray:
    """∂h_T/∂x_t norms of the model at ``model_path`` reading ``text`` (MAX_TYPED tokens)."""
    checkpoint = cached_checkpoint(model_path, model_version_)
    ids = checkpoint.vocab.encode(text)[:MAX_TYPED]
    return gradient_flow(checkpoint.model, torch.tensor([ids], dtype=torch.int64))


@st.cache_data(max_entries=8, show_spinner=False)
def cached_best_cell_unit(*args) -> dict | None:
    """The cell unit that follows the task's hidden variable best (positions and r), or None."""
    corpus = corpus_of(*args)
    if corpus.hidden is None or "cell" not in corpus.trace.names:
        return None
    table = correlate(corpus.trace, {"hidden": corpus.hidden}, ["cell"])
    table = table[table["r"].notna()]
    if table.empty:
        return None
    row = table.loc[table["r"].abs().idxmax()]
    return {
        "layer": corpus.trace.ids("layer").index(int(row["layer"])),
        "direction": corpus.trace.ids("direction").index(int(row["direction"])),
        "unit": int(row["unit"]),
        "r": float(row["r"]),
    }


# The rest of this home, one module each; their names are re-exported here.
from app.corpora.agreement import *  # noqa: E402, F403 - re-exported
from app.corpora.causal import *  # noqa: E402, F403 - re-exported
from app.corpora.elsewhere import *  # noqa: E402, F403 - re-exported
