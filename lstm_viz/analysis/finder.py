"""The unit finder: which unit follows which feature of the input?

Every unit of every recorded quantity (cell, hidden, each gate) of every layer and direction is
correlated (Pearson r) with each token feature over the real steps of a corpus. Features are
"after reading token t" values, one per step:

- built in: position in word, position in line, inside quotes, bracket depth, capital letter,
  whitespace, punctuation (see :func:`token_features`), and the task's known hidden variable;
- yours: a regular expression (1 where a match covers the token, 0 elsewhere).

Held-out check: the corpus is split in two (by sequence when there are several, else by time);
units are ranked by |r| on the first part and r is reported again on the second, which played
no part in choosing them. A feature that is constant on a part has no r there (NaN);
:func:`constant_features` says which features those are and the value each takes.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..trace import Trace
from ._common import valid_mask
from .user_regex import TIMEOUT, match_spans

OPEN, CLOSE = "([{<", ")]}>"
PUNCTUATION = set(string.punctuation)
QUOTES = {'"', "“", "”"}

BUILT_IN = (
    "position_in_word",
    "position_in_line",
    "inside_quotes",
    "bracket_depth",
    "capital_letter",
    "whitespace",
    "punctuation",
)
FEATURE_LABELS = {
    "position_in_word": "position in word",
    "position_in_line": "position in line",
    "inside_quotes": "inside quotes",
    "bracket_depth": "bracket depth",
    "capital_letter": "capital letter",
    "whitespace": "whitespace",
    "punctuation": "punctuation",
}


def token_features(tokens: Sequence[Sequence[str]], steps: int | None = None) -> dict:
    """The built-in features of each sequence of tokens: name -> [B, T] float32, NaN past each
    sequence's end. Values after reading token t:

    position_in_word   1, 2, ... for the characters of a word (letters, digits, _), 0 elsewhere
    position_in_line   tokens since the last line break (0 on the line break itself), counted
                       from the start of each sequence
    inside_quotes      1 from an opening double quote up to its closing one (exclusive)
    bracket_depth      open brackets ( [ { < minus closed ones, never below 0 (per sequence)
    capital_letter     1 for a token that starts with an upper-case letter
    whitespace         1 for a token that is all whitespace
    punctuation        1 for a token made only of punctuation marks
    """
    steps = steps if steps is not None else max((len(t) for t in tokens), default=0)
    out = {n: np.full((len(tokens), steps), np.nan, dtype=np.float32) for n in BUILT_IN}
    for b, sequence in enumerate(tokens):
        word = line = depth = 0
        quoted = False
        for t, token in enumerate(sequence[:steps]):
            first = token[:1]
            wordy = bool(token) and all(c.isalnum() or c == "_" for c in token)
            word = word + 1 if wordy else 0
            line = 0 if "\n" in token else line + 1
            if token in QUOTES:
                quoted = not quoted
            depth += sum(token.count(c) for c in OPEN) - sum(token.count(c) for c in CLOSE)
            depth = max(depth, 0)
            out["position_in_word"][b, t] = word
            out["position_in_line"][b, t] = line
            out["inside_quotes"][b, t] = float(quoted)
            out["bracket_depth"][b, t] = depth
            out["capital_letter"][b, t] = float(first.isupper())
            out["whitespace"][b, t] = float(bool(token) and token.isspace())
            out["punctuation"][b, t] = float(bool(token) and all(c in PUNCTUATION for c in token))
    return out


def regex_feature(
    tokens: Sequence[Sequence[str]],
    pattern: str,
    steps: int | None = None,
    joiner: str = "",
    timeout: float = TIMEOUT,
) -> np.ndarray:
    """[B, T] float32: 1 where a match of ``pattern`` covers part of the token, else 0 (NaN past
    each end). The tokens of a sequence are joined with ``joiner`` ("" for characters, " " for
    words) and searched as one text. Empty matches cover nothing. The pattern runs in a child
    process with a time limit (see :func:`user_regex.match_spans`): PatternError (a ValueError)
    for a pattern that does not compile or takes longer than ``timeout`` seconds."""
    steps = steps if steps is not None else max((len(t) for t in tokens), default=0)
    out = np.full((len(tokens), steps), np.nan, dtype=np.float32)
    sequences = [list(sequence[:steps]) for sequence in tokens]
    texts = [joiner.join(sequence) for sequence in sequences]
    spans_of = match_spans(pattern, texts, timeout)
    for b, (sequence, text, spans) in enumerate(zip(sequences, texts, spans_of, strict=True)):
        if not sequence:
            continue
        covered = np.zeros(len(text) + 1, dtype=np.int64)  # +1/-1 at match edges
        for start, end in spans:
            covered[start] += 1
            covered[end] -= 1
        inside = np.cumsum(covered)[: len(text)] > 0
        starts = np.cumsum([0] + [len(t) + len(joiner) for t in sequence[:-1]])
        for t, (start, token) in enumerate(zip(starts, sequence, strict=True)):
            out[b, t] = float(inside[start : start + len(token)].any())
    return out


def feature_set(
    tokens: Sequence[Sequence[str]],
    steps: int,
    hidden: np.ndarray | None = None,
    hidden_name: str | None = None,
    regex: str | None = None,
    joiner: str = "",
) -> dict[str, np.ndarray]:
    """Every feature for a corpus: built in, the task's hidden variable (as ``hidden_name``,
    or "hidden variable"), and ``regex`` (as "regex"). name -> [B, T] float32."""
    features = token_features(tokens, steps)
    if hidden is not None:
        features[hidden_name or "hidden variable"] = np.asarray(hidden, dtype=np.float32)
    if regex:
        features["regex"] = regex_feature(tokens, regex, steps, joiner)
    return features


def correlate(
    trace: Trace,
    features: Mapping[str, np.ndarray],
    quantities: Sequence[str] | None = None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """Pearson r of every unit with every feature, over real steps where the feature is finite
    (and, given ``rows`` [B, T] bool, only there). One row per (feature, quantity, layer,
    direction, unit): r and n (steps used).

    Features known at every step share one matrix product per layer ([U, N] x [N, F]);
    a feature with gaps (NaN) is correlated over its own steps.
    """
    names = list(quantities) if quantities is not None else list(trace.names)
    mask, arrays = _steps_and_features(trace, features, rows)
    full = [f for f, v in arrays.items() if np.isfinite(v[mask]).all()]
    gaps = [f for f in arrays if f not in full]
    n_full = int(mask.sum())
    y_full = np.stack([arrays[f][mask] for f in full], axis=1) if full else None  # [N, F]
    parts: dict[str, list[pd.DataFrame]] = {f: [] for f in arrays}

    def rows_for(feature: str, name: str, layer: int, direction: int, r, n: int):
        parts[feature].append(
            pd.DataFrame(
                {
                    "feature": feature,
                    "quantity": name,
                    "layer": layer,
                    "direction": direction,
                    "unit": np.arange(len(r)),
                    "r": r,
                    "n": n,
                }
            )
        )

    for name in names:
        data = trace[name].numpy()  # [L, D, B, T, U]
        for li, layer in enumerate(trace.ids("layer")):
            for di, direction in enumerate(trace.ids("direction")):
                block = data[li, di]  # [B, T, U]
                if full:
                    r = correlation_matrix(block[mask], y_full)  # [U, F]
                    for k, feature in enumerate(full):
                        rows_for(feature, name, layer, direction, r[:, k], n_full)
                for feature in gaps:
                    use = mask & np.isfinite(arrays[feature])
                    r = correlation_matrix(block[use], arrays[feature][use][:, None])[:, 0]
                    rows_for(feature, name, layer, direction, r, int(use.sum()))
    return pd.concat([p for f in arrays for p in parts[f]], ignore_index=True)


def correlation_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each column of x [N, U] with each column of y [N, F], in float64:
    [U, F]; NaN where either is constant (or N < 2)."""
    if len(x) < 2:
        return np.full((x.shape[1], y.shape[1]), np.nan)
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    x_norm = np.sqrt(np.einsum("nu,nu->u", x, x))
    y_norm = np.sqrt(np.einsum("nf,nf->f", y, y))
    scale = np.outer(x_norm, y_norm)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x.T @ y) / scale
    # A constant column (all equal up to rounding) has no correlation.
    tiny = np.outer(_flat(x_norm, len(x)), np.ones(len(y_norm), dtype=bool))
    tiny |= np.outer(np.ones(len(x_norm), dtype=bool), _flat(y_norm, len(y)))
    return np.where(tiny, np.nan, r)


def _flat(norm: np.ndarray | float, steps: int) -> np.ndarray | bool:
    """Whether a column whose deviations from its mean have this L2 norm over ``steps`` steps
    is constant up to rounding (then it has no Pearson r)."""
    return norm <= 1e-9 * np.sqrt(steps)


def split_rows(trace: Trace, fraction: float = 0.5) -> np.ndarray:
    """[B, T] bool: True on the discovery part. Several sequences: the first ``fraction`` of
    them; one sequence: the first ``fraction`` of its steps."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the split fraction must be in (0, 1), got {fraction}")
    batch, steps = trace.batch_size, trace.num_steps
    rows = np.zeros((batch, steps), dtype=bool)
    if batch >= 2:
        rows[: max(1, min(batch - 1, round(batch * fraction)))] = True
    else:
        length = int(trace.lengths[0])
        rows[0, : max(1, min(length - 1, round(length * fraction)))] = True
    return rows


def find_units(
    trace: Trace,
    features: Mapping[str, np.ndarray],
    quantities: Sequence[str] | None = None,
    fraction: float = 0.5,
) -> pd.DataFrame:
    """Every (feature, unit) pair ranked by |r| on the discovery part, with ``r_heldout`` on
    the held-out part. Columns: feature, quantity, layer, direction, unit, r, n, r_heldout,
    n_heldout. Rank within one feature with ``table[table.feature == name]`` (already sorted)."""
    discovery = split_rows(trace, fraction)
    found = correlate(trace, features, quantities, discovery)
    held = correlate(trace, features, quantities, ~discovery)
    found["r_heldout"] = held["r"].to_numpy()
    found["n_heldout"] = held["n"].to_numpy()
    order = np.argsort(-np.nan_to_num(np.abs(found["r"].to_numpy()), nan=-1.0), kind="stable")
    return found.iloc[order].reset_index(drop=True)


def _steps_and_features(
    trace: Trace, features: Mapping[str, np.ndarray], rows: np.ndarray | None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The [B, T] mask of real steps (within ``rows`` when given) and each feature as float32;
    ValueError for a feature whose shape is not the trace's [B, T]."""
    mask = valid_mask(trace)
    if rows is not None:
        mask = mask & rows
    arrays = {}
    for feature, values in features.items():
        values = np.asarray(values, dtype=np.float32)
        if values.shape != mask.shape:
            raise ValueError(f"feature {feature!r} has shape {values.shape}, need {mask.shape}")
        arrays[feature] = values
    return mask, arrays


def constant_features(
    trace: Trace, features: Mapping[str, np.ndarray], rows: np.ndarray | None = None
) -> dict[str, float]:
    """The features that do not vary over these steps, so that every r with them is NaN there:
    name -> the one value each takes (NaN for a feature with no step there). The steps are
    those :func:`correlate` uses: real steps where the feature is finite, and given ``rows``
    [B, T] bool, only those. ``rows=~split_rows(trace)`` asks about the held-out part of
    :func:`find_units`, ``split_rows(trace)`` about the part units are ranked on.
    ValueError for a feature whose shape is not the trace's [B, T]."""
    mask, arrays = _steps_and_features(trace, features, rows)
    out = {}
    for feature, values in arrays.items():
        seen = values[mask & np.isfinite(values)].astype(np.float64)
        if len(seen) == 0:
            out[feature] = float("nan")
            continue
        spread = np.sqrt(np.sum((seen - seen.mean()) ** 2))
        if len(seen) < 2 or _flat(spread, len(seen)):  # as correlation_matrix decides it
            out[feature] = float(seen.mean())
    return out


def top_units(table: pd.DataFrame, feature: str, count: int = 10) -> pd.DataFrame:
    """The ``count`` best units for ``feature`` (by |r| on the discovery part)."""
    part = table[(table["feature"] == feature) & table["r"].notna()]
    return part.head(count).reset_index(drop=True)
