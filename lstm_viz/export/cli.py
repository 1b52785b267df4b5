"""``python -m lstm_viz export-html | export-lstmvis | record-corpus | query``.

Registered by lstm_viz/cli.py through :func:`add_commands` and :func:`run`; every failure the user
can fix is a ValueError (ExportError) that the main entry prints as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("export-html", "export-lstmvis", "import-lstmvis", "record-corpus", "query")


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add this module's commands to the main parser's subcommands."""
    page = commands.add_parser(
        "export-html",
        help="write one self-contained HTML page of a recording (opens offline)",
        description="Record a model reading a text and write one HTML file: every gate and "
        "state heatmap of every layer, a unit picker and the unit view, plotly.js embedded. "
        "It opens in any browser with no network.",
    )
    page.add_argument("--model", type=Path, required=True, help="a checkpoint folder")
    page.add_argument("--input", required=True, help="the text the model reads")
    page.add_argument("--out", type=Path, required=True, help="the .html file to write")

    lstmvis = commands.add_parser(
        "export-lstmvis",
        help="write an LSTMVis project folder (states, word ids, dict, lstm.yml)",
        description="Record a model reading a text file and write LSTMVis's project layout: "
        "states.hdf5 (states{L} = cell, output{L} = hidden per layer), train.hdf5 (word_ids), "
        "train.dict and lstm.yml. Point LSTMVis's --dir at the folder above it.",
    )
    lstmvis.add_argument("--model", type=Path, required=True, help="a checkpoint folder")
    lstmvis.add_argument("--text-file", type=Path, required=True, help="a UTF-8 text file")
    lstmvis.add_argument("--out", type=Path, required=True, help="the project folder to write")
    lstmvis.add_argument("--name", help="the project's name in LSTMVis (default: the folder's)")
    reader = commands.add_parser(
        "import-lstmvis",
        help="read an LSTMVis project folder as a trace (cell and hidden states)",
        description="Read an LSTMVis project folder (lstm.yml, or states{L}/output{L}, word ids "
        "and a .dict by convention) and save it as a trace file; it has no gates and no model.",
    )
    reader.add_argument("folder", type=Path)
    reader.add_argument("--out", type=Path, required=True, help="trace file (.npz or .parquet)")
    corpus = commands.add_parser(
        "record-corpus",
        help="record a long text into Parquet shards in bounded memory",
        description="Record a model reading a text file, a chunk at a time with its state "
        "carried over, into a folder of Parquet shards (one row per step, layer, direction and "
        'quantity; one column per unit). Query it with: python -m lstm_viz query STORE "SQL".',
    )
    corpus.add_argument("--model", type=Path, required=True, help="a checkpoint folder")
    corpus.add_argument("--text-file", type=Path, required=True, help="a UTF-8 text file")
    corpus.add_argument("--out", type=Path, required=True, help="the store folder to write")
    corpus.add_argument("--quantities", help="comma-separated, e.g. cell,hidden (default: all)")
    corpus.add_argument("--max-steps", type=int, help="stop after this many tokens")
    corpus.add_argument("--chunk", type=int, default=2_000, help="tokens per recording call")
    corpus.add_argument("--shard-steps", type=int, default=100_000, help="steps per shard")
    corpus.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    corpus.add_argument(
        "--sequence-steps",
        type=int,
        help="cut the text into independent sequences of this many tokens (each from a zero "
        "state); needed to spread the work over several processes or machines",
    )
    corpus.add_argument("--engine", choices=("local", "dask"), default="local")
    corpus.add_argument("--scheduler", help="with --engine dask: a scheduler, tcp://HOST:8786")
    corpus.add_argument("--workers", type=int, default=2, help="local Dask worker processes")
    query = commands.add_parser(
        "query",
        help="run SQL (DuckDB) over a corpus store",
        description="Run one SQL statement with DuckDB, in-process, over a store written by "
        "record-corpus; the table is called store. Example: python -m lstm_viz query STORE "
        "\"SELECT step, token FROM store WHERE quantity = 'hidden' AND layer = 1 AND u5 > 0.9\"",
    )
    query.add_argument("store", type=Path)
    query.add_argument("sql")
    query.add_argument("--limit", type=int, default=50, help="rows to print (default 50)")
    query.add_argument("--csv", type=Path, help="also write the whole result to this CSV file")


def run(args: argparse.Namespace) -> int:
    if args.command == "record-corpus":
        return run_record_corpus(args)
    if args.command == "query":
        return run_query(args)
    if args.command == "export-html":
        return run_export_html(args)
    if args.command == "export-lstmvis":
        return run_export_lstmvis(args)
    if args.command == "import-lstmvis":
        return run_import_lstmvis(args)
    raise ValueError(f"unknown command {args.command!r}")  # pragma: no cover


def _checkpoint(path: Path):
    from lstm_viz.models.checkpoints import load_checkpoint

    return load_checkpoint(path)


def run_export_html(args: argparse.Namespace) -> int:
    from lstm_viz.analysis.scales import read_scales
    from lstm_viz.export.html import export_html
    from lstm_viz.export.text import record_text

    checkpoint = _checkpoint(args.model)
    trace = record_text(checkpoint, args.input)
    scales = read_scales(args.model)  # the model's fixed colour ranges, when it has them
    name = args.model.name or str(args.model)
    page = export_html(trace, model=name, text=args.input, scales=scales)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.1f} MB, {trace.num_steps} steps)", file=sys.stderr)
    return 0


def _read_text(path: Path) -> str:
    from lstm_viz.export.text import ExportError

    if not path.is_file():
        raise ExportError(f"--text-file {path} is not a file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        where = f"{error.reason} at byte {error.start}"
        raise ExportError(f"{path} is not UTF-8 text ({where}): save it as UTF-8") from None


def run_export_lstmvis(args: argparse.Namespace) -> int:
    from lstm_viz.export.lstmvis import write_lstmvis
    from lstm_viz.export.text import record_text

    checkpoint = _checkpoint(args.model)
    trace = record_text(checkpoint, _read_text(args.text_file))
    name = args.name or args.out.name
    description = f"{args.text_file.name} read by {args.model.name} (written by lstm-viz)"
    write_lstmvis(trace, args.out, name=name, description=description)
    print(
        f"wrote LSTMVis project {args.out} ({trace.num_steps:,} steps, {trace.num_layers} "
        "layer(s) of cell and hidden states)",
        file=sys.stderr,
    )
    return 0


def run_import_lstmvis(args: argparse.Namespace) -> int:
    from lstm_viz.export.lstmvis import read_lstmvis

    project = read_lstmvis(args.folder)
    project.trace.save(args.out)
    print(project.message)
    for note in project.notes:
        print(f"note: {note}")
    print(f"trace: {args.out}")
    return 0


def run_record_corpus(args: argparse.Namespace) -> int:
    from lstm_viz.export.store import record_store

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    checkpoint = _checkpoint(args.model)
    wanted = [q.strip() for q in args.quantities.split(",")] if args.quantities else None

    def progress(steps: int) -> None:
        print(f"\r{steps:,} steps recorded", end="", file=sys.stderr, flush=True)

    if args.sequence_steps or args.engine != "local":
        from lstm_viz.export.shards import record_shards

        sequence_steps = args.sequence_steps or args.chunk
        summary = record_shards(
            checkpoint,
            args.text_file,
            args.out,
            sequence_steps=sequence_steps,
            sequences_per_shard=max(1, args.shard_steps // sequence_steps),
            quantities=wanted,
            max_steps=args.max_steps,
            engine=args.engine,
            scheduler=args.scheduler,
            workers=args.workers,
            progress=progress,
        )
    else:
        summary = record_store(
            checkpoint,
            args.text_file,
            args.out,
            chunk=args.chunk,
            shard_steps=args.shard_steps,
            quantities=wanted,
            max_steps=args.max_steps,
            progress=progress,
        )
    print(file=sys.stderr)
    print(
        f"wrote {summary.path}: {summary.steps:,} steps, {summary.rows:,} rows in "
        f"{summary.shards} shard(s), {summary.bytes_on_disk / 1e6:,.1f} MB, "
        f"{summary.steps_per_second:,.0f} steps/s"
    )
    return 0


def run_query(args: argparse.Namespace) -> int:
    import duckdb

    from lstm_viz.export.store import connect
    from lstm_viz.export.text import ExportError

    con = connect(args.store)
    try:
        relation = con.sql(args.sql)
        if relation is None:
            print("ok")
            return 0
        if args.csv is not None:
            relation.write_csv(str(args.csv))
        frame = relation.limit(args.limit + 1).df()
    except duckdb.Error as error:
        raise ExportError(f"the query failed: {str(error).splitlines()[0]}") from None
    finally:
        con.close()
    more = len(frame) > args.limit
    print(frame.head(args.limit).to_string(index=False, max_colwidth=40))
    if more:
        print(f"(first {args.limit} rows; --limit N for more, --csv FILE for all)")
    return 0
