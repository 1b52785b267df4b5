"""Fixtures shared by the export tests."""

from pathlib import Path

import pytest

from lstm_viz.models.checkpoints import load_checkpoint

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def english():
    """The shipped English character model (read-only: shared by a module's tests)."""
    return load_checkpoint(ROOT / "pretrained" / "english-char-lstm")
