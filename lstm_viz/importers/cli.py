"""``python -m lstm_viz inspect FILE`` and ``python -m lstm_viz record --model FILE ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import (
    EXTENSIONS,
    MAX_FILE_MB,
    MAX_STEPS,
    Choice,
    build,
    checks,
    inspect_file,
    prepare,
    read_vocab,
    recurrent_input,
)


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the ``inspect`` and ``record`` commands to the main parser's subcommands."""
    formats = ", ".join(f".{e}" for e in EXTENSIONS)
    inspect = commands.add_parser(
        "inspect",
        help="list the recurrent layers in a model file",
        description=f"Read a model file as data (never running code from it; {formats}; at "
        f"most {MAX_FILE_MB} MB) and list every recurrent layer found.",
    )
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--mapping", action="store_true", help="show where each weight came from")
    record = commands.add_parser(
        "record",
        help="record every gate of a layer in a model file",
        description="Record a recurrent layer of an uploaded model file on an input; check the "
        "recording against a reference (nn.LSTM/GRU/RNN, and onnxruntime or Keras when "
        "installed); save the trace (.npz or .parquet).",
    )
    record.add_argument("--model", type=Path, required=True, help="the model file")
    record.add_argument("--layer", help="which recurrent layer (default: the first; see inspect)")
    record.add_argument(
        "--input",
        required=True,
        help=f"a CSV file of numbers (one row per step), random:T, ids:3,14,15, or text:... "
        f"(with --vocab); at most {MAX_STEPS} steps",
    )
    record.add_argument("--vocab", type=Path, help="vocab.json: {token: id} or [tokens]")
    record.add_argument("--level", choices=("char", "word"), default="char", help="for text:")
    record.add_argument(
        "--no-embedding", action="store_true", help="read features, not ids through an embedding"
    )
    record.add_argument("--embedding", help="which embedding found beside the layer (a name)")
    record.add_argument("--head", help="attach this linear head found beside the layer")
    record.add_argument("--nonlinearity", choices=("tanh", "relu"), help="for a vanilla RNN")
    record.add_argument("--seed", type=int, default=0, help="for random:T")
    record.add_argument("--out", type=Path, required=True, help="trace file (.npz or .parquet)")


def run(args: argparse.Namespace) -> int:
    if args.command == "inspect":
        return run_inspect(args)
    return run_record(args)


def run_inspect(args: argparse.Namespace) -> int:
    imported = inspect_file(args.file)
    print(f"{args.file}: {imported.format}, {len(imported.layers)} recurrent layer(s)")
    for note in imported.notes:
        print(f"  note: {note}")
    for layer in imported.layers:
        status = "; ".join(layer.problems) if layer.problems else "ok"
        print(f"\n{layer.name}: {layer.describe()} [{status}]")
        print(f"  bias: {layer.bias}")
        for candidate in layer.embeddings:
            print(f"  embedding: {candidate.name} {list(candidate.weight.shape)}")
        for candidate in layer.heads:
            print(f"  head: {candidate.name} {list(candidate.weight.shape)}")
        for note in layer.notes:
            print(f"  note: {note}")
        if args.mapping:
            for row in imported.mapping(layer.name):
                print(f"    {row['parameter']:22s} {row['shape']:>12s}  <- {row['from the file']}")
    return 0


def run_record(args: argparse.Namespace) -> int:
    from .. import record

    imported = inspect_file(args.model)
    layer = imported.layer(args.layer)
    embedding = args.embedding
    if embedding is None and not args.no_embedding and layer.embeddings:
        embedding = layer.embeddings[0].name
    choice = Choice(embedding=embedding, head=args.head, nonlinearity=args.nonlinearity)
    module = build(layer, choice)
    vocab = read_vocab(args.vocab.read_bytes()) if args.vocab else None
    source, csv = args.input, None
    if source.partition(":")[0] not in ("random", "ids", "text"):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"--input {source!r} is neither a file nor random:T/ids:/text:")
        source, csv = "csv", path.read_bytes()
    prepared = prepare(
        layer, choice, source, vocab=vocab, level=args.level, csv=csv, seed=args.seed
    )
    _, trace = record(module, prepared.inputs, tokens=[prepared.tokens])
    trace.save(args.out)
    shape = "x".join(str(s) for s in trace.hidden.shape)
    print(f"recorded {layer.name} ({layer.describe()}): {trace.num_steps} steps, hidden {shape}")
    for check in checks(layer, recurrent_input(module, prepared.inputs), trace):
        print(f"check against {check.reference}: max |difference| {check.max_difference:.3g}")
    print(f"trace: {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - lstm_viz.cli is the entry
    parser = argparse.ArgumentParser(prog="python -m lstm_viz")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
