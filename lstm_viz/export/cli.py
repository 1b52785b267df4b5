"""``python -m lstm_viz export-html | export-lstmvis | record-corpus | query``.

Registered by lstm_viz/cli.py through :func:`add_commands` and :func:`run`; every failure the user
can fix is a ValueError (ExportError) that the main entry prints as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("export-html", "export-lstmvis")


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


def run(args: argparse.Namespace) -> int:
    if args.command == "export-html":
        return run_export_html(args)
    if args.command == "export-lstmvis":
        return run_export_lstmvis(args)
    raise ValueError(f"unknown command {args.command!r}")  # pragma: no cover


def _checkpoint(path: Path):
    from lstm_viz.models.checkpoints import load_checkpoint

    return load_checkpoint(path)


def run_export_html(args: argparse.Namespace) -> int:
    from lstm_viz.export.html import export_html
    from lstm_viz.export.text import record_text

    checkpoint = _checkpoint(args.model)
    trace = record_text(checkpoint, args.input)
    page = export_html(trace, model=args.model.name or str(args.model), text=args.input)
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
