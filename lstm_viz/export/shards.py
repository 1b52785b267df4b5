"""A corpus store cut into independent sequences: the same shards in one process or on a
cluster (Dask distributed, an optional extra: ``pip install "dask[distributed]"``).

    record_shards(checkpoint, "corpus.txt", "store/", sequence_steps=2_000)              # here
    record_shards(checkpoint, "corpus.txt", "store/", sequence_steps=2_000, engine="dask",
                  scheduler="tcp://scheduler:8786")                                       # cluster

:func:`lstm_viz.export.store.record_store` reads a text as one sequence, its state carried from
chunk to chunk, which is inherently one process. Here the text is cut into sequences of
``sequence_steps`` tokens, each read from a zero state (``sequence`` = its index, ``step`` its
position in it), and ``sequences_per_shard`` sequences make one shard ``part-{i:05d}.parquet``.
A shard is one task: :func:`record_shard` loads the checkpoint by path, records its sequences and
writes its file, so the local loop and Dask workers run the same code on the same tokens and
write the same shards (a test compares them). The driver tokenizes the file as a stream and
keeps at most ``2 x workers`` shards in flight, so its memory stays bounded too.

On a cluster, every worker must see the checkpoint folder and the output folder at the same
paths (a shared filesystem); start ``dask scheduler`` and ``dask worker tcp://HOST:8786`` on the
machines, then pass ``scheduler="tcp://HOST:8786"`` (``--scheduler`` on the command line).
Without a scheduler, ``engine="dask"`` starts a LocalCluster of ``workers`` processes.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from lstm_viz.export.store import (
    META,
    STATS,
    StoreSummary,
    _choose,
    _prepare,
    _schema,
    _Stats,
    _table,
    _token_chunks,
    _write_meta,
    _writer,
)
from lstm_viz.export.text import ExportError
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.recording.recorder import record

ENGINES = ("local", "dask")


@functools.lru_cache(maxsize=2)
def _model(path: str):
    return load_checkpoint(path)  # once per worker process


def record_shard(
    model_dir: str, tokens: list[str], index: int, first_sequence: int, sequence_steps: int,
    out: str, names: list[str], width: int,
) -> tuple[int, int, int, _Stats]:  # fmt: skip
    """Record one shard's sequences and write ``out/part-{index:05d}.parquet``.

    Returns (index, steps, rows, stats). Runs in this process or on a Dask worker."""
    checkpoint = _model(model_dir)
    schema, stats = _schema(width), _Stats()
    rows = 0
    writer = _writer(Path(out) / f"part-{index:05d}.parquet", schema)
    try:
        for j, start in enumerate(range(0, len(tokens), sequence_steps)):
            piece = tokens[start : start + sequence_steps]
            ids = torch.tensor([checkpoint.vocab.encode(piece)], dtype=torch.int64)  # [1, T]
            with torch.no_grad():
                _, trace = record(checkpoint.model, ids)
            table = _table(trace, names, piece, 0, schema, sequence=first_sequence + j)
            writer.write_table(table)
            stats.add(trace, names)
            rows += table.num_rows
    finally:
        writer.close()
    return index, len(tokens), rows, stats


def record_shards(
    checkpoint, text_file: str | Path, out: str | Path, *, sequence_steps: int = 2_000,
    sequences_per_shard: int = 50, quantities: list[str] | None = None,
    max_steps: int | None = None, engine: str = "local", scheduler: str | None = None,
    workers: int = 2, progress: Callable[[int], None] | None = None,
) -> StoreSummary:  # fmt: skip
    """Record ``text_file`` cut into sequences of ``sequence_steps`` tokens into a store at
    ``out`` (the schema of lstm_viz.export.store), here (``engine="local"``) or with Dask.

    Raises ExportError: no vocabulary, an unknown engine or quantity, Dask not installed, a
    non-store ``out``, or an unreadable text file."""
    if engine not in ENGINES:
        raise ExportError(f"engine must be one of {ENGINES}, not {engine!r}")
    if checkpoint.vocab is None:
        raise ExportError(f"{checkpoint.path} reads numbers, not text: record a token model")
    if sequence_steps < 1 or sequences_per_shard < 1:
        raise ExportError("sequence_steps and sequences_per_shard must be >= 1")
    started = time.perf_counter()
    out = _prepare(Path(out))
    probe_ids = torch.tensor([[checkpoint.vocab.id(checkpoint.vocab.tokens[-1])]])
    with torch.no_grad():
        _, probe = record(checkpoint.model, probe_ids)  # kind, names and widths
    names = _choose(probe.names, quantities)
    width = max(probe[n].shape[-1] for n in names)
    schema = _schema(width)
    _write_meta(out, checkpoint, text_file, probe, names, schema, 0, 0)
    per_shard = sequence_steps * sequences_per_shard
    shards = _shards(Path(text_file), checkpoint.vocab, per_shard, max_steps)
    args = (sequence_steps, str(out), names, width)
    model_dir = str(Path(checkpoint.path).resolve())
    total, steps, rows = _Stats(), 0, 0
    if engine == "local":
        results = (
            record_shard(model_dir, tokens, i, i * sequences_per_shard, *args)
            for i, tokens in shards
        )
    else:
        results = _dask_results(model_dir, shards, sequences_per_shard, args, scheduler, workers)
    done: dict[int, _Stats] = {}
    for index, n, r, stats in results:
        steps, rows = steps + n, rows + r
        done[index] = stats
        if progress is not None:
            progress(steps)
    for index in sorted(done):  # in shard order, whatever order they finished in: the same sums
        total.merge(done[index])
    if steps == 0:
        raise ExportError(f"{text_file} holds no text the model can read")
    total.write(out / STATS, width)
    count = len(list(out.glob("part-*.parquet")))
    _write_meta(out, checkpoint, text_file, None, names, schema, steps, count)
    meta_path = out / META
    meta = json.loads(meta_path.read_text())
    meta.update(sequence_steps=sequence_steps, sequences_per_shard=sequences_per_shard)
    meta_path.write_text(json.dumps(meta, indent=1))
    size = sum(p.stat().st_size for p in out.iterdir())
    return StoreSummary(str(out), steps, rows, count, time.perf_counter() - started, size)


def _shards(path: Path, vocab, per_shard: int, max_steps: int | None) -> Iterator:
    yield from enumerate(_token_chunks(path, vocab, per_shard, max_steps))


def _dask_results(model_dir, shards, sequences_per_shard, args, scheduler, workers):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ExportError(
            'engine="dask" needs Dask distributed: pip install "dask[distributed]"'
        ) from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(cluster if cluster is not None else scheduler)
    try:
        limit = 2 * max(1, len(client.scheduler_info()["workers"]))
        pending = as_completed()
        for i, tokens in shards:
            pending.add(
                client.submit(
                    record_shard, model_dir, tokens, i, i * sequences_per_shard, *args, pure=False
                )  # fmt: skip
            )
            while pending.count() >= limit:
                yield next(pending).result()
        for future in pending:
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
