"""Finding and loading models, and the devices, for the app.

Cached loaders are keyed by strings (model id, file version), so caching hashes cleanly; the
cached model is shared by every session: copy it before changing it (see NOTES.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch

from lstm_viz.checkpoints import Checkpoint, list_checkpoints, load_checkpoint, models_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
PRETRAINED_DIR = REPO_ROOT / "pretrained"

SOURCES = ("shipped", "trained", "uploaded")
SOURCE_LABELS = {"shipped": "📦 Shipped", "trained": "🏋️ Trained", "uploaded": "📤 Uploaded"}


@dataclass(frozen=True)
class ModelRef:
    """A model the user can pick: where it came from, its name, and its folder (if on disk)."""

    source: str  # one of SOURCES
    name: str
    path: str | None = None

    @property
    def id(self) -> str:
        """A stable string id, e.g. "shipped/char-lstm"; what caches and session state key on."""
        return f"{self.source}/{self.name}"

    @property
    def label(self) -> str:
        return f"{SOURCE_LABELS.get(self.source, self.source)} · {self.name}"


def list_shipped_models(root: Path | None = None) -> list[ModelRef]:
    """Every `<root>/<name>/` that holds a config.json, sorted by name; root: pretrained/."""
    root = PRETRAINED_DIR if root is None else Path(root)
    if not root.is_dir():
        return []
    return [
        ModelRef("shipped", d.name, str(d))
        for d in sorted(root.iterdir())
        if d.is_dir() and (d / "config.json").is_file()
    ]


def list_trained_models() -> list[ModelRef]:
    """Checkpoints in the models folder ($LSTM_VIZ_MODELS_DIR, else ./models), newest first."""
    return [ModelRef("trained", p.name, str(p)) for p in list_checkpoints(models_dir())]


def find_model(model_id: str | None) -> ModelRef | None:
    """The ModelRef with this id among shipped, trained and uploaded models, or None."""
    if not model_id:
        return None
    uploaded = st.session_state.get("uploaded_models", [])
    for ref in [*list_shipped_models(), *list_trained_models(), *uploaded]:
        if ref.id == model_id:
            return ref
    return None


def load_model(ref: ModelRef) -> Checkpoint:
    """The checkpoint behind ``ref``, loaded once per file version and shared: do not mutate."""
    config = Path(ref.path) / "config.json"
    return _load_checkpoint(ref.path, config.stat().st_mtime_ns)


@st.cache_resource(max_entries=8, show_spinner="Loading the model...")
def _load_checkpoint(path: str, version: int) -> Checkpoint:
    return load_checkpoint(path)


def available_devices() -> list[str]:
    """ "cpu", then "cuda" and "mps" where this machine has them."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices
