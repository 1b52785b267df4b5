"""Shared fixtures. Run pytest from the repository root (AppTest reads .streamlit/ from there)."""

import os
import sys

import pytest


def pytest_configure(config):
    """Under pytest-xdist each worker computes with one torch thread: two workers with torch's
    two OpenMP threads each on a 2-core machine wait on each other (see app/resources/'s
    serve_torch_threads for the same effect in the server)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _private_models_dir(tmp_path, monkeypatch):
    """Every test gets an empty models folder of its own, never the user's ./models."""
    monkeypatch.setenv("LSTM_VIZ_MODELS_DIR", str(tmp_path / "models"))


@pytest.fixture(autouse=True)
def _no_shipped_models(tmp_path, monkeypatch):
    """Tests see no shipped models unless they ask for them (the `shipped_models` fixture), so
    what a test checks does not change when a model is added to pretrained/."""
    monkeypatch.setenv("LSTM_VIZ_PRETRAINED_DIR", str(tmp_path / "no-shipped-models"))


@pytest.fixture
def shipped_models(monkeypatch):
    """The repository's pretrained/ models, as a user sees them."""
    monkeypatch.delenv("LSTM_VIZ_PRETRAINED_DIR")


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """st.cache_* outlive an AppTest instance; start every test from empty caches.

    Streamlit is imported only by tests that use it; library tests stay free of it.
    """
    yield
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.fixture(scope="session")
def convlstm_keras_files(tmp_path_factory):
    """Keras ConvLSTM2D files made once per session (tests/convlstm_keras.py); needs keras."""
    from importlib.util import find_spec

    from tests.convlstm_keras import make_convlstm_keras_files

    if find_spec("keras") is None:  # not imported here: the files are made in a child
        pytest.skip("needs keras")

    return make_convlstm_keras_files(tmp_path_factory.mktemp("convlstm-keras"))
