"""The app's one home for cached work: the catalogue of models, checkpoints, recordings, and the
small results pages reuse (default inputs, unit orders, predictions, lessons' measurements).
Analyze's corpora live in app/corpora.py.

Cached functions take strings and numbers (model path, file version, text, device), so caching
hashes cleanly; the public wrappers take a ModelRef. A cached model or recording is shared by
every session: copy it before changing it (see NOTES.md).
"""

from __future__ import annotations

import copy
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import streamlit as st
import torch

from app import state
from lstm_viz.models.checkpoints import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    models_dir,
    scan_checkpoints,
)
from lstm_viz.numbers import format_numbers, parse_numbers, read_csv_numbers
from lstm_viz.trace import Trace

REPO_ROOT = Path(__file__).resolve().parents[1]
PRETRAINED_DIR = REPO_ROOT / "pretrained"

# The model the app opens on (issue 5): the English character model, read "The cat sat on the mat."
DEFAULT_MODEL = "shipped/english-char-lstm"
DEFAULT_TEXT = "The cat sat on the mat."

SOURCE_LABELS = {"shipped": "📦 Shipped", "trained": "🏋️ Trained", "uploaded": "📤 Uploaded"}


# ---- the catalogue of models --------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRef:
    """A model the user can pick: where it came from, its name, and its folder (if on disk)."""

    source: str  # "shipped", "trained" or "uploaded" (a key of SOURCE_LABELS)
    name: str
    path: str | None = None
    problem: str | None = None  # why the folder cannot be read (a one-line reason), or None

    @property
    def id(self) -> str:
        """A stable string id, e.g. "shipped/char-lstm"; what caches and session state key on."""
        return f"{self.source}/{self.name}"

    @property
    def label(self) -> str:
        if self.problem:
            return f"⚠️ {SOURCE_LABELS.get(self.source, self.source)} · {self.name} (unreadable)"
        return f"{SOURCE_LABELS.get(self.source, self.source)} · {self.name}"


def shipped_dir() -> Path:
    """Where shipped models live: $LSTM_VIZ_PRETRAINED_DIR, else the repository's pretrained/."""
    return Path(os.environ.get("LSTM_VIZ_PRETRAINED_DIR") or PRETRAINED_DIR)


def list_shipped_models(root: Path | None = None) -> list[ModelRef]:
    """Every readable checkpoint folder `<root>/<name>/`: the default model first, then by name
    (unreadable ones: list_unreadable_models). root: shipped_dir()."""
    root = shipped_dir() if root is None else Path(root)
    good, _ = scan_checkpoints(root)
    refs = [ModelRef("shipped", p.name, str(p)) for p in sorted(good, key=lambda p: p.name)]
    return sorted(refs, key=lambda ref: ref.id != DEFAULT_MODEL)  # stable: by name otherwise


def list_trained_models() -> list[ModelRef]:
    """Readable checkpoints in the models folder ($LSTM_VIZ_MODELS_DIR, else ./models), newest
    first (unreadable ones: list_unreadable_models)."""
    return [ModelRef("trained", p.name, str(p)) for p in scan_checkpoints(models_dir())[0]]


def list_unreadable_models() -> list[ModelRef]:
    """Folders among the shipped and trained models that cannot be read, each with its reason
    in ``problem`` (one line; user-controlled text: escape it before rendering Markdown)."""
    return [
        ModelRef(source, path.name, str(path), reason)
        for source, root in (("shipped", shipped_dir()), ("trained", models_dir()))
        for path, reason in scan_checkpoints(root)[1]
    ]


def list_uploaded_models() -> list[ModelRef]:
    """Models uploaded in this browser session (the Upload page adds them)."""
    return list(st.session_state.get(state.UPLOADED_MODELS, []))


def all_models(unreadable: bool = False) -> list[ModelRef]:
    """The catalogue: shipped, then trained (newest first), then this session's uploads; with
    ``unreadable``, then the folders that cannot be read (each with its ``problem``)."""
    models = [*list_shipped_models(), *list_trained_models(), *list_uploaded_models()]
    return models + list_unreadable_models() if unreadable else models


def find_model(model_id: str | None) -> ModelRef | None:
    """The ModelRef with this id in the catalogue (an unreadable one has its reason in
    ``problem``), or None."""
    if not model_id:
        return None
    return next((ref for ref in all_models(unreadable=True) if ref.id == model_id), None)


def model_version(ref: ModelRef) -> int:
    """The checkpoint's file version (config.json's mtime in ns): part of every cache key."""
    return (Path(ref.path) / "config.json").stat().st_mtime_ns


def available_devices() -> list[str]:
    """ "cpu", then "cuda" and "mps" where this machine has them."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


# ---- checkpoints --------------------------------------------------------------------------------


def load_model(ref: ModelRef) -> Checkpoint:
    """The checkpoint behind ``ref``, loaded once per file version and shared: do not mutate.
    CheckpointError (a ValueError, one line) when it cannot be read."""
    if ref.problem:
        raise CheckpointError(ref.problem)
    try:
        version = model_version(ref)
    except OSError as error:
        raise CheckpointError(f"config.json cannot be read ({error.strerror or error})") from None
    return cached_checkpoint(ref.path, version)


@st.cache_resource(max_entries=8, show_spinner="Loading the model...")
def cached_checkpoint(path: str, version: int) -> Checkpoint:
    """The checkpoint at ``path`` (``version``: model_version, so a new file reloads)."""
    return load_checkpoint(path)


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
