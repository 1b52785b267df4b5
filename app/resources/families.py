"""Caches of the other recurrent families: encoder-decoders with attention, LSTM autoencoders
and forecasters (part of app.resources)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app.catalogue import (  # noqa: F401 - the catalogue's names, re-exported
    DEFAULT_MODEL,
    DEFAULT_TEXT,
    PRETRAINED_DIR,
    REPO_ROOT,
    SOURCE_LABELS,
    ModelRef,
    all_models,
    available_devices,
    find_model,
    list_autoencoders,
    list_shipped_models,
    list_trained_models,
    list_unreadable_models,
    list_uploaded_models,
    model_version,
    shipped_dir,
)
from app.resources import MAX_EXPLORE_STEPS, cached_checkpoint, model_inputs
from lstm_viz.models.checkpoints import CheckpointError
from lstm_viz.numbers import read_csv_numbers

# ---- Explore for encoder-decoders (lstm_viz.models.seq2seq) -------------------------------------

MAX_SEQ2SEQ_CHARS = 200  # characters one encoder-decoder input may have (the page says so)


def load_seq2seq_model(ref: ModelRef):
    """The encoder-decoder behind ``ref`` (a Seq2SeqCheckpoint), loaded once per file version
    and shared: do not mutate. CheckpointError (one line) when it cannot be read."""
    from lstm_viz.models.seq2seq_files import load_seq2seq

    try:
        version = model_version(ref)
    except OSError as error:
        raise CheckpointError(f"config.json cannot be read ({error.strerror or error})") from None
    return cached_seq2seq(ref.path, version, load_seq2seq)


@st.cache_resource(max_entries=4, show_spinner="Loading the model...")
def cached_seq2seq(path: str, version: int, _load):
    return _load(path)


@st.cache_resource(max_entries=32, show_spinner="Recording the encoder and decoder...")
def seq2seq_analysis(path: str, version: int, text: str):
    """(EncoderDecoderRecording, AttentionAttribution) of ``text``: shared, read only."""
    from lstm_viz.analysis.seq2seq_attribution import attention_and_attribution
    from lstm_viz.models.seq2seq_files import load_seq2seq
    from lstm_viz.recording.seq2seq import record_seq2seq

    model = cached_seq2seq(path, version, load_seq2seq).model
    return record_seq2seq(model, [text]), attention_and_attribution(model, text)


# ---- time series (issue 18): an autoencoder's anomalies, a forecaster's forecasts ----------------
@dataclass(frozen=True)
class AnomalyRun:  # scores (anomaly.Scores), tiled (anomaly.Tiled), events: (kind, start, stop)
    scores: object
    tiled: object
    events: tuple[tuple[str, int, int], ...]


@st.cache_resource(max_entries=4, show_spinner="Loading the autoencoder...")
def cached_autoencoder(path: str, version: int):
    from lstm_viz.models.autoencoder import load_autoencoder  # noqa: I001 (imported when used)

    return load_autoencoder(path)


def anomaly_run(ref: ModelRef, seed: int, steps: int, csv_text: str | None) -> AnomalyRun:
    """On the generated ECG (anomalies injected) or one CSV column; ValueError if unreadable."""
    return cached_anomaly_run(ref.path, model_version(ref), seed, steps, csv_text)


@st.cache_resource(max_entries=8, show_spinner="Scoring every step...")
def cached_anomaly_run(path: str, version: int, seed: int, steps: int, csv_text: str | None):
    from lstm_viz.analysis.anomaly import record_tiled, score_series
    from lstm_viz.tasks.ecg import ecg_signal, inject_anomalies

    autoencoder = cached_autoencoder(path, version)
    events: tuple = ()  # the injected anomalies, when the input is generated
    if csv_text is None:
        values, found = inject_anomalies(ecg_signal(steps, seed)[0], per_kind=1, seed=seed)
        events = tuple((e.kind, e.start, e.stop) for e in found)
    else:
        values = read_csv_numbers(csv_text.encode(), 1, MAX_EXPLORE_STEPS)[:, 0].numpy()
    scores = score_series(autoencoder.model, values, autoencoder.anomaly)
    return AnomalyRun(scores, record_tiled(autoencoder.model, values), events)


@st.cache_resource(max_entries=16, show_spinner="Forecasting...")
def cached_forecast(path: str, version: int, text: str, start: int, k: int):
    """(values [T], one-step predictions [T], Forecast) of a forecaster reading ``text``."""
    from lstm_viz.analysis.forecast import free_run, one_step

    checkpoint = cached_checkpoint(path, version)
    values, model = model_inputs(checkpoint, text)[0][0, :, 0].numpy(), checkpoint.model
    return values, one_step(model, values), free_run(model, values, start, k)


def forecast(ref: ModelRef, text: str, start: int, k: int):  # see cached_forecast
    return cached_forecast(ref.path, model_version(ref), text, start, k)
