"""A Trace as file bytes for downloads: .npz, .parquet (Trace.save) and .csv (Trace.to_frame).
No streamlit here."""

from __future__ import annotations

import tempfile
from pathlib import Path

from lstm_viz.trace import Trace

FORMATS = ("npz", "parquet", "csv")
MIME = {
    "npz": "application/octet-stream",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv",
}


def trace_bytes(trace: Trace, fmt: str) -> bytes:
    """The file Trace.save writes (npz, parquet) or the long-form table as CSV, as bytes.

    Trace.load reads the npz and parquet back; the CSV has one row per (quantity, layer,
    direction, batch, time, unit) with the token and value."""
    if fmt == "csv":
        return trace.to_frame().to_csv(index=False).encode()
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    with tempfile.TemporaryDirectory() as folder:
        path = trace.save(Path(folder) / f"trace.{fmt}")
        return path.read_bytes()


def cells(trace: Trace) -> int:
    """How many values the trace holds (what a CSV would have rows for, padding included)."""
    return sum(v.numel() for v in trace.values.values())
