"""Analyze's corpus tools over a corpus store (``record-corpus``), read through DuckDB.

    table = store_saturation("store/")                    # every step, one scan of the gates
    table = store_half_lives("store/")                    # every step, one scan of the keep gate
    spans, total = store_find_spans("store/", "hidden", 1, 0, [1, 17], 0.5, 3)
    trace = store_window("store/", start=0, steps=20_000)  # a bounded window, as a Trace

What runs where, and what it holds in memory:

- saturation and timescales aggregate in DuckDB over every step of the store (the same numbers
  as :func:`lstm_viz.analysis.saturation` / :func:`~lstm_viz.analysis.half_lives` on a Trace of
  the whole text); memory: one row per (layer, direction, quantity), whatever the store's size;
- pattern search finds the spans in DuckDB (steps where every chosen unit is on, grouped into
  runs with a window function) over every step; only the ``limit`` longest spans and their
  context tokens come back;
- the unit finder (and Explore) read a window of at most ``MAX_WINDOW_STEPS`` steps and
  ``MAX_WINDOW_VALUES`` numbers into a Trace: its built-in features (position in line, bracket
  depth, quotes) are computed along the text, which a bounded window allows.

Every function raises ExportError (one line) for a folder that is not a store, a quantity the
store lacks, or a layer, direction or unit out of range.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lstm_viz.analysis._common import KEEP_GATE
from lstm_viz.analysis.corpus import span_text
from lstm_viz.export.store import META, connect, read_store_meta
from lstm_viz.export.text import ExportError
from lstm_viz.quantities import GATES
from lstm_viz.trace import RECORDED_NAMES, Trace

MAX_WINDOW_STEPS = 20_000  # steps a window holds at most (Analyze's in-memory corpora: the same)
MAX_WINDOW_VALUES = 30_000_000  # numbers a window holds at most (wide stores get fewer steps)
UNITS = "COLUMNS('^u\\d+$')"


def store_version(store: str | Path) -> int:
    """A number that changes when the store is rewritten (store.json's mtime, ns): a cache key."""
    read_store_meta(store)
    return (Path(store) / META).stat().st_mtime_ns


def window_steps(meta: dict) -> int:
    """The most steps a window of this store may hold (MAX_WINDOW_STEPS, fewer when wide)."""
    per_step = len(meta["layers"]) * len(meta["directions"])
    per_step *= sum(int(meta["units"][q]) for q in meta["quantities"])
    return int(max(1, min(MAX_WINDOW_STEPS, MAX_WINDOW_VALUES // max(per_step, 1))))


def _units(meta: dict, quantity: str) -> int:
    if quantity not in meta["quantities"]:
        raise ExportError(
            f"the store holds {', '.join(meta['quantities'])}, not {quantity}: record it with "
            f"record-corpus --quantities ...,{quantity}"
        )
    return int(meta["units"][quantity])


def _position(meta: dict, layer: int, direction: int) -> None:
    if layer not in meta["layers"]:
        raise ExportError(f"layer {layer} is not in the store (layers {meta['layers']})")
    if direction not in meta["directions"]:
        raise ExportError(f"direction {direction} is not in the store ({meta['directions']})")


def _grid(rows: list[tuple], keys: int, width: int) -> tuple[list[tuple], np.ndarray]:
    """Rows of (key columns..., value columns...) as (keys, [row, value] float64, NaN for NULL)."""
    head = [r[:keys] for r in rows]
    values = np.array([[np.nan if v is None else v for v in r[keys:]] for r in rows], np.float64)
    return head, values.reshape(len(rows), width)


# ---- saturation and timescales: aggregates over every step ----------------------------------
def store_saturation(store: str | Path, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """One row per (gate, layer, direction, unit): the fraction of the store's steps below
    ``low`` ("left") and above ``high`` ("right"), ``steps`` counted; the columns of
    :func:`lstm_viz.analysis.saturation`. ExportError for a store without gates."""
    if not 0.0 <= low < high <= 1.0:
        raise ExportError(f"need 0 <= low < high <= 1, got low={low}, high={high}")
    meta = read_store_meta(store)
    gates = [q for q in meta["quantities"] if q in GATES]
    if not gates:
        raise ExportError(
            f"the store holds {', '.join(meta['quantities'])} and no gates: saturation needs "
            "gates (record-corpus without --quantities records them)"
        )
    width = max(int(meta["units"][q]) for q in meta["quantities"])
    listed = ", ".join(f"'{g}'" for g in gates)  # names from store.json, checked against GATES
    sql = (
        f"SELECT quantity, layer, direction, count(*), avg(({UNITS} < {float(low)})::DOUBLE), "
        f"avg(({UNITS} > {float(high)})::DOUBLE) FROM store WHERE quantity IN ({listed}) "
        "GROUP BY ALL ORDER BY ALL"
    )
    con = connect(store)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    parts = []
    for row in rows:
        gate, layer, direction, steps = row[:4]
        units = int(meta["units"][gate])
        left = np.array(row[4 : 4 + width][:units], dtype=np.float64)
        right = np.array(row[4 + width : 4 + 2 * width][:units], dtype=np.float64)
        parts.append(
            pd.DataFrame(
                {
                    "gate": gate,
                    "layer": layer,
                    "direction": direction,
                    "unit": np.arange(units),
                    "left": left,
                    "right": right,
                    "steps": steps,
                }
            )  # fmt: skip
        )
    order = {g: k for k, g in enumerate(gates)}
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(
        ["gate", "layer", "direction", "unit"],
        key=lambda c: c.map(order) if c.name == "gate" else c,
    )
    return table.reset_index(drop=True)


def store_half_lives(store: str | Path) -> pd.DataFrame:
    """One row per (layer, direction, unit): ``keep`` (the geometric mean of the forget gate,
    the update gate for a GRU, over every step of the store) and ``half_life`` in steps, longest
    first; the columns of :func:`lstm_viz.analysis.half_lives`. ExportError without that gate."""
    meta = read_store_meta(store)
    gate = KEEP_GATE.get(meta.get("kind", ""))
    if gate is None:
        raise ExportError(
            f"a {meta.get('kind')} store has no forget gate: timescales need an LSTM or a GRU"
        )
    units = _units(meta, gate)
    con = connect(store)
    try:
        rows = con.execute(
            f"SELECT layer, direction, avg(ln({UNITS})) FROM store WHERE quantity = ? "
            "GROUP BY ALL ORDER BY ALL",
            [gate],
        ).fetchall()
    finally:
        con.close()
    head, mean_log = _grid(rows, 2, len(rows[0]) - 2 if rows else 0)
    mean_log = mean_log[:, :units]
    keep = np.exp(mean_log)
    with np.errstate(divide="ignore", invalid="ignore"):
        life = np.where(mean_log < 0, np.log(0.5) / mean_log, np.inf)
    life = np.where(np.isneginf(mean_log), 0.0, life)
    table = pd.DataFrame(
        {
            "layer": np.repeat([h[0] for h in head], units),
            "direction": np.repeat([h[1] for h in head], units),
            "unit": np.tile(np.arange(units), len(head)),
            "keep": keep.reshape(-1),
            "half_life": life.reshape(-1),
        }
    )
    return table.sort_values("half_life", ascending=False, kind="stable").reset_index(drop=True)


# ---- pattern search: spans found in DuckDB over every step ----------------------------------
def store_find_spans(
    store: str | Path,
    quantity: str,
    layer: int,
    direction: int,
    units: list[int],
    threshold: float,
    min_length: int = 1,
    limit: int = 20,
    context: int = 8,
) -> tuple[pd.DataFrame, int]:
    """Every span of the store where all ``units`` of ``quantity`` (layer, direction) are >=
    ``threshold`` for at least ``min_length`` steps, as :func:`lstm_viz.analysis.find_spans`
    finds them in memory. Returns (the ``limit`` longest spans, then by mean activation, with
    sequence, start, stop (exclusive), length, mean, text («span» with ``context`` tokens
    either side); the number of spans found in all)."""
    meta = read_store_meta(store)
    width = _units(meta, quantity)
    _position(meta, layer, direction)
    chosen = sorted({int(u) for u in units})
    if not chosen:
        raise ExportError("pick at least one unit")
    if chosen[0] < 0 or chosen[-1] >= width:
        raise ExportError(f"units must be in 0..{width - 1}, got {chosen}")
    if min_length < 1:
        raise ExportError(f"the minimum length must be >= 1, got {min_length}")
    on = " AND ".join(f"u{u} >= $threshold" for u in chosen)
    mean = "(" + " + ".join(f"u{u}::DOUBLE" for u in chosen) + f") / {len(chosen)}"
    sql = f"""
        WITH on_steps AS (
            SELECT sequence, step, {mean} AS m FROM store
            WHERE quantity = $quantity AND layer = $layer AND direction = $direction AND {on}),
        runs AS (
            SELECT sequence, step, m,
                   step - row_number() OVER (PARTITION BY sequence ORDER BY step) AS run
            FROM on_steps),
        spans AS (
            SELECT sequence, min(step) AS start, max(step) + 1 AS stop, count(*) AS length,
                   avg(m) AS mean FROM runs GROUP BY sequence, run
            HAVING count(*) >= $min_length)
        SELECT sequence, start, stop, length, mean, count(*) OVER () AS total FROM spans
        ORDER BY length DESC, mean DESC, sequence, start LIMIT $limit"""
    params = {
        "threshold": float(threshold),
        "quantity": quantity,
        "layer": int(layer),
        "direction": int(direction),
        "min_length": int(min_length),
        "limit": int(limit),
    }
    con = connect(store)
    try:
        found = con.execute(sql, params).df()
        total = int(found["total"].iloc[0]) if len(found) else 0
        spans = found.drop(columns="total").astype(
            {"sequence": np.int64, "start": np.int64, "stop": np.int64, "length": np.int64}
        )
        spans["text"] = _span_texts(con, spans, quantity, layer, direction, context)
    finally:
        con.close()
    return spans, total


def _span_texts(con, spans: pd.DataFrame, quantity, layer, direction, context: int) -> list[str]:
    if spans.empty:
        return []
    where = " OR ".join(
        f"(sequence = {int(s)} AND step >= {int(a) - context} AND step < {int(b) + context})"
        for s, a, b in spans[["sequence", "start", "stop"]].values
    )
    tokens = con.execute(
        f"SELECT sequence, step, token FROM store WHERE quantity = ? AND layer = ? AND "
        f"direction = ? AND ({where})",
        [quantity, int(layer), int(direction)],
    ).fetchall()
    by_step = {(s, t): tok for s, t, tok in tokens}
    texts = []
    for s, a, b in spans[["sequence", "start", "stop"]].values:
        first = max(0, int(a) - context)
        around = [by_step.get((s, t), "") for t in range(first, int(b) + context)]
        while around and (s, first + len(around) - 1) not in by_step:  # past the end
            around.pop()
        texts.append(span_text(around, int(a) - first, int(b) - first, context=context))
    return texts


# ---- a window as a Trace: for the unit finder and Explore -----------------------------------
def sequence_lengths(store: str | Path) -> dict[int, int]:
    """{sequence: steps}, in order (one scan of two small columns)."""
    meta = read_store_meta(store)
    con = connect(store)
    try:
        rows = con.execute(
            "SELECT sequence, max(step) + 1 FROM store WHERE quantity = ? AND layer = ? AND "
            "direction = ? GROUP BY sequence ORDER BY sequence",
            [meta["quantities"][-1], meta["layers"][0], meta["directions"][0]],
        ).fetchall()
    finally:
        con.close()
    return {int(s): int(n) for s, n in rows}


def store_window(
    store: str | Path,
    start: int = 0,
    steps: int | None = None,
    lengths: dict[int, int] | None = None,
) -> Trace:
    """Steps ``start`` .. ``start + steps - 1`` of the store (counted through its sequences in
    order) as a Trace [layer, direction, sequence, time, unit], one batch element per sequence
    the window touches, with tokens. ``steps`` defaults to (and may not pass)
    :func:`window_steps`; ``lengths``: :func:`sequence_lengths`, if already known.

    The Trace's kind is the model's when the store holds every quantity it records, else
    "lstm_states" (cell and hidden) or "hidden_states". ExportError for a window past the end.
    """
    meta = read_store_meta(store)
    most = window_steps(meta)
    steps = most if steps is None else int(steps)
    if not 1 <= steps <= most:
        raise ExportError(f"a window holds 1 to {most:,} steps of this store, not {steps:,}")
    lengths = sequence_lengths(store) if lengths is None else lengths
    total = sum(lengths.values())
    if not 0 <= start < total:
        raise ExportError(f"the store has {total:,} steps; a window cannot start at {start:,}")
    pieces, seen = [], 0  # (sequence, first step, stop step) the window covers
    for sequence, n in lengths.items():
        a, b = max(start - seen, 0), min(start + steps - seen, n)
        if a < b:
            pieces.append((sequence, a, b))
        seen += n
        if seen >= start + steps:
            break
    kind, names = _kind(meta)
    where = " OR ".join(f"(sequence = {s} AND step >= {a} AND step < {b})" for s, a, b in pieces)
    listed = ", ".join(f"'{q}'" for q in names)  # recorded names, from RECORDED_NAMES
    con = connect(store)
    try:
        table = con.execute(
            f"SELECT sequence, step, token, layer, direction, quantity, {UNITS} FROM store "
            f"WHERE quantity IN ({listed}) AND ({where})"
        ).fetchnumpy()
    finally:
        con.close()
    batch = {s: k for k, (s, _, _) in enumerate(pieces)}
    first = {s: a for s, a, _ in pieces}
    longest = max(b - a for _, a, b in pieces)
    b_index = np.array([batch[int(s)] for s in table["sequence"]], dtype=np.int64)
    t_index = table["step"].astype(np.int64) - np.array([first[int(s)] for s in table["sequence"]])
    layers, directions = list(meta["layers"]), list(meta["directions"])
    l_index = np.searchsorted(layers, table["layer"])
    d_index = np.searchsorted(directions, table["direction"])
    width = max(int(meta["units"][q]) for q in meta["quantities"])
    grid = np.stack([np.asarray(table[f"u{k}"], dtype=np.float32) for k in range(width)], 1)
    quantity = np.asarray(table["quantity"])
    values = {}
    for q in names:
        units = int(meta["units"][q])
        array = np.full((len(layers), len(directions), len(pieces), longest, units), np.nan,
                        dtype=np.float32)  # fmt: skip
        rows = quantity == q
        array[l_index[rows], d_index[rows], b_index[rows], t_index[rows]] = grid[rows, :units]
        values[q] = torch.from_numpy(array)
    tokens = [[""] * (b - a) for _, a, b in pieces]
    keep = quantity == names[-1]
    for bi, ti, tok, li, di in zip(b_index[keep], t_index[keep], table["token"][keep],
                                   l_index[keep], d_index[keep], strict=True):  # fmt: skip
        if li == 0 and di == 0:
            tokens[bi][ti] = str(tok)
    lengths_t = torch.tensor([b - a for _, a, b in pieces], dtype=torch.int64)
    config = {
        "source": "corpus store",
        "store": str(store),
        "model": meta.get("model"),
        "window": [int(start), int(steps)],
        "sequences": [s for s, _, _ in pieces],
    }
    origin = {"layer": layers, "direction": directions}
    return Trace(kind, values, lengths_t, tokens, config, origin=origin)


def _kind(meta: dict) -> tuple[str, tuple[str, ...]]:
    have = set(meta["quantities"])
    for kind in (meta.get("kind", ""), "lstm_states", "hidden_states"):
        names = RECORDED_NAMES.get(kind)
        if names and have.issuperset(names):
            return kind, names
    raise ExportError(
        f"the store holds {', '.join(meta['quantities'])}: a window needs the hidden state"
    )


__all__ = [
    "MAX_WINDOW_STEPS",
    "MAX_WINDOW_VALUES",
    "sequence_lengths",
    "store_find_spans",
    "store_half_lives",
    "store_saturation",
    "store_version",
    "store_window",
    "window_steps",
]
