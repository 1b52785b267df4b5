"""Recordings made elsewhere: LSTMVis projects and corpus stores (part of app.corpora)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app.resources import REPO_ROOT
from lstm_viz.trace import Trace

# ---- recordings made elsewhere: LSTMVis projects and corpus stores -----------------------------

RECORDINGS_ENV = "LSTM_VIZ_RECORDINGS"  # folders (os.pathsep-separated) the server offers


def recording_roots() -> list[Path]:
    """The folders whose recordings this server offers: $LSTM_VIZ_RECORDINGS (set by whoever
    runs the server), else ./recordings. Users pick from what is there, never type a path."""
    given = os.environ.get(RECORDINGS_ENV)
    if given is None:
        return [REPO_ROOT / "recordings"]
    return [Path(p).expanduser() for p in given.split(os.pathsep) if p.strip()]


def offered_recordings():
    """The LSTMVis projects and corpus stores in recording_roots() (lstm_viz.export.folders)."""
    from lstm_viz.export.folders import find_recordings

    return find_recordings(recording_roots())


def folder_version(path: str) -> int:
    """The newest mtime (ns) of the files directly in ``path``: a new file reloads the cache."""
    return max((p.stat().st_mtime_ns for p in Path(path).iterdir()), default=0)


def lstmvis_project(path: str):
    """The LSTMVis project at ``path`` (lstm_viz.export.lstmvis.read_lstmvis), read once per
    version and shared: do not mutate. ExportError (a ValueError) when it cannot be read."""
    return cached_lstmvis(path, folder_version(path))


@st.cache_resource(max_entries=4, show_spinner="Reading the LSTMVis project...")
def cached_lstmvis(path: str, version: int):
    from lstm_viz.export.lstmvis import read_lstmvis

    return read_lstmvis(path)


def store_lengths(path: str) -> dict[int, int]:
    """{sequence: steps} of the corpus store at ``path`` (one scan of two small columns)."""
    from lstm_viz.export.store_tools import store_version

    return cached_store_lengths(path, store_version(path))


@st.cache_data(max_entries=8, show_spinner="Counting the store's steps...")
def cached_store_lengths(path: str, version: int) -> dict[int, int]:
    from lstm_viz.export.store_tools import sequence_lengths

    return sequence_lengths(path)


def store_window(path: str, start: int, steps: int) -> Trace:
    """Steps start..start+steps-1 of the store (lstm_viz.export.store_tools.store_window),
    read once and shared: do not mutate."""
    from lstm_viz.export.store_tools import store_version

    return cached_store_window(path, store_version(path), start, steps)


@st.cache_resource(max_entries=4, show_spinner="Reading a window of the store...")
def cached_store_window(path: str, version: int, start: int, steps: int) -> Trace:
    from lstm_viz.export.store_tools import store_window as read_window

    return read_window(path, start, steps, cached_store_lengths(path, version))


def store_meta(path: str) -> dict:
    """The store's store.json (lstm_viz.export.store.read_store_meta): small, read each run."""
    from lstm_viz.export.store import read_store_meta

    return read_store_meta(path)


def store_version(path: str) -> int:
    from lstm_viz.export.store_tools import store_version as version

    return version(path)


def trace_file(path: str) -> Trace:
    """The trace exported as .npz at ``path`` (lstm_viz.export.trace_npz.read_trace_npz), read
    once per version and shared: do not mutate. ExportError when it cannot be read."""
    return cached_trace_file(path, Path(path).stat().st_mtime_ns)


@st.cache_resource(max_entries=4, show_spinner="Reading the trace...")
def cached_trace_file(path: str, version: int) -> Trace:
    from lstm_viz.export.trace_npz import read_trace_npz

    return read_trace_npz(path)
