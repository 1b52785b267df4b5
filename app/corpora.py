"""Analyze's cached work: corpora (a model's recordings over its validation data or the user's
text, an LSTMVis project, a window of a corpus store) and the analyses over them.

Everything is keyed by strings and numbers (model path, file version, corpus settings), so
caching hashes cleanly. A corpus is a large read-only object: it is held once in a shared store
(st.cache_resource: st.cache_data would pickle and copy hundreds of MB on every rerun); the small
results (tables) are st.cache_data. Library functions do the work.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app.resources import REPO_ROOT, ModelRef, cached_checkpoint, model_version
from lstm_viz.analysis import (
    correlate,
    feature_set,
    find_units,
    gradient_flow,
    half_lives,
    record_corpus,
    saturation,
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
    """The most steps a corpus of this model may hold (MAX_STEPS, fewer for wide models)."""
    config = checkpoint.model.config
    dirs = 2 if config.bidirectional else 1
    per_step = config.num_layers * dirs * config.hidden_size * 6
    return int(max(100, min(MAX_STEPS, MAX_VALUES // per_step)))


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
    Sources "lstmvis" (``path``: the project) and "store" (``path``: the store; ``text``: the
    window's first step, ``max_steps`` its length) read recordings made elsewhere instead."""
    if source == "lstmvis":
        return trace_corpus(cached_lstmvis(path, version).trace)
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
    joiner = " " if corpus.level == "word" else ""
    return feature_set(
        corpus.tokens, steps, corpus.hidden, corpus.hidden_name, regex or None, joiner
    )


def finder_quantities(names: tuple[str, ...]) -> list[str]:
    """The trace's quantities, the states first (cell, hidden), then the gates."""
    first = [n for n in FINDER_QUANTITIES if n in names]
    return first + [n for n in names if n not in first]


@st.cache_data(max_entries=8, show_spinner=False)
def cached_finder(regex: str, *args) -> pd.DataFrame:
    corpus = corpus_of(*args)
    features = corpus_features(corpus, regex)
    if not features:
        return pd.DataFrame()
    return find_units(corpus.trace, features, finder_quantities(corpus.trace.names))


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


# ---- the causal tools (attribution, patching, gate split, trajectories) -------------------------
# An input is named by ``source``: ("text", TEXT) typed by the user, or ("sequence", K) the K-th
# sequence of the corpus named by ``corpus_args`` (CorpusKey.args()); strings and numbers only.

MAX_CAUSAL_STEPS = 200  # steps of one input the causal tools read (the page says so)
MAX_PATCH_WORK = 150_000  # unit-steps a patching sweep re-runs at most (patch_work; said too)
MAX_PATCHINGS = 8  # sweeps kept in the shared store


def causal_input(path: str, version: int, source: tuple, corpus_args: tuple):
    """(inputs [1, T] ids or [1, T, F] numbers, tokens) of ``source``; a corpus sequence is cut
    to MAX_CAUSAL_STEPS, a typed text over it is refused (ValueError, one line)."""
    from app.resources import model_inputs

    kind, value = source
    if kind == "text":
        inputs, tokens, _ = model_inputs(cached_checkpoint(path, version), value)
        if len(tokens) > MAX_CAUSAL_STEPS:
            raise ValueError(
                f"the input has {len(tokens):,} steps; these tools read at most "
                f"{MAX_CAUSAL_STEPS}: shorten it"
            )
        return inputs, list(tokens)
    corpus = corpus_of(*corpus_args)
    n = min(int(corpus.lengths[value]), MAX_CAUSAL_STEPS)
    return corpus.inputs[value : value + 1, :n], list(corpus.tokens[value][:n])


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_causal_recording(path: str, version: int, source: tuple, corpus_args: tuple):
    """The recording (Trace, batch of one) of ``source``: shared and read-only."""
    from lstm_viz import record

    inputs, tokens = causal_input(path, version, source, corpus_args)
    _, trace = record(cached_checkpoint(path, version).model, inputs, tokens=[tokens])
    return trace


@st.cache_data(max_entries=32, show_spinner="Attributing...")
def cached_attribution(path, version, source, corpus_args, target: int, method: str, steps: int):
    """lstm_viz.analysis.attribute of output ``target`` at the last step of ``source``."""
    from lstm_viz.analysis import attribute

    inputs, tokens = causal_input(path, version, source, corpus_args)
    model = cached_checkpoint(path, version).model
    return attribute(model, inputs, target, method, n_steps=steps, tokens=tokens)


@st.cache_resource(max_entries=8, show_spinner="Splitting every gate...")
def cached_split(path: str, version: int, source: tuple, corpus_args: tuple):
    """lstm_viz.analysis.split_model of ``source`` (PreactivationSplit): shared, read-only."""
    from lstm_viz.analysis import split_model

    inputs, tokens = causal_input(path, version, source, corpus_args)
    split = split_model(cached_checkpoint(path, version).model, inputs)
    return dataclasses.replace(split, trace=dataclasses.replace(split.trace, tokens=[tokens]))


@st.cache_data(max_entries=16, show_spinner="Projecting the states...")
def cached_trajectories(path, version, sources, names, corpus_args, quantity, layer, on_corpus):
    """lstm_viz.analysis.trajectories of ``sources`` (one per name) on one PCA projection,
    fitted on the corpus (and its nearest states found) when ``on_corpus``."""
    from lstm_viz.analysis import trajectories

    traces = [cached_causal_recording(path, version, s, corpus_args) for s in sources]
    corpus = corpus_of(*corpus_args).trace if on_corpus else None
    return trajectories(traces, names, quantity, layer, corpus=corpus)


@st.cache_resource(show_spinner=False)
def patching_store() -> OrderedDict:
    """{(path, version, clean, corrupt, good, bad): PatchingResult}, shared by every session."""
    return OrderedDict()


def patch_work(layers: int, units: int, steps: int) -> int:
    """What a sweep costs: each of the layers x units patches at step t re-runs the T - t steps
    after it (about 2 s per 10,000 on an idle 2-core CPU for a 2 x 128 LSTM)."""
    return layers * units * steps * (steps + 1) // 2


def stored_patching(key: tuple):
    with STORE_LOCK:
        return patching_store().get(key)


def run_patching(key: tuple, progress: Callable[[float], None] | None = None):
    """The patching sweep named by ``key`` (path, version, clean text, corrupt text, good and
    bad output index), one step at a time (``progress(fraction)`` after each), then stored.
    PatchingError/ValueError (one line) for inputs it cannot patch or a sweep over
    MAX_PATCH_WORK."""
    from lstm_viz.analysis import Patch, Patcher, PatchingResult, logit_diff

    found = stored_patching(key)
    if found is not None:
        return found
    path, version, clean, corrupt, good, bad = key
    clean_ids, clean_tokens = causal_input(path, version, ("text", clean), ())
    corrupt_ids, corrupt_tokens = causal_input(path, version, ("text", corrupt), ())
    model = cached_checkpoint(path, version).model
    config = model.config
    steps = clean_ids.shape[1]
    work = patch_work(config.num_layers, config.hidden_size, steps)
    if work > MAX_PATCH_WORK:
        raise ValueError(
            f"a sweep here re-runs at most {MAX_PATCH_WORK:,} unit-steps; this one needs "
            f"{work:,}: use a shorter input"
        )
    patcher = Patcher(model, clean_ids, corrupt_ids, logit_diff(good, bad))
    effects = np.full((config.num_layers, steps, config.hidden_size), np.nan)
    for t in range(steps):
        patches = [
            Patch(layer, (unit,), (t,))
            for layer in range(config.num_layers)
            for unit in range(config.hidden_size)
        ]
        effects[:, t, :] = patcher.effects(patches).reshape(config.num_layers, -1)
        if progress is not None:
            progress((t + 1) / steps)
    result = PatchingResult(
        effects, patcher.clean_metric, patcher.corrupt_metric, clean_tokens, corrupt_tokens
    )
    store = patching_store()
    with STORE_LOCK:
        store[key] = result
        while len(store) > MAX_PATCHINGS:
            store.popitem(last=False)
    return result


@st.cache_data(max_entries=32, show_spinner=False)
def cached_top_output(path: str, version: int, source: tuple, corpus_args: tuple) -> int:
    """The output the model scores highest at the last step of ``source`` (head index)."""
    inputs, _ = causal_input(path, version, source, corpus_args)
    with torch.no_grad():
        output, _ = cached_checkpoint(path, version).model(inputs)
    last = output[0, -1] if output.dim() == 3 else output[0]  # per step or per sequence
    return int(last.argmax())


TEXTBOOK_STEPS = 75  # training steps of the gradient-flow page's textbook comparison


@st.cache_resource(max_entries=2, show_spinner="Building the textbook comparison...")
def cached_textbook(train_steps: int) -> dict:
    """lstm_viz.analysis.textbook.textbook_curves, once per server (shared, read-only)."""
    from lstm_viz.analysis.textbook import textbook_curves

    return textbook_curves(train_steps=train_steps)


# ---- recordings made elsewhere: LSTMVis projects and corpus stores -----------------------------

RECORDINGS_ENV = "LSTM_VIZ_RECORDINGS"  # folders (os.pathsep-separated) the server offers


def recording_roots() -> list[Path]:
    """The folders whose recordings this server offers: $LSTM_VIZ_RECORDINGS (set by whoever
    runs the server), else ./recordings. Users pick from what is there, never type a path."""
    given = os.environ.get(RECORDINGS_ENV)
    if given is None:
        return [REPO_ROOT / "recordings"]
    return [Path(p).expanduser() for p in given.split(os.pathsep) if p.strip()]


def offered_recordings():
    """The LSTMVis projects and corpus stores in recording_roots() (lstm_viz.export.folders)."""
    from lstm_viz.export.folders import find_recordings

    return find_recordings(recording_roots())


def folder_version(path: str) -> int:
    """The newest mtime (ns) of the files directly in ``path``: a new file reloads the cache."""
    return max((p.stat().st_mtime_ns for p in Path(path).iterdir()), default=0)


def lstmvis_project(path: str):
    """The LSTMVis project at ``path`` (lstm_viz.export.lstmvis.read_lstmvis), read once per
    version and shared: do not mutate. ExportError (a ValueError) when it cannot be read."""
    return cached_lstmvis(path, folder_version(path))


@st.cache_resource(max_entries=4, show_spinner="Reading the LSTMVis project...")
def cached_lstmvis(path: str, version: int):
    from lstm_viz.export.lstmvis import read_lstmvis

    return read_lstmvis(path)


def store_lengths(path: str) -> dict[int, int]:
    """{sequence: steps} of the corpus store at ``path`` (one scan of two small columns)."""
    from lstm_viz.export.store_tools import store_version

    return cached_store_lengths(path, store_version(path))


@st.cache_data(max_entries=8, show_spinner="Counting the store's steps...")
def cached_store_lengths(path: str, version: int) -> dict[int, int]:
    from lstm_viz.export.store_tools import sequence_lengths

    return sequence_lengths(path)


def store_window(path: str, start: int, steps: int) -> Trace:
    """Steps start..start+steps-1 of the store (lstm_viz.export.store_tools.store_window),
    read once and shared: do not mutate."""
    from lstm_viz.export.store_tools import store_version

    return cached_store_window(path, store_version(path), start, steps)


@st.cache_resource(max_entries=4, show_spinner="Reading a window of the store...")
def cached_store_window(path: str, version: int, start: int, steps: int) -> Trace:
    from lstm_viz.export.store_tools import store_window as read_window

    return read_window(path, start, steps, cached_store_lengths(path, version))


def store_meta(path: str) -> dict:
    """The store's store.json (lstm_viz.export.store.read_store_meta): small, read each run."""
    from lstm_viz.export.store import read_store_meta

    return read_store_meta(path)


def store_version(path: str) -> int:
    from lstm_viz.export.store_tools import store_version as version

    return version(path)
