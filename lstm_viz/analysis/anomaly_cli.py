"""The command line for time series: ``python -m lstm_viz sample | anomalies``.

    python -m lstm_viz sample --task ecg --steps 5000 --seed 3 --out ecg.csv
    python -m lstm_viz anomalies --model pretrained/ecg-autoencoder-lstm --input ecg.csv \
        --out scores.csv

``sample`` writes one column ``value``, one row per step (tasks ``ecg`` and ``sines``).
``anomalies`` writes ``step,value,reconstruction,error,anomaly`` for every input step; how long
inputs are cut into windows and how each step is scored: ``lstm_viz.analysis.anomaly``.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

COMMANDS = ("sample", "anomalies")
SAMPLE_TASKS = ("ecg", "sines")
MAX_INPUT_BYTES = 200 * 1024 * 1024
MAX_ROWS = 5_000_000


def add_commands(commands: argparse._SubParsersAction) -> None:
    sample = commands.add_parser("sample", help="write a generated signal as a one-column CSV")
    sample.add_argument("--task", required=True, choices=SAMPLE_TASKS)
    sample.add_argument("--steps", required=True, type=int)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", required=True, type=Path, help="CSV with one column: value")
    anomalies = commands.add_parser(
        "anomalies", help="score every step of a CSV column with an LSTM autoencoder"
    )
    anomalies.add_argument("--model", required=True, type=Path, help="autoencoder folder")
    anomalies.add_argument("--input", required=True, type=Path, help="CSV: one numeric column")
    anomalies.add_argument(
        "--out", required=True, type=Path, help="CSV: step,value,reconstruction,error,anomaly"
    )


def run(args: argparse.Namespace) -> int:
    if args.command == "sample":
        return run_sample(args)
    return run_anomalies(args)


def sample_values(task: str, steps: int, seed: int):
    """A generated signal [steps] (numpy float32): ``ecg`` (lstm_viz.tasks.ecg) or ``sines``
    (one long noisy sum of three sines, periods 8-40 steps). ValueError for another task or
    steps outside [1, 2,000,000]."""
    import numpy as np

    if task not in SAMPLE_TASKS:
        raise ValueError(f"sample writes {', '.join(SAMPLE_TASKS)}, not {task!r}")
    if not 1 <= steps <= 2_000_000:
        raise ValueError(f"--steps must be in [1, 2000000], got {steps}")
    if task == "ecg":
        from lstm_viz.tasks.ecg import ecg_signal

        return ecg_signal(steps, seed)[0]
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    values = np.zeros(steps)
    for k in range(3):
        period, start = rng.uniform(8.0, 40.0), rng.uniform(0, 2 * math.pi)
        values += (1.0 if k == 0 else rng.uniform(0.2, 0.5)) * np.sin(
            2 * math.pi * t / period + start
        )
    return (values + 0.1 * rng.standard_normal(steps)).astype(np.float32)


def run_sample(args: argparse.Namespace) -> int:
    values = sample_values(args.task, args.steps, args.seed)
    with open(args.out, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["value"])
        writer.writerows([f"{v:.6g}"] for v in values.tolist())
    print(f"wrote {len(values):,} steps of {args.task} (seed {args.seed}) to {args.out}")
    return 0


def read_column(path: Path):
    """The one numeric column of a CSV file -> numpy float32 [N] (lstm_viz._csv reads it: header,
    separator and decimal sniffed). ValueError naming the problem."""
    from lstm_viz.numbers import read_csv_table

    try:
        size = path.stat().st_size
    except OSError as error:
        raise ValueError(f"{path} cannot be read ({error.strerror or error})") from None
    if size > MAX_INPUT_BYTES:
        raise ValueError(f"{path} is {size:,} bytes; at most {MAX_INPUT_BYTES:,} are read")
    values, read = read_csv_table(path.read_bytes(), 1, MAX_ROWS)
    return values[:, 0].numpy(), read


def run_anomalies(args: argparse.Namespace) -> int:
    from lstm_viz.analysis.anomaly import score_series
    from lstm_viz.models.autoencoder import load_autoencoder

    autoencoder = load_autoencoder(args.model)
    values, read = read_column(args.input)
    scores = score_series(autoencoder.model, values, autoencoder.anomaly)
    with open(args.out, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["step", "value", "reconstruction", "error", "anomaly"])
        for step in range(len(values)):
            writer.writerow(
                [
                    step,
                    f"{scores.value[step]:.6g}",
                    f"{scores.reconstruction[step]:.6g}",
                    f"{scores.error[step]:.6g}",
                    int(scores.anomaly[step]),
                ]
            )
    flagged = int(scores.anomaly.sum())
    print(
        f"{args.input}: {read}\nscored {len(values):,} steps (windows of {scores.window}, every "
        f"{scores.stride} steps; each step keeps its best window's error); threshold "
        f"{scores.threshold:.4g}: {flagged:,} steps flagged ({flagged / len(values):.2%}); "
        f"wrote {args.out}",
        file=sys.stderr,
    )
    return 0
