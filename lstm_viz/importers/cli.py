"""``python -m lstm_viz inspect FILE`` and ``python -m lstm_viz record --model FILE ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import EXTENSIONS, MAX_FILE_MB, MAX_STEPS, inspect_file, read_vocab, record_imported


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
        "recording against our reading (nn.LSTM/GRU/RNN on the same weights) and our reading "
        "against the file's own runtime (its ONNX graph in onnxruntime, its Keras model loaded "
        "in safe mode) where one is installed; save the trace (.npz or .parquet). Exit status "
        "3 when a check finds a difference.",
    )
    record.add_argument("--model", type=Path, required=True, help="the model file")
    record.add_argument("--layer", help="which recurrent layer (default: the first; see inspect)")
    record.add_argument(
        "--input",
        required=True,
        help=f"a CSV file of numbers (one row per step), random:T, ids:3,14,15, or text:... "
        f"(with --vocab); at most {MAX_STEPS} steps. A Keras ConvLSTM2D model reads frames: "
        "an .npy file [time, height, width, channels]",
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
    record.add_argument(
        "--no-mask",
        action="store_true",
        help="read steps the file's Keras mask skips (mask_zero=True, Masking) as real input",
    )
    record.add_argument(
        "--initial-state",
        type=Path,
        help="an .npz with h (and c) [layers × directions, hidden]: the initial states "
        "(default: the file's constant ones, else zeros)",
    )
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
        if layer.masking:
            by, value = layer.masking["by"], layer.masking["value"]
            what = f"token id {value}" if layer.masking["kind"] == "ids" else f"steps all {value}"
            print(f"  mask: {what} skipped, as Keras does ({by!r}; record --no-mask reads them)")
        for note in layer.notes:
            print(f"  note: {note}")
        if args.mapping:
            for row in imported.mapping(layer.name):
                print(f"    {row['parameter']:22s} {row['shape']:>12s}  <- {row['from the file']}")
    return 0


def run_record(args: argparse.Namespace) -> int:
    """Record, print every assumption and both checks; exit 3 when a check found our numbers
    differ from its reference (our reading vs the file's runtime, or our recording vs our
    reading)."""
    if args.model.suffix.lower() in (".keras", ".h5", ".hdf5") and _conv_file(args.model):
        return _run_conv_record(args)
    vocab = read_vocab(args.vocab.read_bytes()) if args.vocab else None
    source, csv = args.input, None
    if source.partition(":")[0] not in ("random", "ids", "text"):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"--input {source!r} is neither a file nor random:T/ids:/text:")
        source, csv = "csv", path.read_bytes()
    state = _initial_state(args.initial_state) if args.initial_state else None
    result = record_imported(
        args.model,
        layer=args.layer,
        input=source,
        csv=csv,
        vocab=vocab,
        level=args.level,
        embedding=args.embedding,
        no_embedding=args.no_embedding,
        head=args.head,
        nonlinearity=args.nonlinearity,
        seed=args.seed,
        initial_state=state,
        mask=not args.no_mask,
    )
    result.trace.save(args.out)
    for line in result.lines():
        print(line)
    print(f"trace: {args.out}")
    if result.disagrees:
        print(
            "error: our numbers DIFFER from a reference (see the checks above): do not trust "
            "this recording",
            file=sys.stderr,
        )
        return 3
    return 0


def _conv_file(path: Path) -> bool:
    """The file holds Keras ConvLSTM2D layers (and no LSTM, GRU or SimpleRNN to prefer)."""
    from ._conv import conv_stacks

    if not path.is_file():
        return False
    try:
        inspect_file(path)
    except ValueError:
        return bool(conv_stacks(path))
    return False


def _run_conv_record(args: argparse.Namespace) -> int:
    """A ConvLSTM2D file: --input frames.npy [time, height, width, channels] (or random:T)."""
    from ._conv import record_conv

    frames = None
    steps = 8
    kind, _, value = args.input.partition(":")
    if kind == "random" and value.isdigit():
        steps = int(value)
    else:
        frames = Path(args.input)
        if not frames.is_file():
            raise ValueError(
                f"--input {args.input!r}: a ConvLSTM2D model reads frames from an .npy file "
                "[time, height, width, channels], or random:T"
            )
    result = record_conv(args.model, frames, random_shape=(steps, 12, 12), seed=args.seed)
    result.trace.save(args.out)
    for line in result.lines():
        print(line)
    print(f"trace: {args.out}")
    if result.disagrees:
        print(
            "error: our numbers DIFFER from Keras's: do not trust this recording", file=sys.stderr
        )
        return 3
    return 0


def _initial_state(path: Path):
    import numpy as np

    try:
        with np.load(path) as arrays:
            h = arrays["h"]
            c = arrays["c"] if "c" in arrays.files else None
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(
            f"--initial-state {path}: an .npz with arrays h (and c for an LSTM) of [layers × "
            f"directions, hidden] is needed ({error})"
        ) from None
    return (h, c) if c is not None else h


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - lstm_viz.cli is the entry
    parser = argparse.ArgumentParser(prog="python -m lstm_viz")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
