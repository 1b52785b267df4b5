"""Finding models and devices for the app.

App-side for now; checkpoint loading will move into lstm_viz.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
PRETRAINED_DIR = REPO_ROOT / "pretrained"
MODELS_DIR_ENV = "LSTM_VIZ_MODELS_DIR"

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


def models_dir() -> Path:
    """Where trained models are saved: $LSTM_VIZ_MODELS_DIR, else ./models."""
    return Path(os.environ.get(MODELS_DIR_ENV) or "models")


def available_devices() -> list[str]:
    """ "cpu", then "cuda" and "mps" where this machine has them."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices
