"""The command line: ``python -m lstm_viz train | tasks | inspect | record ...``."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from lstm_viz.models.checkpoints import models_dir
from lstm_viz.models.names import reserve_name
from lstm_viz.models.sequence import CELLS
from lstm_viz.recording.allocator import tune_allocator
from lstm_viz.training import Callbacks, Evaluation, Progress, TrainConfig, Trainer
from lstm_viz.training.run import Run, build_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_viz", description="lstm-viz tools")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a model on a task and save a checkpoint")
    train.add_argument("--task", required=True, help="task name (see --list-tasks)")
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a task parameter, e.g. --param seq_len=64 (repeatable)",
    )
    train.add_argument("--text-file", type=Path, help="text-user: the .txt file to learn from")
    train.add_argument("--cell", choices=CELLS, default="lstm")
    train.add_argument("--hidden", type=int, default=64, help="hidden units per layer")
    train.add_argument("--layers", type=int, default=1)
    train.add_argument("--embedding", type=int, default=32, help="embedding / input width")
    train.add_argument("--bidirectional", action="store_true")
    train.add_argument("--dropout", type=float, default=0.0)
    defaults = TrainConfig()
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--lr", type=float, default=defaults.learning_rate)
    train.add_argument("--evals-per-epoch", type=int, default=defaults.evals_per_epoch)
    train.add_argument("--patience", type=int, default=defaults.patience)
    train.add_argument("--target", type=float, help="stop once the validation metric reaches this")
    train.add_argument("--max-seconds", type=float, help="stop after this many seconds")
    train.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--out",
        type=Path,
        help=f"checkpoint folder (default: {models_dir()}/<task>-<cell>-<MMDD>[-n])",
    )
    train.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
    commands.add_parser("tasks", help="list the tasks and their parameters")
    from .importers import cli as import_cli  # inspect, record: uploaded model files

    import_cli.add_commands(commands)
    from .export import cli as export_cli  # export-html, export-lstmvis, record-corpus, query

    export_cli.add_commands(commands)
    from .analysis import cli as analysis_cli  # attribute, patch: why did it do that

    analysis_cli.add_commands(commands)
    from .recording import seq2seq_cli  # generate: encoder-decoder models

    seq2seq_cli.add_commands(commands)
    from .analysis import anomaly_cli  # sample, anomalies: time series

    anomaly_cli.add_commands(commands)
    args = parser.parse_args(argv)
    tune_allocator()  # recordings reuse freed memory (see _allocator.py)
    try:
        if args.command == "tasks":
            return list_tasks()
        if args.command in ("inspect", "record"):
            return import_cli.run(args)
        if args.command in export_cli.COMMANDS:
            return export_cli.run(args)
        if args.command in analysis_cli.COMMANDS:
            return analysis_cli.run(args)
        if args.command in seq2seq_cli.COMMANDS:
            return seq2seq_cli.run(args)
        if args.command in anomaly_cli.COMMANDS:
            return anomaly_cli.run(args)
        return run_train(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def list_tasks() -> int:
    from .tasks import TASKS

    for name, spec in TASKS.items():
        params = ", ".join(f"{k}={v}" for k, v in spec.defaults.items())
        print(f"{name:14s} {spec.title}\n{'':14s} {params}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    params = dict(parse_param(p) for p in args.param)
    if args.text_file is not None:
        params["text"] = args.text_file.read_bytes()
    model = {
        "cell": args.cell,
        "hidden_size": args.hidden,
        "num_layers": args.layers,
        "embedding_size": args.embedding,
        "bidirectional": args.bidirectional,
        "dropout": args.dropout,
    }
    training = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.lr,
        "evals_per_epoch": args.evals_per_epoch,
        "patience": args.patience,
        "target": args.target,
        "max_seconds": args.max_seconds,
        "device": args.device,
        "seed": args.seed,
    }
    if args.resume and args.out is None:
        raise ValueError("--resume continues a checkpoint: name its folder with --out")
    run = build_run(args.task, params, model, training, path=args.out)
    # Held while training: no other run (CLI or app) saves under this name meanwhile.
    with reserve_name(run.path.parent, run.path.name, replace=True):
        return train_run(args, run)


def train_run(args: argparse.Namespace, run: Run) -> int:
    """Train ``run`` (or resume it, with --resume), printing progress; 0 when done."""
    bar = ProgressBar()
    callbacks = Callbacks(on_progress=bar.update, on_evaluation=bar.evaluation)
    if args.resume:
        trainer = Trainer.resume(run.path, run.task, run.config, callbacks)
    else:
        trainer = run.trainer(callbacks)
    for note in run.notes:
        print(f"note: {note}", file=sys.stderr)
    task = run.task
    print(
        f"training {args.cell} ({trainer.model.num_parameters():,} parameters) on "
        f"{task.title} [{trainer.device}]",
        file=sys.stderr,
    )
    result = trainer.fit()
    bar.close()
    print(
        f"{result.stopped} after {result.steps} steps in {result.seconds:.1f} s "
        f"({result.tokens_per_second:,.0f} tokens/s); best validation {task.metric}: "
        f"{result.best_metric:.4f}"
    )
    print(f"checkpoint: {result.checkpoint}")
    return 0


def parse_param(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_]\w*", key):
        raise ValueError(f"--param takes KEY=VALUE, got {text!r}")
    for convert in (int, float):
        try:
            return key, convert(value)
        except ValueError:
            pass
    return key, value


class ProgressBar:
    """A one-line progress bar on stderr: bar, step, loss, throughput, ETA."""

    def __init__(self, width: int = 30) -> None:
        self.width = width
        self.last = 0.0

    def update(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and p.step < p.total_steps:
            return
        self.last = now
        done = int(self.width * p.fraction)
        eta = time.strftime("%M:%S", time.gmtime(p.eta_seconds))
        print(
            f"\r[{'#' * done}{'.' * (self.width - done)}] {p.fraction:4.0%} "
            f"step {p.step}/{p.total_steps} loss {p.loss:.4f} "
            f"{p.tokens_per_second:,.0f} tok/s ETA {eta} ",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def evaluation(self, e: Evaluation) -> None:
        mark = " *best" if e.best else ""
        print(
            f"\r  step {e.step}: train loss {e.train_loss:.4f}, validation loss {e.val_loss:.4f}, "
            f"{e.metric} {e.val_metric:.4f}{mark}".ljust(100),
            file=sys.stderr,
        )

    def close(self) -> None:
        print(file=sys.stderr)
