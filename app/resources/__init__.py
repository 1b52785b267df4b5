"""The app's one home for cached work: checkpoints, recordings, shared heatmap figures, and the
small results pages reuse (default inputs, unit orders, predictions, lessons' measurements).
Analyze's corpora live in app/corpora/; the catalogue of models in app/catalogue.py (its names
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
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
import torch

from app import heatmap_figures as figures
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
from app.resources.cores import all_cores_if_alone, page_run, recurrent_macs  # noqa: F401
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
    stamp = scales_stamp(ref)
    return None if stamp is None else cached_scales(ref.path, stamp)


def scales_stamp(ref: ModelRef) -> int | None:
    """The modification time (ns) of ``ref``'s scales.json, None when it has none: the key of
    every cache built on the model's colour scales (a new scales.json builds them again)."""
    if ref.path is None:
        return None
    try:
        return (Path(ref.path) / "scales.json").stat().st_mtime_ns
    except OSError:
        return None


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
    kind, *reads = checkpoint.input_signature
    if kind == "frames":
        raise ValueError(
            f"{checkpoint.name} is a ConvLSTM that reads frames, not text or numbers: open it "
            "on its own in Explore"
        )
    if vocab is None:
        values = parse_numbers(text, reads[0])  # [T, F]
        tokens = [" ".join(f"{v:.3g}" for v in row) for row in values.tolist()]
        inputs, unknown = values[None], [False] * len(tokens)
    else:
        tokens = vocab.tokenize(text)
        if not tokens:
            what = "characters" if vocab.level == "char" else "words"
            raise ValueError(f"the input is empty: type some text (the model reads {what})")
        unknown = vocab.unknown(tokens)
        inputs = torch.tensor([vocab.encode(tokens)], dtype=torch.int64)  # [1, T]
    if len(tokens) > MAX_EXPLORE_STEPS:
        what = "steps" if vocab is None else {"char": "characters"}.get(vocab.level, "words")
        raise ValueError(
            f"the input has {len(tokens):,} {what} (one step each); Explore reads at most "
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
    kind, *reads = checkpoint.input_signature
    if kind == "frames":  # no text box: Explore shows a frame model's own sequences
        return ""
    sample = None
    try:
        task = from_info(checkpoint.task)
        sample = None if task is None else task.sample()
    except Exception:  # an old or foreign checkpoint: fall back below
        sample = None
    if kind == "numbers":
        size = reads[0]
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
    macs = recurrent_macs(model, inputs.shape[1]) if device == "cpu" else 0.0
    with all_cores_if_alone(macs):  # a long recording alone on the server: every core
        _, trace = record(model, inputs, tokens=[tokens])
    return Recording(trace, tuple(tokens), tuple(unknown), checkpoint.vocab is None)


def html_page(ref: ModelRef, text: str, device: str = "cpu") -> bytes:
    """The self-contained HTML page (lstm_viz.export.html) of ``ref`` reading ``text``, UTF-8,
    built once per recording. Its colours are Explore's: the model's fixed scales
    (model_scales, from scales.json) when it has them, this input's range otherwise, and the
    page says which. ExportError (a ValueError) for a recording too long for a page."""
    stamp = scales_stamp(ref)
    return cached_html_page(ref.path, model_version(ref), text, device, ref.name, stamp)


# cache_resource: the page is about 5 MB (plotly.js embedded) and read-only; 4 kept.
@st.cache_resource(max_entries=4, show_spinner="Writing the page (every heatmap, plotly.js)...")
def cached_html_page(
    path: str, version: int, text: str, device: str, name: str, scales: int | None
) -> bytes:
    """``scales``: scales_stamp of the model (None: it has no scales.json)."""
    from lstm_viz.export.html import export_html

    trace = cached_recording(path, version, text, device).trace
    fixed = None if scales is None else cached_scales(path, scales)  # the same as Explore's
    return export_html(trace, model=name, text=text, scales=fixed).encode("utf-8")


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
    from lstm_viz.models import head

    checkpoint = cached_checkpoint(path, version)
    inputs, tokens, _ = model_inputs(checkpoint, text)
    probabilities = next_token_probabilities(checkpoint.model, inputs)
    config, vocab = checkpoint.model.config, checkpoint.vocab
    outputs = None  # a model trained here: output i scores vocab.tokens[i]
    if config.objective != "next_token":  # an upload whose head scores the next token
        outputs = head.next_token_outputs(checkpoint.info, config.num_outputs, len(vocab))
    ids = head.only_ids(checkpoint.info)
    return top_k_table(probabilities, tokens, vocab, k, outputs=outputs, ids=ids)


def recording_key(ref: ModelRef, text: str, device: str = "cpu") -> str:
    """A string naming the recording record_text returns (model folder, file version, device,
    text): what caches of things drawn from that recording key on (e.g. shared figures)."""
    return "\x1f".join((ref.path or ref.id, str(model_version(ref)), device, text))


# Keyed by strings and numbers; ``_trace`` (not hashed) is the one ``recording`` names. 32 panels
# of 6 heatmaps, at most ~0.8 MB each (300 columns x 64 units x 6 quantities of float32).
@st.cache_resource(max_entries=32, show_spinner=False)
def shared_heatmap_panel(recording: str, window: tuple, _trace: Trace):
    """app.heatmap_figures.build_heatmap_panel(_trace, *window), cached per recording and window
    and shared by every session: read only. The followed unit is not part of it."""
    return figures.build_heatmap_panel(_trace, *window)


# 96 base figures (16 pages of 6 heatmaps) on a fixed scale, and 96 outlined ones.
@st.cache_resource(max_entries=96, show_spinner=False)
def shared_scaled_figure(recording: str, window: tuple, name: str, bound, _trace: Trace):
    """app.heatmap_figures.panel_figure of the shared panel on the colour range ``bound``."""
    return figures.panel_figure(
        _trace, shared_heatmap_panel(recording, window, _trace), name, bound
    )


@st.cache_resource(max_entries=96, show_spinner=False)
def shared_heatmap_figure(recording: str, choice: tuple, _trace: Trace) -> go.Figure:
    """app.heatmap_figures.build_heatmap_figure(_trace, *choice), cached per recording and
    choice and shared by every session: read only (st.plotly_chart copies it). The heatmap
    comes from the shared panel; only the outline is drawn per unit."""
    name, window, highlight, row, bound = figures.split_choice(choice)
    return figures.outlined(
        shared_scaled_figure(recording, window, name, bound, _trace), highlight, row
    )


# The rest of this home, one module each; their names are re-exported here.
from app.resources.families import *  # noqa: E402, F403 - re-exported
from app.resources.lessons import *  # noqa: E402, F403 - re-exported
