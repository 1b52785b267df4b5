"""The app's one home for cached work: checkpoints, recordings, shared heatmap figures, and the
small results pages reuse (default inputs, unit orders, predictions, lessons' measurements).
Analyze's corpora live in app/corpora.py; the catalogue of models in app/catalogue.py (its names
are re-exported here).

Cached functions take strings and numbers (model path, file version, text, device), so caching
hashes cleanly; the public wrappers take a ModelRef. A cached model or recording is shared by
every session: copy it before changing it (see NOTES.md).
"""

from __future__ import annotations

import copy
import gc
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

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
from lstm_viz.models.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from lstm_viz.numbers import format_numbers, parse_numbers, read_csv_numbers
from lstm_viz.trace import Trace

TORCH_THREADS_ENV = "LSTM_VIZ_TORCH_THREADS"


def serve_torch_threads() -> int:
    """One torch thread per operation in the server ($LSTM_VIZ_TORCH_THREADS overrides); returns
    the number set. Sessions already run side by side in their own threads: with torch's two
    OpenMP threads per operation on a busy 2-core machine, recording the default sentence took
    0.9-1.1 s instead of 2-8 ms (the threads wait on each other; benchmarks/classroom_load.py).
    Threads started after the call use the setting (torch keeps it process-wide)."""
    try:
        threads = max(1, int(os.environ.get(TORCH_THREADS_ENV) or 1))
    except ValueError:
        threads = 1
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


LAST_COLLECTION = [time.monotonic()]
GARBAGE_EVERY_SECONDS = 30.0


def collect_garbage(every: float = GARBAGE_EVERY_SECONDS) -> bool:
    """A full garbage collection at most once per ``every`` seconds; True when one ran.

    The server runs without Streamlit's collection after every page run (about 100 ms of held
    GIL each time with torch loaded: .streamlit/config.toml), but a dropped session's state sits
    in reference cycles that only a full collection frees, and with it the session's upload
    folder (lstm_viz/importers/_workspace.py). One collection every half minute frees them."""
    now = time.monotonic()
    if now - LAST_COLLECTION[0] < every:
        return False
    LAST_COLLECTION[0] = now
    gc.collect()
    return True


# ---- checkpoints --------------------------------------------------------------------------------


def load_model(ref: ModelRef) -> Checkpoint:
    """The checkpoint behind ``ref``, loaded once per file version and shared: do not mutate.
    CheckpointError (a ValueError, one line) when it cannot be read."""
    if ref.problem:
        raise CheckpointError(ref.problem)
    if ref.kind == "seq2seq":
        raise CheckpointError(
            f"{ref.name} is an encoder-decoder with attention; this page reads one-network "
            "sequence models. Open it in Explore, which shows its attention and both networks"
        )
    try:
        version = model_version(ref)
    except OSError as error:
        raise CheckpointError(f"config.json cannot be read ({error.strerror or error})") from None
    return cached_checkpoint(ref.path, version)


@st.cache_resource(max_entries=8, show_spinner="Loading the model...")
def cached_checkpoint(path: str, version: int) -> Checkpoint:
    """The checkpoint at ``path`` (``version``: model_version, so a new file reloads)."""
    return load_checkpoint(path)


def model_scales(ref: ModelRef):
    """The model's fixed colour scales (lstm_viz.analysis.scales.Scales) from its scales.json,
    or None when it has none (or an unreadable one: the page then says which scale it uses)."""
    if ref.path is None:
        return None
    path = Path(ref.path) / "scales.json"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    return cached_scales(ref.path, stamp)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_scales(path: str, stamp: int):
    from lstm_viz.analysis.scales import read_scales

    try:
        return read_scales(path)
    except CheckpointError:
        return None


def card_claim(ref: ModelRef):
    """The measured unit its model card states (lstm_viz.pretrained.cards.UnitClaim), or None
    for a model without a card."""
    if ref.path is None:
        return None
    path = Path(ref.path) / "README.md"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    return cached_card_claim(ref.path, stamp)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_card_claim(path: str, stamp: int):
    from lstm_viz.pretrained.cards import read_card

    try:
        return read_card(path)[2]
    except ValueError:
        return None


# ---- Explore: inputs as the model sees them, and cached recordings ------------------------------

MAX_EXPLORE_STEPS = 5_000  # tokens or time steps one recording reads (the page says so)


@dataclass(frozen=True)
class Recording:
    """What the model did on one input: the trace and the tokens as the model read them.

    tokens: one label per step (a token, or the numbers of a numeric step); unknown: per step,
    True where the vocabulary lacks the token (the model read <unk> there); numeric: the model
    reads numbers, not tokens.
    """

    trace: Trace
    tokens: tuple[str, ...]
    unknown: tuple[bool, ...]
    numeric: bool


def csv_to_text(data: bytes, input_size: int) -> str:
    """A CSV file's first ``input_size`` numeric columns (up to MAX_EXPLORE_STEPS rows) as text
    for the input box; ValueError when it cannot be read (see read_csv_numbers)."""
    return format_numbers(read_csv_numbers(data, input_size, MAX_EXPLORE_STEPS))


def model_inputs(checkpoint: Checkpoint, text: str):
    """``text`` as the model reads it: (inputs [1, T] ids or [1, T, F], tokens, unknown flags).

    ValueError (a message for the page) for an empty input or more than MAX_EXPLORE_STEPS steps.
    """
    vocab = checkpoint.vocab
    if vocab is None:
        values = parse_numbers(text, checkpoint.model.config.input_size)  # [T, F]
        tokens = [" ".join(f"{v:.3g}" for v in row) for row in values.tolist()]
        inputs, unknown = values[None], [False] * len(tokens)
    else:
        tokens = vocab.tokenize(text)
        if not tokens:
            what = "characters" if vocab.level == "char" else "words"
            raise ValueError(f"type some text: the model reads {what}")
        unknown = vocab.unknown(tokens)
        inputs = torch.tensor([vocab.encode(tokens)], dtype=torch.int64)  # [1, T]
    if len(tokens) > MAX_EXPLORE_STEPS:
        raise ValueError(
            f"the input has {len(tokens):,} steps; Explore reads at most "
            f"{MAX_EXPLORE_STEPS:,}: shorten it"
        )
    return inputs, tokens, unknown


def default_input(ref: ModelRef) -> str:
    """A cheap, sensible first input for the model: its task's sample (see Task.sample)."""
    return cached_default_input(ref.path, model_version(ref))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_default_input(path: str, version: int) -> str:
    from lstm_viz.tasks import from_info

    checkpoint = cached_checkpoint(path, version)
    sample = None
    try:
        task = from_info(checkpoint.task)
        sample = None if task is None else task.sample()
    except Exception:  # an old or foreign checkpoint: fall back below
        sample = None
    if checkpoint.vocab is None:
        size = checkpoint.model.config.input_size
        if not isinstance(sample, torch.Tensor) or sample.shape[-1] != size:
            sample = torch.sin(torch.arange(40, dtype=torch.float32) / 4)[:, None].repeat(1, size)
        return format_numbers(sample[:MAX_EXPLORE_STEPS])
    if isinstance(sample, str) and sample.strip():
        # A text box holds one line: the first line that has something in it.
        return next(line for line in sample.split("\n") if line.strip())[:500]
    return DEFAULT_TEXT


def record_text(ref: ModelRef, text: str, device: str = "cpu") -> Recording:
    """Record every gate of ``ref``'s model reading ``text``; cached per (model, text, device).

    ValueError for input the model cannot read (see model_inputs).
    """
    return cached_recording(ref.path, model_version(ref), text, device)


# cache_resource, not cache_data: a recording is read-only and can be large (5,000 steps x 1,024
# units is 120 MB per layer); cache_data would unpickle a fresh copy on every rerun.
@st.cache_resource(max_entries=16, show_spinner="Recording every gate...")
def cached_recording(path: str, version: int, text: str, device: str) -> Recording:
    from lstm_viz import record

    checkpoint = cached_checkpoint(path, version)
    inputs, tokens, unknown = model_inputs(checkpoint, text)
    model = checkpoint.model
    if device != "cpu":  # the cached model is shared: move a copy, never the model itself
        model = copy.deepcopy(model).to(device)
        inputs = inputs.to(device)
    _, trace = record(model, inputs, tokens=[tokens])
    return Recording(trace, tuple(tokens), tuple(unknown), checkpoint.vocab is None)


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


def unit_order(
    ref: ModelRef,
    text: str,
    device: str,
    layer: int,
    direction: int,
    method: str,
    quantity: str,
    top_k: int | None,
):
    """The units to show, in order (lstm_viz.figures.ordering), cached per recording and choice."""
    return cached_unit_order(
        ref.path, model_version(ref), text, device, layer, direction, method, quantity, top_k
    )


@st.cache_data(max_entries=64, show_spinner=False)
def cached_unit_order(path, version, text, device, layer, direction, method, quantity, top_k):
    from lstm_viz.figures.ordering import order_units

    trace = cached_recording(path, version, text, device).trace
    values = trace[quantity][layer, direction, 0].numpy()  # [time, unit]
    return order_units(values, method, quantity, top_k)


def predictions(ref: ModelRef, text: str, k: int):
    """The top-k table (lstm_viz.figures.predictions.top_k_table) of ``ref`` reading ``text``."""
    return cached_predictions(ref.path, model_version(ref), text, k)


@st.cache_data(max_entries=16, show_spinner="Predicting...")
def cached_predictions(path: str, version: int, text: str, k: int):
    from lstm_viz.figures.predictions import next_token_probabilities, top_k_table

    checkpoint = cached_checkpoint(path, version)
    inputs, tokens, _ = model_inputs(checkpoint, text)
    probabilities = next_token_probabilities(checkpoint.model, inputs)
    return top_k_table(probabilities, tokens, checkpoint.vocab, k)


def recording_key(ref: ModelRef, text: str, device: str = "cpu") -> str:
    """A string naming the recording record_text returns (model folder, file version, device,
    text): what caches of things drawn from that recording key on (e.g. shared figures)."""
    return "\x1f".join((ref.path or ref.id, str(model_version(ref)), device, text))


# Keyed by strings and numbers only; the trace (``_trace``, not hashed) is the one ``recording``
# names. 96 figures: 16 pages of 6 heatmaps, at most about 0.5 MB each (300 columns x 64 units x
# 6 quantities of float32, the largest window Explore shows).
@st.cache_resource(max_entries=96, show_spinner=False)
def shared_heatmap_figure(recording: str, choice: tuple, _trace: Trace) -> go.Figure:
    """build_heatmap_figure(_trace, *choice), cached per recording and choice (the arguments
    after the trace: strings and numbers) and shared by every session: read only
    (st.plotly_chart copies it)."""
    return build_heatmap_figure(_trace, *choice)


def build_heatmap_figure(
    trace: Trace,
    name: str,
    layer: int,
    direction: int,
    max_steps: int,
    max_units: int,
    unit_start: int,
    units: tuple[int, ...] | None,
    highlight: int | None,
    row: float | None,
    bound: float | None = None,
    numeric: bool = False,
) -> go.Figure:
    """lstm_viz.figures.heatmap.heatmap of ``name``, ``highlight``'s row (at ``row``; None: off
    screen) outlined in red; ``bound``: the model's fixed colour range for an unbounded
    quantity (None: this input's)."""
    from lstm_viz.figures.heatmap import heatmap

    figure = heatmap(
        trace,
        name,
        layer=layer,
        direction=direction,
        max_steps=max_steps,
        max_units=max_units,
        unit_start=unit_start,
        units=units,
        bound=bound,
        numeric=numeric,
    )
    if row is not None:
        figure.add_shape(
            type="rect",
            xref="paper",
            x0=0,
            x1=1,
            y0=row - 0.5,
            y1=row + 0.5,
            line=dict(color="#d62728", width=2),
            name=f"unit {highlight}",
        )
    return figure


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
