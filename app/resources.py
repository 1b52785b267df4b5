"""Finding and loading models, and the devices, for the app.

Cached loaders are keyed by strings (model id, file version), so caching hashes cleanly; the
cached model is shared by every session: copy it before changing it (see NOTES.md).
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch

from lstm_viz.models.checkpoints import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    models_dir,
    scan_checkpoints,
)
from lstm_viz.numbers import format_numbers, parse_numbers, read_csv_numbers

REPO_ROOT = Path(__file__).resolve().parents[1]
PRETRAINED_DIR = REPO_ROOT / "pretrained"

# The model the app opens on (issue 5): the English character model, read "The cat sat on the mat."
DEFAULT_MODEL = "shipped/english-char-lstm"
DEFAULT_TEXT = "The cat sat on the mat."

SOURCES = ("shipped", "trained", "uploaded")
SOURCE_LABELS = {"shipped": "📦 Shipped", "trained": "🏋️ Trained", "uploaded": "📤 Uploaded"}


@dataclass(frozen=True)
class ModelRef:
    """A model the user can pick: where it came from, its name, and its folder (if on disk)."""

    source: str  # one of SOURCES
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


def find_model(model_id: str | None) -> ModelRef | None:
    """The ModelRef with this id among shipped, trained and uploaded models (an unreadable one
    has its reason in ``problem``), or None."""
    if not model_id:
        return None
    uploaded = st.session_state.get("uploaded_models", [])
    found = [*list_shipped_models(), *list_trained_models(), *uploaded, *list_unreadable_models()]
    for ref in found:
        if ref.id == model_id:
            return ref
    return None


def load_model(ref: ModelRef) -> Checkpoint:
    """The checkpoint behind ``ref``, loaded once per file version and shared: do not mutate.
    CheckpointError (a ValueError, one line) when it cannot be read."""
    if ref.problem:
        raise CheckpointError(ref.problem)
    try:
        version = (Path(ref.path) / "config.json").stat().st_mtime_ns
    except OSError as error:
        raise CheckpointError(f"config.json cannot be read ({error.strerror or error})") from None
    return _load_checkpoint(ref.path, version)


@st.cache_resource(max_entries=8, show_spinner="Loading the model...")
def _load_checkpoint(path: str, version: int) -> Checkpoint:
    return load_checkpoint(path)


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


_LAST_COLLECTION = [time.monotonic()]
GARBAGE_EVERY_SECONDS = 30.0


def collect_garbage(every: float = GARBAGE_EVERY_SECONDS) -> bool:
    """A full garbage collection at most once per ``every`` seconds; True when one ran.

    The server runs without Streamlit's collection after every page run (about 100 ms of held
    GIL each time with torch loaded: .streamlit/config.toml), but a dropped session's state sits
    in reference cycles that only a full collection frees, and with it the session's upload
    folder (lstm_viz/importers/_workspace.py). One collection every half minute frees them."""
    now = time.monotonic()
    if now - _LAST_COLLECTION[0] < every:
        return False
    _LAST_COLLECTION[0] = now
    gc.collect()
    return True


def available_devices() -> list[str]:
    """ "cpu", then "cuda" and "mps" where this machine has them."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


# ---- Explore: inputs as the model sees them, and cached recordings ------------------------------

MAX_EXPLORE_STEPS = 5_000  # tokens or time steps one recording reads (the page says so)


@dataclass(frozen=True)
class Recording:
    """What the model did on one input: the trace and the tokens as the model read them.

    tokens: one label per step (a token, or the numbers of a numeric step); unknown: per step,
    True where the vocabulary lacks the token (the model read <unk> there); numeric: the model
    reads numbers, not tokens.
    """

    trace: object  # lstm_viz.Trace (object: keeps this module's import light for type checkers)
    tokens: tuple[str, ...]
    unknown: tuple[bool, ...]
    numeric: bool


def model_version(ref: ModelRef) -> int:
    """The checkpoint's file version (config.json's mtime in ns): part of every cache key."""
    return (Path(ref.path) / "config.json").stat().st_mtime_ns


def csv_to_text(data: bytes, input_size: int) -> str:
    """A CSV file's first ``input_size`` numeric columns (up to MAX_EXPLORE_STEPS rows) as text
    for the input box; ValueError when it cannot be read (see read_csv_numbers)."""
    return format_numbers(read_csv_numbers(data, input_size, MAX_EXPLORE_STEPS))


def default_input(ref: ModelRef) -> str:
    """A cheap, sensible first input for the model: its task's sample (see Task.sample)."""
    return _default_input(ref.path, model_version(ref))


@st.cache_data(max_entries=32, show_spinner=False)
def _default_input(path: str, version: int) -> str:
    from lstm_viz.tasks import TASKS, make_task

    checkpoint = _load_checkpoint(path, version)
    task = checkpoint.info.get("task") or {}
    sample = None
    if task.get("name") in TASKS:
        try:
            sample = make_task(task["name"], **(task.get("params") or {})).sample()
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
    return "The cat sat on the mat."


def read_input(ref: ModelRef, text: str):
    """``text`` as the model reads it: (inputs [1, T] ids or [1, T, F], tokens, unknown flags).

    ValueError (a message for the page) for an empty input or more than MAX_EXPLORE_STEPS steps.
    """
    checkpoint = load_model(ref)
    return _read_input(checkpoint, text)


def _read_input(checkpoint: Checkpoint, text: str):
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


def recording_key(ref: ModelRef, text: str, device: str = "cpu") -> str:
    """A string naming the recording record_text returns (model folder, file version, device,
    text): what caches of things drawn from that recording key on (e.g. shared figures)."""
    return "\x1f".join((ref.path or ref.id, str(model_version(ref)), device, text))


def record_text(ref: ModelRef, text: str, device: str = "cpu") -> Recording:
    """Record every gate of ``ref``'s model reading ``text``; cached per (model, text, device).

    ValueError for input the model cannot read (see read_input).
    """
    return _record_text(ref.path, model_version(ref), text, device)


# cache_resource, not cache_data: a recording is read-only and can be large (5,000 steps x 1,024
# units is 120 MB per layer); cache_data would unpickle a fresh copy on every rerun.
@st.cache_resource(max_entries=16, show_spinner="Recording every gate...")
def _record_text(path: str, version: int, text: str, device: str) -> Recording:
    import copy

    from lstm_viz import record

    checkpoint = _load_checkpoint(path, version)
    inputs, tokens, unknown = _read_input(checkpoint, text)
    model = checkpoint.model
    if device != "cpu":  # the cached model is shared: move a copy, never the model itself
        model = copy.deepcopy(model).to(device)
        inputs = inputs.to(device)
    _, trace = record(model, inputs, tokens=[tokens])
    return Recording(trace, tuple(tokens), tuple(unknown), checkpoint.vocab is None)
