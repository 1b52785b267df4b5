"""Caches of Analyze's causal tools: attribution, patching, gate split, trajectories (part of
app.corpora)."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import streamlit as st
import torch

from app.corpora import STORE_LOCK, corpus_of
from app.resources import cached_checkpoint

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
def cached_attribution(
    path, version, source, corpus_args, target: int, method: str, steps: int | None
):
    """lstm_viz.analysis.attribute of output ``target`` at the last step of ``source``
    (``steps`` None: integration points chosen by the completeness check)."""
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
def timed_textbook(train_steps: int) -> tuple[dict, float]:
    """(lstm_viz.analysis.textbook.textbook_curves, seconds it took on this server), once per
    server (shared, read-only): the page says the time measured, never a guess (it was "about
    20 s"; 59 s measured on a shared 2-core CPU)."""
    import time

    from lstm_viz.analysis.textbook import textbook_curves

    start = time.perf_counter()
    curves = textbook_curves(train_steps=train_steps)
    return curves, time.perf_counter() - start
