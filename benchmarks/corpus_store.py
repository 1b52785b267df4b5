"""How fast and how big is a corpus store? `python benchmarks/corpus_store.py [--steps N]`

Records N characters of English prose (pydoc's topics, repeated) through the shipped
english-char-lstm into a Parquet store (`lstm_viz.export.store.record_store`, what
`python -m lstm_viz record-corpus` runs), each size in a fresh child process, and prints:
- steps per second recorded (recording + writing the shards),
- peak memory held: the child's peak resident set (ru_maxrss: torch, the model and the
  recording together) and its resident set before recording, at N/4 and N steps (bounded
  memory means the peak does not grow with N),
- bytes on disk per step,
- DuckDB query times over the store: a pattern search (two units on together) and a per-unit
  mean of every quantity and layer,
- long vs wide: the same 20,000 steps written one row per unit (long) and one column per unit
  (wide, the store's schema): size, write time and the two queries,
- the extrapolation to 10 million steps from the measured rates (printed as such).
Threads: torch.set_num_threads(--threads, default 1; on a busy 2-core machine 2 threads were
10-40x slower than 1 here).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure this checkout's lstm_viz, not an installed one
MODEL = ROOT / "pretrained" / "english-char-lstm"
PATTERN = (
    "SELECT count(*) FROM store WHERE quantity = 'hidden' AND layer = 1 AND u1 > 0.5 AND u17 > 0.5"
)
MEANS = "SELECT quantity, layer, avg(COLUMNS('^u\\d+$')) FROM store GROUP BY ALL"
FAST_MEANS = "SELECT * FROM unit_means"  # from the stats record-corpus gathers


def write_text(path: Path, steps: int) -> None:
    import lstm_viz.models  # noqa: F401  (import order: models before tasks)
    from lstm_viz.tasks.text import english_corpus

    corpus = english_corpus()
    with open(path, "w", encoding="utf-8") as f:
        left = steps
        while left > 0:
            f.write(corpus[:left])
            left -= len(corpus[:left])


def child(args: argparse.Namespace) -> None:
    """Record one store in this process; print one JSON line with what it measured."""
    import torch

    torch.set_num_threads(args.threads)
    from lstm_viz import tune_allocator
    from lstm_viz.export.store import record_store
    from lstm_viz.models.checkpoints import load_checkpoint

    tune_allocator()
    checkpoint = load_checkpoint(MODEL)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    wanted = args.quantities.split(",") if args.quantities else None
    summary = record_store(checkpoint, args.text, args.out, max_steps=args.steps, quantities=wanted)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"steps": summary.steps, "seconds": summary.seconds,
                      "bytes": summary.bytes_on_disk, "rss_before_mib": before,
                      "peak_mib": peak}))  # fmt: skip


def timed(con, sql: str, repeats: int = 3) -> float:
    con.execute(sql).fetchall()  # warm: file metadata cached
    start = time.perf_counter()
    for _ in range(repeats):
        con.execute(sql).fetchall()
    return (time.perf_counter() - start) / repeats


def long_vs_wide(store: Path, folder: Path) -> None:
    """The first 20,000 steps of ``store`` as long and as wide Parquet: size, write, queries."""
    import duckdb

    con = duckdb.connect()
    src = f"read_parquet('{store}/part-*.parquet')"
    wide, long = folder / "wide.parquet", folder / "long.parquet"
    units = ", ".join(f"u{k}" for k in range(128))
    for path, select in [
        (wide, f"SELECT * FROM {src} WHERE step < 20000"),
        (long, f"SELECT sequence, step, token, layer, direction, quantity, "
               f"CAST(substr(unit, 2) AS SMALLINT) AS unit, value FROM "
               f"(SELECT * FROM {src} WHERE step < 20000) UNPIVOT (value FOR unit IN ({units}))"),
    ]:  # fmt: skip
        start = time.perf_counter()
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        seconds = time.perf_counter() - start
        con.execute(f"CREATE OR REPLACE VIEW store AS SELECT * FROM '{path}'")
        if path == wide:
            pattern, means = PATTERN, MEANS
        else:
            pattern = (
                "SELECT count(*) FROM (SELECT step FROM store WHERE quantity = 'hidden' AND "
                "layer = 1 AND unit IN (1, 17) AND value > 0.5 GROUP BY step HAVING count(*) = 2)"
            )
            means = "SELECT quantity, layer, unit, avg(value) FROM store GROUP BY ALL"
        print(
            f"{path.stem:4s} form, 20,000 steps: {path.stat().st_size / 1e6:7.1f} MB, written "
            f"in {seconds:5.2f} s; pattern search {timed(con, pattern):.3f} s; per-unit mean "
            f"{timed(con, means):.3f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quantities", help="comma-separated (default: all six)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--text", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    import duckdb

    from lstm_viz.export.store import connect

    folder = Path(tempfile.mkdtemp(prefix="corpus-store-"))
    try:
        text = folder / "text.txt"
        write_text(text, args.steps)
        results = []
        for steps in (args.steps // 4, args.steps):
            out = folder / f"store-{steps}"
            command = [sys.executable, __file__, "--child", "--steps", str(steps), "--threads",
                       str(args.threads), "--text", str(text), "--out", str(out)]  # fmt: skip
            if args.quantities:
                command += ["--quantities", args.quantities]
            done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(result)
            print(
                f"recorded {result['steps']:,} steps in {result['seconds']:.1f} s: "
                f"{result['steps'] / result['seconds']:,.0f} steps/s; peak memory held "
                f"{result['peak_mib']:,.0f} MiB (resident before recording "
                f"{result['rss_before_mib']:,.0f} MiB); {result['bytes'] / result['steps']:,.0f} "
                f"bytes/step on disk"
            )
            if steps != args.steps:
                shutil.rmtree(out)
        store = folder / f"store-{args.steps}"
        con = connect(store)
        hits = con.execute(PATTERN).fetchone()[0]
        print(
            f"DuckDB over {args.steps:,} steps ({results[-1]['bytes'] / 1e9:.2f} GB): pattern "
            f"search {timed(con, PATTERN):.3f} s ({hits:,} steps match); per-unit mean of every "
            f"quantity and layer {timed(con, MEANS):.3f} s (scanning the shards), "
            f"{timed(con, FAST_MEANS):.3f} s (the unit_means view of the recorded stats)"
        )
        con.close()
        if args.steps >= 20_000 and not args.quantities:
            long_vs_wide(store, folder)
        last = results[-1]
        rate, per_step = last["steps"] / last["seconds"], last["bytes"] / last["steps"]
        if last["steps"] < 10_000_000:  # measured, not extrapolated, from 10 million up
            print(
                f"extrapolated to 10,000,000 steps (not measured): {1e7 / rate / 3600:.1f} h to "
                f"record at {rate:,.0f} steps/s, {per_step * 1e7 / 1e9:,.0f} GB on disk, peak "
                f"memory as measured above ({last['peak_mib']:,.0f} MiB at {last['steps']:,} "
                f"steps, {results[0]['peak_mib']:,.0f} MiB at {results[0]['steps']:,})"
            )
        what = args.quantities or "all quantities"
        print(f"duckdb {duckdb.__version__}; threads {args.threads}; {what}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
