"""``python -m lstm_viz export-html | export-lstmvis | record-corpus | query``.

Registered by lstm_viz/cli.py through :func:`add_commands` and :func:`run`; every failure the user
can fix is a ValueError (ExportError) that the main entry prints as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("export-html",)


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


def run(args: argparse.Namespace) -> int:
    if args.command == "export-html":
        return run_export_html(args)
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
