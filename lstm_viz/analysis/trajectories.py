"""State trajectories: a layer's h_t (or c_t) as a path through state space, one point per
token, projected on two principal components (scikit-learn's PCA); several inputs on one plot
share the projection, so their paths can be compared. The projection is fitted on a corpus's
recorded states when one is given (a stable map of where states live), else on the inputs'
own states. With a corpus, each point also gets its nearest recorded states (Euclidean, in the
full state space): the contexts in which the model was in a similar state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..trace import Trace
from ._common import check_position, valid_mask


class TrajectoryError(ValueError):
    """A trajectory that cannot be drawn (one line, says what to change)."""


@dataclass(frozen=True)
class Trajectory:
    """One input's path: ``points`` [T, 2] (PC1, PC2) of ``states`` [T, U]."""

    name: str
    tokens: list[str]
    states: np.ndarray
    points: np.ndarray
    quantity: str
    layer: int
    explained: tuple[float, float]  # fraction of the variance on PC1 and PC2 (of the fit)
    neighbours: list[list[str]] | None = None  # per step: the k nearest corpus contexts


def _states(trace: Trace, quantity: str, layer: int, direction: int) -> tuple[np.ndarray, list]:
    """The valid states of every sequence, stacked [N, U], and (batch, step) of each row."""
    if quantity not in trace.names:
        raise TrajectoryError(
            f"a {trace.kind} trace has {', '.join(trace.names)}, not {quantity!r}"
        )
    check_position(trace, layer, direction)
    values = trace[quantity][layer, direction].double().numpy()  # [B, T, U]
    mask = valid_mask(trace)
    where = [tuple(map(int, bt)) for bt in np.argwhere(mask)]
    return values[mask], where


def _context(trace: Trace, batch: int, step: int, width: int) -> str:
    if not trace.tokens:
        return f"sequence {batch}, step {step}"
    tokens = trace.tokens[batch][max(0, step - width + 1) : step + 1]
    joiner = "" if all(len(t) == 1 for t in tokens) else " "
    return joiner.join(tokens)


def trajectories(
    traces: Sequence[Trace],
    names: Sequence[str] | None = None,
    quantity: str = "hidden",
    layer: int = 0,
    direction: int = 0,
    corpus: Trace | None = None,
    neighbours: int = 3,
    context: int = 12,
) -> list[Trajectory]:
    """One Trajectory per trace (its first sequence), all on one PCA projection.

    traces: recordings of the inputs (same model); names: a legend label each.
    corpus: a recording to fit the projection on and to find the ``neighbours`` nearest states
    in (each shown as its last ``context`` tokens); None fits on the inputs and finds none.
    TrajectoryError (one line) for a quantity the traces lack or too few states to project.
    """
    from sklearn.decomposition import PCA

    if not traces:
        raise TrajectoryError("give at least one recorded input")
    names = list(names) if names is not None else [f"input {k + 1}" for k in range(len(traces))]
    if len(names) != len(traces):
        raise TrajectoryError(f"{len(traces)} inputs but {len(names)} names")
    inputs = []
    for trace in traces:
        states, where = _states(trace, quantity, layer, direction)
        mine = [k for k, (b, _) in enumerate(where) if b == 0]
        tokens = (
            trace.tokens[0][: len(mine)] if trace.tokens else [str(t) for t in range(len(mine))]
        )
        inputs.append((states[mine], tokens))
    if corpus is not None:
        fit_on, corpus_where = _states(corpus, quantity, layer, direction)
    else:
        fit_on, corpus_where = np.concatenate([s for s, _ in inputs]), None
    if fit_on.shape[0] < 2 or fit_on.shape[1] < 2:
        raise TrajectoryError(
            f"PCA needs at least 2 states of at least 2 units; got {fit_on.shape[0]} states of "
            f"{fit_on.shape[1]} units"
        )
    pca = PCA(n_components=2).fit(fit_on)
    explained = tuple(float(v) for v in pca.explained_variance_ratio_[:2])
    finder = None
    if corpus is not None and neighbours > 0:
        from sklearn.neighbors import NearestNeighbors

        finder = NearestNeighbors(n_neighbors=min(neighbours, len(fit_on))).fit(fit_on)
    result = []
    for name, (states, tokens) in zip(names, inputs, strict=True):
        found = None
        if finder is not None:
            _, index = finder.kneighbors(states)
            found = [[_context(corpus, *corpus_where[i], context) for i in row] for row in index]
        result.append(
            Trajectory(
                name, list(tokens), states, pca.transform(states), quantity, layer, explained, found
            )
        )
    return result
