"""Caches of the other recurrent families: encoder-decoders with attention, LSTM autoencoders,
forecasters and ConvLSTM frame models (part of app.resources)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from app.catalogue import ModelRef, model_version
from app.resources import MAX_EXPLORE_STEPS, cached_checkpoint, model_inputs
from lstm_viz.models.checkpoints import CheckpointError
from lstm_viz.numbers import read_csv_numbers
from lstm_viz.trace import Trace

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


# ---- ConvLSTM frame models (issue 19) -------------------------------------------------------


@dataclass(frozen=True)
class FrameRecording:
    """A frame model on one generated sequence: the trace (conv_lstm, steps "frame t"), the
    frames [T, C, H, W] and its prediction of each next frame [T, C, H, W]."""

    trace: Trace
    frames: np.ndarray
    prediction: np.ndarray


def record_frames(ref: ModelRef, seed: int, steps: int) -> FrameRecording:
    return cached_frame_recording(ref.path, model_version(ref), seed, steps)


@st.cache_resource(max_entries=16, show_spinner="Recording every gate map...")
def cached_frame_recording(path: str, version: int, seed: int, steps: int) -> FrameRecording:
    from lstm_viz import record
    from lstm_viz.tasks import moving_shapes

    checkpoint = cached_checkpoint(path, version)
    size = int((checkpoint.task.params if checkpoint.task else {}).get("size", 24))
    frames = moving_shapes(1, steps=steps, size=size, seed=10_000 + seed)  # [1, T, C, H, W]
    labels = [[f"frame {t}" for t in range(steps)]]
    (prediction, _), trace = record(checkpoint.model, torch.from_numpy(frames), tokens=labels)
    return FrameRecording(trace, frames[0], prediction[0].numpy())


def frame_figures(ref: ModelRef, seed: int, steps: int, layer: int, step: int, pixel, animate):
    """(frames strip, gate maps at ``step`` (with ``animate``: every step, played in the
    browser), the pixel's unit); shared, read only."""
    version = model_version(ref)
    return cached_frame_figures(ref.path, version, seed, steps, layer, step, pixel, animate)


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_frame_figures(path, version, seed, steps, layer, step, pixel, animate):
    from lstm_viz.figures.frames import frames_figure, gate_maps_figure, unit_of

    recording = cached_frame_recording(path, version, seed, steps)
    strip = frames_figure(recording.frames, recording.prediction, step)
    maps = gate_maps_figure(recording.trace, layer, step, pixel=pixel, animate=animate)
    return strip, maps, unit_of(recording.trace, *pixel)
