"""Corpora beyond memory: record a long text into Parquet shards, query them with DuckDB.

    summary = record_store(checkpoint, "corpus.txt", "store/")     # bounded memory
    query_store("store/", "SELECT avg(u5) FROM store WHERE quantity = 'hidden'")

The text is read as one stream, ``chunk`` tokens at a time; the model's state is carried from
one chunk to the next (one-directional models), so the recording equals one pass over the whole
text. Memory held: the model, one chunk's trace and its Arrow table (about 12 MB per 1,000
steps for 2 layers x 6 quantities x 128 units), independent of the corpus length.

The store (a folder):
- ``store.json``: format "lstm_viz.corpus_store", version, model, source, kind, quantities,
  units per quantity, layers, directions, steps, shards, and the schema below;
- ``stats.parquet``: per layer, direction and quantity, each unit's sum, sum of squares, min
  and max over the whole text (``stat`` column; ``n`` steps), gathered while recording, so
  per-unit means (the ``unit_means`` view of :func:`connect`) answer without a scan;
- ``part-00000.parquet``, ``part-00001.parquet``, ...: each about ``shard_steps`` steps. Schema,
  one row per (step, layer, direction, quantity), **wide** (one column per unit):

  ========== ============ ==========================================================
  sequence   int32        which sequence (0: the text is one sequence)
  step       int64        the position in the sequence, from 0
  token      string       the token read at that step
  layer      int8         the recording's layer index, from 0
  direction  int8         0 forward, 1 backward
  quantity   string       forget_gate, input_gate, candidate, output_gate, cell, hidden
  u0..u{U-1} float32      the quantity's value for each unit (null past a narrower
                          quantity's width, e.g. a projected hidden state)
  ========== ============ ==========================================================

Wide, not long (one row per unit), measured here (``benchmarks/corpus_store.py``, the same
20,000 steps of english-char-lstm, all six quantities, both written by DuckDB with zstd): about
the same size on disk (110.9 vs 110.3 MB: zstd squeezes the repeated keys), but the long form
took 9x longer to write (7.7 vs 0.87 s), 77x longer for a pattern search over two units
(0.462 vs 0.006 s: Parquet is columnar, so the wide form reads only those two columns) and 3x
longer for a per-unit mean (0.576 vs 0.192 s). SQL names units as columns: ``u5 > 0.9``,
``avg(COLUMNS('^u\\d+$'))``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lstm_viz.export.text import ExportError
from lstm_viz.models.checkpoints import Checkpoint
from lstm_viz.quantities import display_order
from lstm_viz.recording.recorder import record

FORMAT, VERSION, META, STATS = "lstm_viz.corpus_store", 1, "store.json", "stats.parquet"
DEFAULT_CHUNK = 2_000  # tokens per recording call
DEFAULT_SHARD_STEPS = 100_000  # steps per Parquet file
READ_CHARS = 1 << 16  # characters read from the text file at a time


@dataclass(frozen=True)
class StoreSummary:
    path: str
    steps: int
    rows: int
    shards: int
    seconds: float
    bytes_on_disk: int

    @property
    def steps_per_second(self) -> float:
        return self.steps / max(self.seconds, 1e-9)


def record_store(
    checkpoint: Checkpoint,
    text_file: str | Path,
    out: str | Path,
    *,
    chunk: int = DEFAULT_CHUNK,
    shard_steps: int = DEFAULT_SHARD_STEPS,
    quantities: list[str] | None = None,
    max_steps: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> StoreSummary:
    """Record ``checkpoint``'s model reading ``text_file`` (UTF-8) into a Parquet store at ``out``.

    ``quantities``: which to keep (default: all the model records); ``max_steps``: stop after
    this many tokens; ``progress(steps_done)`` after each chunk. ``out`` must not exist or be an
    empty folder or an earlier store (which is replaced). Returns a :class:`StoreSummary`.

    Raises ExportError: no vocabulary (a numeric model), a bidirectional model (a backward pass
    needs the whole text at once), an unknown quantity, an unreadable file, or a non-store ``out``.
    """
    vocab = checkpoint.vocab
    if vocab is None:
        raise ExportError(f"{checkpoint.path} reads numbers, not text: record a token model")
    if checkpoint.model.config.bidirectional:
        raise ExportError(
            "a bidirectional model reads each sequence backwards too, so one long sequence "
            "cannot be streamed: cut the text into sequences (--sequence-steps N)"
        )
    if chunk < 1 or shard_steps < 1:
        raise ExportError("chunk and shard_steps must be >= 1")
    out = _prepare(Path(out))
    started = time.perf_counter()
    model, state = checkpoint.model, None
    writer = schema = names = None
    stats = _Stats()
    shard = steps = rows = 0
    in_shard = 0
    try:
        for tokens in _token_chunks(Path(text_file), vocab, chunk, max_steps):
            ids = torch.tensor([vocab.encode(tokens)], dtype=torch.int64)  # [1, T]
            with torch.no_grad():
                (_, state), trace = record(model, ids, forward_kwargs={"state": state})
            if names is None:
                names = _choose(trace.names, quantities)
                width = max(trace[n].shape[-1] for n in names)
                schema = _schema(width)
                _write_meta(out, checkpoint, text_file, trace, names, schema, 0, 0)
            table = _table(trace, names, tokens, steps, schema)
            stats.add(trace, names)
            if writer is None:
                writer = _writer(out / f"part-{shard:05d}.parquet", schema)
            writer.write_table(table)
            steps += len(tokens)
            in_shard += len(tokens)
            rows += table.num_rows
            del trace, table
            if in_shard >= shard_steps:
                writer.close()
                writer, shard, in_shard = None, shard + 1, 0
            if progress is not None:
                progress(steps)
    finally:
        if writer is not None:
            writer.close()
    if names is None:
        raise ExportError(f"{text_file} holds no text the model can read")
    shards = len(list(out.glob("part-*.parquet")))
    stats.write(out / STATS, len(schema) - 6)
    _write_meta(out, checkpoint, text_file, None, names, schema, steps, shards)
    size = sum(p.stat().st_size for p in out.iterdir())
    summary = StoreSummary(str(out), steps, rows, shards, time.perf_counter() - started, size)
    return summary


def _writer(path: Path, schema):
    """A Parquet writer with the store's options (the same for every engine)."""
    import pyarrow.parquet as pq

    return pq.ParquetWriter(
        path,
        schema,
        compression="zstd",
        use_dictionary=["token", "quantity"],  # floats: plain, byte-stream split
        use_byte_stream_split=[f"u{k}" for k in range(len(schema) - 6)],
    )


def _prepare(out: Path) -> Path:
    if out.exists():
        if not out.is_dir():
            raise ExportError(f"{out} exists and is not a folder: give a new folder for the store")
        if any(out.iterdir()):
            if not (out / META).is_file():
                raise ExportError(f"{out} is a folder with other files: give a new folder")
            shutil.rmtree(out)  # an earlier store: replaced
    out.mkdir(parents=True, exist_ok=True)
    return out


def _token_chunks(path: Path, vocab, chunk: int, max_steps: int | None) -> Iterator[list[str]]:
    """The file's tokens, ``chunk`` at a time, reading ``READ_CHARS`` characters at a time.
    Word-level text is cut only at whitespace, so no word is split between reads."""
    if not path.is_file():
        raise ExportError(f"--text-file {path} is not a file")
    pending: list[str] = []
    done = 0
    tail = ""
    try:
        with open(path, encoding="utf-8") as f:
            while True:
                block = f.read(READ_CHARS)
                text = tail + block
                if block and vocab.level == "word":
                    cut = max(text.rfind(" "), text.rfind("\n"))
                    text, tail = (text[: cut + 1], text[cut + 1 :]) if cut >= 0 else ("", text)
                else:
                    tail = ""
                pending += vocab.tokenize(text)
                while len(pending) >= chunk or (not block and pending):
                    take = pending[:chunk]
                    if max_steps is not None:
                        take = take[: max_steps - done]
                    if not take:
                        return
                    yield take
                    done += len(take)
                    pending = pending[chunk:]
                if not block or (max_steps is not None and done >= max_steps):
                    return
    except UnicodeDecodeError as error:
        raise ExportError(f"{path} is not UTF-8 text ({error.reason}): save it as UTF-8") from None


def _choose(recorded: tuple[str, ...], wanted: list[str] | None) -> list[str]:
    if not wanted:
        return display_order(recorded)
    unknown = [q for q in wanted if q not in recorded]
    if unknown:
        raise ExportError(f"the model records {list(recorded)}, not {unknown}")
    return [q for q in display_order(recorded) if q in wanted]


def _schema(width: int):
    import pyarrow as pa

    keys = [
        ("sequence", pa.int32()),
        ("step", pa.int64()),
        ("token", pa.string()),
        ("layer", pa.int8()),
        ("direction", pa.int8()),
        ("quantity", pa.string()),
    ]
    return pa.schema(keys + [(f"u{k}", pa.float32()) for k in range(width)])


def _table(trace, names: list[str], tokens: list[str], offset: int, schema, sequence: int = 0):
    """One chunk as rows (step, layer, direction, quantity) x units, in that nesting order."""
    import pyarrow as pa

    steps = len(tokens)
    width = len(schema) - 6
    blocks, keys = [], []
    for layer in range(trace.num_layers):
        for direction in range(trace.num_directions):
            for q in names:
                v = trace[q][layer, direction, 0].numpy()  # [T, U]
                if v.shape[1] < width:
                    v = np.pad(v, ((0, 0), (0, width - v.shape[1])), constant_values=np.nan)
                blocks.append(v)
                keys.append((layer, direction, q))
    values = np.stack(blocks, axis=1).reshape(steps * len(keys), width)  # [T*K, U]
    k = len(keys)
    columns = {
        "sequence": pa.array(np.full(steps * k, sequence, np.int32)),
        "step": pa.array(np.repeat(np.arange(offset, offset + steps, dtype=np.int64), k)),
        "token": pa.array(np.repeat(np.array(tokens, dtype=object), k), pa.string()),
        "layer": pa.array(np.tile(np.array([x[0] for x in keys], np.int8), steps)),
        "direction": pa.array(np.tile(np.array([x[1] for x in keys], np.int8), steps)),
        "quantity": pa.array(np.tile(np.array([x[2] for x in keys], dtype=object), steps)),
    }
    by_unit = np.ascontiguousarray(values.T)  # [U, T*K]: each unit's column is contiguous
    padded = any(trace[q].shape[-1] < width for q in names)
    for u in range(width):
        column = by_unit[u]  # zero-copy; null only where a narrower quantity has no unit u
        mask = np.isnan(column) if padded else None
        columns[f"u{u}"] = pa.array(column, mask=mask, type=pa.float32())
    return pa.table(columns, schema=schema)


def _write_meta(out, checkpoint, text_file, trace, names, schema, steps, shards) -> None:
    path = out / META
    meta = json.loads(path.read_text()) if path.is_file() else {}
    if trace is not None:
        meta.update(
            format=FORMAT,
            version=VERSION,
            model=str(checkpoint.path),
            source=str(text_file),
            kind=trace.kind,
            quantities=names,
            units={q: int(trace[q].shape[-1]) for q in names},
            layers=trace.ids("layer"),
            directions=trace.ids("direction"),
            schema=[f"{f.name}: {f.type}" for f in schema],
        )
    meta.update(steps=steps, shards=shards, complete=steps > 0)
    path.write_text(json.dumps(meta, indent=1))


def read_store_meta(store: str | Path) -> dict:
    """The store's store.json; ExportError when ``store`` is not a corpus store."""
    path = Path(store) / META
    if not path.is_file():
        raise ExportError(
            f"{store} is not a corpus store (no {META}): write one with record-corpus"
        )
    meta = json.loads(path.read_text())
    if meta.get("format") != FORMAT:
        raise ExportError(f"{path} was not written by lstm_viz record-corpus")
    return meta


class _Stats:
    """Per (layer, direction, quantity): steps, and each unit's sum, sum of squares, min, max."""

    def __init__(self) -> None:
        self.n: dict[tuple, int] = {}
        self.values: dict[tuple, dict[str, np.ndarray]] = {}

    def add(self, trace, names: list[str]) -> None:
        part = _Stats()
        for layer in range(trace.num_layers):
            for direction in range(trace.num_directions):
                for q in names:
                    v = trace[q][layer, direction, 0].numpy().astype(np.float64)  # [T, U]
                    key = (trace.ids("layer")[layer], trace.ids("direction")[direction], q)
                    part.n[key] = v.shape[0]
                    part.values[key] = {"sum": v.sum(0), "sum_of_squares": (v * v).sum(0),
                                        "min": v.min(0), "max": v.max(0)}  # fmt: skip
        self.merge(part)

    def merge(self, other: _Stats) -> None:
        for key, parts in other.values.items():
            if key not in self.values:
                self.n[key] = other.n[key]
                self.values[key] = {k: v.copy() for k, v in parts.items()}
                continue
            old = self.values[key]
            old["sum"] += parts["sum"]
            old["sum_of_squares"] += parts["sum_of_squares"]
            np.minimum(old["min"], parts["min"], out=old["min"])
            np.maximum(old["max"], parts["max"], out=old["max"])
            self.n[key] += other.n[key]

    def write(self, path: Path, width: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows: dict[str, list] = {c: [] for c in ("layer", "direction", "quantity", "stat", "n")}
        units: list[np.ndarray] = []
        for key, parts in self.values.items():
            for stat, v in parts.items():
                for column, value in zip(rows, (*key, stat, self.n[key]), strict=True):
                    rows[column].append(value)
                units.append(np.pad(v, (0, width - v.shape[0]), constant_values=np.nan))
        grid = np.array(units).reshape(len(units), width)
        table = pa.table({**rows, **{f"u{k}": grid[:, k] for k in range(width)}})
        pq.write_table(table, path)


def connect(store: str | Path):
    """A DuckDB connection (in memory) with views over ``store``:

    - ``store``: every shard (the schema in the module docstring);
    - ``stats``: per layer, direction and quantity, ``stat`` in (sum, sum_of_squares, min, max)
      with ``n`` steps and one column per unit, gathered while recording;
    - ``unit_means``: each unit's mean per layer, direction and quantity, from ``stats``
      (instant at any size, where the same mean over ``store`` scans every shard).
    """
    import duckdb

    read_store_meta(store)
    folder = Path(store).resolve()
    pattern = str(folder / "part-*.parquet").replace("'", "''")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW store AS SELECT * FROM read_parquet('{pattern}')")
    if (folder / STATS).is_file():
        stats = str(folder / STATS).replace("'", "''")
        con.execute(f"CREATE VIEW stats AS SELECT * FROM read_parquet('{stats}')")
        con.execute(
            "CREATE VIEW unit_means AS SELECT layer, direction, quantity, n, "
            "COLUMNS('^u\\d+$') / n FROM stats WHERE stat = 'sum'"
        )
    return con


def query_store(store: str | Path, sql: str):
    """Run ``sql`` (DuckDB's dialect; the table is called ``store``) and return a pandas frame.

    Raises ExportError with DuckDB's own first line for SQL it cannot run."""
    import duckdb

    con = connect(store)
    try:
        return con.execute(sql).df()
    except duckdb.Error as error:
        raise ExportError(f"the query failed: {str(error).splitlines()[0]}") from None
    finally:
        con.close()


__all__ = ["StoreSummary", "connect", "query_store", "read_store_meta", "record_store"]
