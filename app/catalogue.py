"""The catalogue of models a user can pick: shipped (pretrained/), trained (the models folder)
and uploaded in this session, as ModelRef; ``all_models()`` is the one list every page reads.
Nothing here is cached or loaded (loading: app/resources/)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch

from app import state
from lstm_viz.models.autoencoder import is_autoencoder
from lstm_viz.models.checkpoints import models_dir, scan_checkpoints
from lstm_viz.models.seq2seq_files import is_seq2seq_folder

REPO_ROOT = Path(__file__).resolve().parents[1]
PRETRAINED_DIR = REPO_ROOT / "pretrained"

# The model the app opens on (issue 5): the English character model, read "The cat sat on the mat."
DEFAULT_MODEL = "shipped/english-char-lstm"
DEFAULT_TEXT = "The cat sat on the mat."

SOURCE_LABELS = {"shipped": "📦 Shipped", "trained": "🏋️ Trained", "uploaded": "📤 Uploaded"}


@dataclass(frozen=True)
class ModelRef:
    """A model the user can pick: where it came from, its name, and its folder (if on disk)."""

    source: str  # "shipped", "trained" or "uploaded" (a key of SOURCE_LABELS)
    name: str
    path: str | None = None
    problem: str | None = None  # why the folder cannot be read (a one-line reason), or None
    # "sequence" (a lstm_viz checkpoint), "seq2seq" (an encoder-decoder with attention) or
    # "autoencoder" (an LSTM autoencoder)
    kind: str = "sequence"

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
    refs = sorted([*refs, *encoder_decoders("shipped", root)], key=lambda ref: ref.name)
    return sorted(refs, key=lambda ref: ref.id != DEFAULT_MODEL)  # stable: by name otherwise


def encoder_decoders(source: str, root: Path) -> list[ModelRef]:
    """The encoder-decoder folders under ``root`` (config.json format lstm_viz.seq2seq), which
    scan_checkpoints counts as unreadable sequence checkpoints; kind "seq2seq"."""
    if not root.is_dir():
        return []
    return [
        ModelRef(source, p.name, str(p), kind="seq2seq")
        for p in sorted(root.iterdir())
        if not p.name.startswith(".") and is_seq2seq_folder(p)
    ]


def list_autoencoders() -> list[ModelRef]:
    """LSTM autoencoder folders (lstm_viz.models.autoencoder) among the shipped and trained
    models, by name. Only Explore opens them; all_models() (what other pages pick from) leaves
    them out."""
    refs = []
    for source, root in (("shipped", shipped_dir()), ("trained", models_dir())):
        try:
            folders = sorted(root.iterdir()) if root.is_dir() else []
        except OSError:
            continue
        refs += [
            ModelRef(source, p.name, str(p), kind="autoencoder")
            for p in folders
            if not p.name.startswith(".") and is_autoencoder(p)
        ]
    return refs


def list_trained_models() -> list[ModelRef]:
    """Readable checkpoints in the models folder ($LSTM_VIZ_MODELS_DIR, else ./models), newest
    first (unreadable ones: list_unreadable_models)."""
    trained = [ModelRef("trained", p.name, str(p)) for p in scan_checkpoints(models_dir())[0]]
    return trained + encoder_decoders("trained", models_dir())


def list_unreadable_models() -> list[ModelRef]:
    """Folders among the shipped and trained models that cannot be read, each with its reason
    in ``problem`` (one line; user-controlled text: escape it before rendering Markdown)."""
    return [
        ModelRef(source, path.name, str(path), reason)
        for source, root in (("shipped", shipped_dir()), ("trained", models_dir()))
        for path, reason in scan_checkpoints(root)[1]
        if not is_seq2seq_folder(path) and not is_autoencoder(path)  # read by their own loaders
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
    refs = [*all_models(unreadable=True), *list_autoencoders()]
    return next((ref for ref in refs if ref.id == model_id), None)


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
