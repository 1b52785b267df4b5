"""Caches of the Learn page and the training history (part of app.resources)."""

from __future__ import annotations

import os
from dataclasses import asdict

import streamlit as st

from app.catalogue import ModelRef, model_version
from app.resources import cached_checkpoint, model_inputs

# ---- Learn --------------------------------------------------------------------------------------


@st.cache_data(max_entries=64, show_spinner=False)
def memory_story(gap: int, forget_bias: float, rnn_weight: float):
    """The memory story for these settings (autograd over the sequence: cached, so moving the
    step slider does not recompute it)."""
    from lstm_viz.learn.cell_step import CellParams, RNNParams
    from lstm_viz.learn.memory_story import STORY_LSTM, STORY_RNN, signal_then_gap
    from lstm_viz.learn.memory_story import memory_story as story

    lstm = CellParams(**{**asdict(STORY_LSTM), "forget_bias": forget_bias})
    rnn = RNNParams(**{**asdict(STORY_RNN), "h": rnn_weight})
    return story(signal_then_gap(gap), lstm, rnn)


def correlations_of(ref: ModelRef, quantity: str = "cell"):
    """[layer, direction, unit] r of each unit's ``quantity`` with the task's hidden variable,
    or None when the task cannot be rebuilt or has none."""
    return cached_correlations(ref.path, model_version(ref), quantity)


@st.cache_data(max_entries=8, show_spinner="Measuring every unit on the validation data...")
def cached_correlations(path: str, version: int, quantity: str = "cell"):
    from lstm_viz.learn.lessons import unit_correlations
    from lstm_viz.tasks import from_info

    checkpoint = cached_checkpoint(path, version)
    try:
        built = from_info(checkpoint.task, strict=True)
        if built.hidden_variable is None:
            return None
        return unit_correlations(checkpoint.model, built, quantity)
    except (ValueError, TypeError):
        return None


def dyck_example(ref: ModelRef) -> str:
    """The longest of the first 50 validation sequences of ``ref``'s bracket-depth task."""
    return cached_dyck_example(ref.path, model_version(ref))


@st.cache_data(max_entries=8, show_spinner=False)
def cached_dyck_example(path: str, version: int) -> str:
    from lstm_viz.tasks import make_task

    task = cached_checkpoint(path, version).task
    sequences = make_task("dyck", **(task.params if task else {})).sequences("validation")
    return max(sequences[:50], key=len)


# ---- units emerging during training (probe.npz, lstm_viz.training.probe) -----------------------


def probe_history(path: str | None):
    """The probe history of a checkpoint folder (ProbeHistory), None when it has none; reread
    when the file changes (a run in progress rewrites it at every evaluation). ValueError (one
    line) for a file that is not a probe history."""
    from lstm_viz.training.probe import PROBE_FILE

    if path is None:
        return None
    try:
        stamp = os.stat(os.path.join(path, PROBE_FILE)).st_mtime_ns
    except OSError:
        return None
    return cached_probe_history(path, stamp)


@st.cache_resource(max_entries=8, show_spinner="Reading the training history...")
def cached_probe_history(path: str, stamp: int):
    from lstm_viz.training.probe import load_probe

    return load_probe(path)


MAX_SPLIT_VALUES = 2_000_000  # steps x units x layers the step-through splits (float64 terms)


def preactivation_split(ref: ModelRef, text: str):
    """lstm_viz.analysis.split_model of ``ref``'s model reading ``text`` (cached, read-only), or
    None when the recording is too large to split here (MAX_SPLIT_VALUES)."""
    return cached_split_text(ref.path, model_version(ref), text)


@st.cache_resource(max_entries=8, show_spinner="Splitting every gate...")
def cached_split_text(path: str, version: int, text: str):
    from lstm_viz.analysis import split_model

    checkpoint = cached_checkpoint(path, version)
    inputs, _, _ = model_inputs(checkpoint, text)
    config = checkpoint.model.config
    if inputs.shape[1] * config.hidden_size * config.num_layers > MAX_SPLIT_VALUES:
        return None
    return split_model(checkpoint.model, inputs)
