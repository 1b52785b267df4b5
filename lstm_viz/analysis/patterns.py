"""Pattern search, as in LSTMVis (Strobelt et al. 2017): where do the same units switch on?

Given some units, a threshold and a minimum length, a span is a run of consecutive steps of one
sequence at which every selected unit is >= the threshold; spans are ranked longest first, then
by the mean activation of the selected units. "Spans like this one": select a span, take the
units that stay on (>= threshold) at every step of it, and search for those units' spans.

Vectorised: one boolean mask [N, T], padded with False on both sides, whose differences mark
every span's start and end at once (numpy, no loop over steps).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def _as_3d(activations: np.ndarray) -> np.ndarray:
    array = np.asarray(activations)
    if array.ndim == 2:
        return array[None]  # [T, U] -> [1, T, U]
    if array.ndim != 3:
        raise ValueError(
            f"activations must be [sequence, time, unit] or [time, unit], got {array.ndim}-D"
        )
    return array


def _check_units(units: Sequence[int], count: int) -> np.ndarray:
    units = np.asarray(list(units), dtype=np.int64)
    if units.size == 0:
        raise ValueError("select at least one unit")
    bad = units[(units < 0) | (units >= count)]
    if bad.size:
        raise ValueError(f"unit(s) {bad.tolist()} out of range: the layer has {count} units")
    return units


def find_spans(
    activations: np.ndarray,
    units: Sequence[int],
    threshold: float,
    min_length: int = 1,
    lengths: Sequence[int] | np.ndarray | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Every span where all ``units`` are >= ``threshold`` for at least ``min_length`` steps.

    activations: [N, T, U] (or [T, U]) hidden or cell states of one layer and direction; NaN
    (padding) never counts as on. lengths: [N], steps past them are ignored. Returns a table
    ranked longest first, then by mean activation: sequence, start, stop (exclusive), length,
    mean (over the span and the selected units); ``limit`` keeps the first rows.
    """
    acts = _as_3d(activations)
    units = _check_units(units, acts.shape[-1])
    if min_length < 1:
        raise ValueError(f"the minimum length must be >= 1, got {min_length}")
    selected = acts[:, :, units]  # [N, T, K]
    with np.errstate(invalid="ignore"):
        on = (selected >= threshold).all(axis=-1)  # [N, T]; NaN compares False
    if lengths is not None:
        on &= np.arange(on.shape[1])[None, :] < np.asarray(lengths)[:, None]
    n, steps = on.shape
    edges = np.zeros((n, steps + 2), dtype=np.int8)
    edges[:, 1:-1] = on
    change = np.diff(edges, axis=1)  # +1 where a span starts, -1 one past where it ends
    seq_start, start = np.nonzero(change == 1)
    seq_stop, stop = np.nonzero(change == -1)  # row-major: the k-th start pairs the k-th stop
    length = stop - start
    keep = length >= min_length
    seq, start, stop, length = seq_start[keep], start[keep], stop[keep], length[keep]
    # Mean activation over each span: cumulative sums along time, one subtraction per span.
    per_step = np.nan_to_num(selected.mean(axis=-1, dtype=np.float64))  # [N, T]
    cumulative = np.zeros((n, steps + 1))
    np.cumsum(per_step, axis=1, out=cumulative[:, 1:])
    mean = (cumulative[seq, stop] - cumulative[seq, start]) / np.maximum(length, 1)
    order = np.lexsort((-mean, -length))
    if limit is not None:
        order = order[:limit]
    return pd.DataFrame(
        {
            "sequence": seq[order],
            "start": start[order],
            "stop": stop[order],
            "length": length[order],
            "mean": mean[order],
        }
    )


def units_on(
    activations: np.ndarray, sequence: int, start: int, stop: int, threshold: float
) -> np.ndarray:
    """The units that are >= ``threshold`` at every step of ``sequence``[start:stop]."""
    acts = _as_3d(activations)
    if not 0 <= sequence < acts.shape[0]:
        raise ValueError(f"sequence {sequence} out of range ({acts.shape[0]} sequences)")
    if not 0 <= start < stop <= acts.shape[1]:
        raise ValueError(f"steps {start}..{stop - 1} are not a span of {acts.shape[1]} steps")
    with np.errstate(invalid="ignore"):
        return np.flatnonzero((acts[sequence, start:stop] >= threshold).all(axis=0))


def similar_spans(
    activations: np.ndarray,
    sequence: int,
    start: int,
    stop: int,
    threshold: float,
    min_length: int | None = None,
    lengths: Sequence[int] | np.ndarray | None = None,
    limit: int | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """LSTMVis's "find spans like this": (the units on throughout the selected span, the spans
    where those units are on together). ``min_length`` defaults to the span's own length; the
    selected span itself is in the table (``is_query`` marks it). ValueError when no unit stays
    on throughout the span."""
    units = units_on(activations, sequence, start, stop, threshold)
    if units.size == 0:
        raise ValueError(
            f"no unit stays >= {threshold:g} at every step {start}..{stop - 1}: lower the "
            "threshold or select a shorter span"
        )
    spans = find_spans(
        activations,
        units,
        threshold,
        min_length if min_length is not None else stop - start,
        lengths,
        limit,
    )
    spans["is_query"] = (
        (spans["sequence"] == sequence) & (spans["start"] <= start) & (spans["stop"] >= stop)
    )
    return units, spans


def find_spans_naive(
    activations: np.ndarray, units: Sequence[int], threshold: float, min_length: int = 1
) -> list[tuple[int, int, int]]:
    """The same spans by a plain Python loop over every step: a reference and a baseline for
    the benchmark. Returns (sequence, start, stop) in reading order."""
    acts = _as_3d(activations)
    units = list(units)
    found = []
    for s in range(acts.shape[0]):
        begin = None
        for t in range(acts.shape[1]):
            row = acts[s, t]
            on = all(row[u] >= threshold for u in units)
            if on and begin is None:
                begin = t
            elif not on and begin is not None:
                if t - begin >= min_length:
                    found.append((s, begin, t))
                begin = None
        if begin is not None and acts.shape[1] - begin >= min_length:
            found.append((s, begin, acts.shape[1]))
    return found
