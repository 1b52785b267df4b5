"""Unit ordering: which rows a heatmap shows, and in what order.

A layer's units are in no meaningful order; sorting them puts the interesting ones first. Every
function takes one quantity of one layer and direction as a [time, unit] array (padded steps NaN)
and returns unit indices, so all six heatmaps of a layer can share one order and stay aligned.

- ``index``: 0, 1, 2, ...
- ``mean``: highest mean over time first;
- ``variance``: most variable over time first;
- ``saturation``: most often saturated first (a gate below 0.05 or above 0.95; a tanh output
  beyond +-0.95; a cell state whose tanh is beyond +-0.95);
- ``clustered``: units that move together sit together (average-linkage agglomerative
  clustering on correlation distance, leaves in merge order; numpy only).
"""

from __future__ import annotations

import numpy as np

ORDERINGS: tuple[str, ...] = ("index", "mean", "variance", "saturation", "clustered")
ORDERING_LABELS: dict[str, str] = {
    "index": "by index",
    "mean": "by mean (highest first)",
    "variance": "by variance (most variable first)",
    "saturation": "by saturation (most often near 0 or 1 / ±1 first)",
    "clustered": "clustered (units that move together side by side)",
}
SATURATED = 0.95  # |tanh-like value| above this, or a gate below 1 - this or above it

_GATES = frozenset({"input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate"})
_UNBOUNDED = frozenset({"cell", "pre_activation"})


def saturation(values: np.ndarray, quantity: str) -> np.ndarray:
    """[time, unit] -> [unit]: the fraction of (real, non-NaN) steps where the unit saturates."""
    values = np.asarray(values, dtype=np.float64)
    if quantity in _GATES:
        hit = (values < 1 - SATURATED) | (values > SATURATED)
    elif quantity in _UNBOUNDED:
        hit = np.abs(np.tanh(values)) > SATURATED
    else:
        hit = np.abs(values) > SATURATED
    real = np.isfinite(values)
    return (hit & real).sum(axis=0) / np.maximum(real.sum(axis=0), 1)


def unit_scores(values: np.ndarray, method: str, quantity: str = "hidden") -> np.ndarray:
    """[time, unit] -> [unit]: the score ``method`` ranks by (higher first); NaN-aware."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"expected [time, unit] values, got shape {values.shape}")
    if method == "index":
        return -np.arange(values.shape[1], dtype=np.float64)
    real = np.isfinite(values).any(axis=0)
    filled = np.where(np.isfinite(values), values, 0.0)
    counts = np.maximum(np.isfinite(values).sum(axis=0), 1)
    if method == "mean":
        scores = filled.sum(axis=0) / counts
    elif method == "variance":
        mean = filled.sum(axis=0) / counts
        squares = np.where(np.isfinite(values), (values - mean) ** 2, 0.0)
        scores = squares.sum(axis=0) / counts
    elif method == "saturation":
        scores = saturation(values, quantity)
    else:
        raise ValueError(f"no score for ordering {method!r}; scored orderings: index, mean, ...")
    return np.where(real, scores, -np.inf)


def cluster_order(values: np.ndarray) -> np.ndarray:
    """[time, unit] -> unit indices, units that move together next to each other.

    Average-linkage agglomerative clustering on the correlation distance 1 - r (constant units
    are at distance 1 from everything). Each merge puts the two clusters' leaf lists side by
    side, flipping them so their closest ends touch. O(units^3) in the worst case, about 0.5 s
    for 1,024 units here; a single unit or step returns the index order.
    """
    values = np.asarray(values, dtype=np.float64)
    units = values.shape[1]
    if units <= 2 or values.shape[0] < 2:
        return np.arange(units)
    rows = np.isfinite(values).all(axis=1)
    x = values[rows] if rows.sum() >= 2 else np.nan_to_num(values)
    x = x - x.mean(axis=0)
    norms = np.linalg.norm(x, axis=0)
    safe = np.where(norms > 1e-12, norms, 1.0)
    corr = (x.T @ x) / np.outer(safe, safe)
    corr[norms <= 1e-12, :] = 0.0
    corr[:, norms <= 1e-12] = 0.0
    distance = 1.0 - np.clip(corr, -1.0, 1.0)  # [unit, unit], 0..2
    base = distance.copy()

    d = distance.copy()
    np.fill_diagonal(d, np.inf)
    sizes = np.ones(units)
    leaves: list[list[int] | None] = [[u] for u in range(units)]
    alive = np.ones(units, dtype=bool)
    for _ in range(units - 1):
        flat = int(np.argmin(d))
        a, b = divmod(flat, units)
        a, b = min(a, b), max(a, b)
        left, right = leaves[a], leaves[b]
        # Orient the two lists so their closest ends meet.
        ends = [
            (base[left[-1], right[0]], False, False),
            (base[left[0], right[0]], True, False),
            (base[left[-1], right[-1]], False, True),
            (base[left[0], right[-1]], True, True),
        ]
        _, flip_left, flip_right = min(ends, key=lambda e: e[0])
        merged = (left[::-1] if flip_left else left) + (right[::-1] if flip_right else right)
        # Lance-Williams update for average linkage: the new cluster lives in row a.
        new = (sizes[a] * d[a] + sizes[b] * d[b]) / (sizes[a] + sizes[b])
        d[a, :] = new
        d[:, a] = new
        d[a, a] = np.inf
        d[b, :] = np.inf
        d[:, b] = np.inf
        sizes[a] += sizes[b]
        leaves[a], leaves[b] = merged, None
        alive[b] = False
    (root,) = np.flatnonzero(alive)
    return np.array(leaves[root], dtype=np.int64)


def order_units(
    values: np.ndarray,
    method: str = "index",
    quantity: str = "hidden",
    top_k: int | None = None,
) -> np.ndarray:
    """[time, unit] -> the unit indices to show, in order; ``top_k`` keeps the first k.

    Ties keep index order (a stable sort), so the result is deterministic.
    """
    if method not in ORDERINGS:
        raise ValueError(f"unknown ordering {method!r}; choose one of {ORDERINGS}")
    values = np.asarray(values)
    if method == "index":
        order = np.arange(values.shape[1])
    elif method == "clustered":
        order = cluster_order(values)
    else:
        scores = unit_scores(values, method, quantity)
        order = np.argsort(-scores, kind="stable")
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        order = order[:top_k]
    return order.astype(np.int64)
