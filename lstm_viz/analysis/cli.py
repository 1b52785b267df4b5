"""The command line for causal analyses: ``python -m lstm_viz attribute | patch``.

    python -m lstm_viz attribute --model DIR --input "TEXT" --target TOKEN \
        [--method integrated-gradients|gradient-x-input|occlusion] [--steps N] --out attr.csv
    python -m lstm_viz patch --model DIR --clean "TEXT" --corrupt "TEXT" \
        --metric logit-diff:GOOD,BAD --out effects.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

COMMANDS = ("attribute", "patch")


def add_commands(commands: argparse._SubParsersAction) -> None:
    from .attribution import AUTO_ERROR, AUTO_STEPS, MAX_AUTO_STEPS, METHODS

    attribute = commands.add_parser(
        "attribute", help="attribute an output at the last step to each input step"
    )
    attribute.add_argument("--model", required=True, type=Path, help="checkpoint folder")
    attribute.add_argument("--input", required=True, help="the text the model reads")
    attribute.add_argument(
        "--target",
        required=True,
        help="the output: a token of the vocabulary (next-token models) or a class index",
    )
    attribute.add_argument("--method", choices=METHODS, default="integrated-gradients")
    attribute.add_argument(
        "--steps",
        type=int,
        default=None,
        help=f"integration points (integrated gradients); default: {AUTO_STEPS}, doubled while "
        f"the completeness error is above {AUTO_ERROR * 100:g}%% and at least halves each time (at "
        f"most {MAX_AUTO_STEPS})",
    )
    attribute.add_argument("--out", required=True, type=Path, help="CSV: step,token,attribution")
    patch = commands.add_parser(
        "patch", help="patch clean states into a corrupted run, every layer, unit and step"
    )
    patch.add_argument("--model", required=True, type=Path, help="checkpoint folder")
    patch.add_argument("--clean", required=True, help="the clean text")
    patch.add_argument("--corrupt", required=True, help="the corrupted text (same length)")
    patch.add_argument(
        "--metric",
        required=True,
        help="logit-diff:GOOD,BAD (logit of GOOD minus BAD at the last step) or logit:TOKEN",
    )
    patch.add_argument("--out", required=True, type=Path, help="CSV: layer,unit,step,effect")


def run(args: argparse.Namespace) -> int:
    if args.command == "attribute":
        return run_attribute(args)
    return run_patch(args)


def _load(folder: Path):
    from lstm_viz.models.checkpoints import load_checkpoint

    checkpoint = load_checkpoint(folder)
    if checkpoint.vocab is None:
        raise ValueError(
            f"{folder} reads numbers, not text: use lstm_viz.analysis from Python for it"
        )
    return checkpoint


def _encode(checkpoint, text: str, what: str):
    import torch

    vocab = checkpoint.vocab
    tokens = vocab.tokenize(text)
    if not tokens:
        raise ValueError(f"{what} has no tokens: give some text")
    unknown = sorted({t for t, u in zip(tokens, vocab.unknown(tokens), strict=True) if u})
    if unknown:
        shown = ", ".join(repr(t) for t in unknown[:5])
        print(
            f"note: {what} has tokens the model does not know (read as <unk>): {shown}",
            file=sys.stderr,
        )
    return torch.tensor([vocab.encode(tokens)]), tokens


def output_index(checkpoint, name: str) -> int:
    """The head output a --target/--metric names: a vocabulary token for next-token models,
    else a class index. ValueError (one line) when the model has no such output."""
    model_config = checkpoint.model.config
    if model_config.objective == "next_token":
        vocab = checkpoint.vocab
        if vocab.unknown([name])[0]:
            raise ValueError(
                f"{name!r} is not in the model's vocabulary ({len(vocab)} tokens, "
                f"e.g. {', '.join(repr(t) for t in vocab.tokens[2:8])})"
            )
        return vocab.id(name)
    try:
        index = int(name)
    except ValueError:
        raise ValueError(f"this model predicts classes: give a class index, not {name!r}") from None
    if not 0 <= index < model_config.num_outputs:
        raise ValueError(f"class {index} is not among 0..{model_config.num_outputs - 1}")
    return index


def run_attribute(args: argparse.Namespace) -> int:
    from .attribution import attribute

    checkpoint = _load(args.model)
    ids, tokens = _encode(checkpoint, args.input, "--input")
    target = output_index(checkpoint, args.target)
    started = time.perf_counter()
    found = attribute(checkpoint.model, ids, target, args.method, n_steps=args.steps, tokens=tokens)
    seconds = time.perf_counter() - started
    with open(args.out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["step", "token", "attribution"])
        for step, (token, score) in enumerate(zip(tokens, found.scores, strict=True)):
            writer.writerow([step, token, f"{score:.8g}"])
    top = max(range(len(tokens)), key=lambda t: abs(found.scores[t]))
    print(
        f"{args.method}: output {args.target!r} at the last step, {len(tokens)} steps, "
        f"{seconds:.2f} s; largest: step {top} {tokens[top]!r} ({found.scores[top]:+.4f})"
    )
    print(
        f"completeness: sum of attributions {found.total:+.6f} vs logit(input) - "
        f"logit(baseline) {found.expected:+.6f} ({found.output:+.6f} - "
        f"{found.baseline_output:+.6f}): error {found.completeness_error:.3%}"
        + (f", {found.n_steps} integration points" if found.n_steps else "")
        + (
            ""
            if args.method == "integrated-gradients"
            else " (only integrated gradients promises completeness)"
        )
    )
    print("baseline: an all-zero input embedding at every step")
    print(f"wrote {args.out}")
    return 0


def parse_metric(checkpoint, text: str):
    """--metric: logit-diff:GOOD,BAD or logit:TOKEN -> (metric, description)."""
    from .patching import logit, logit_diff

    kind, _, rest = text.partition(":")
    if kind == "logit-diff":
        good, sep, bad = rest.partition(",")
        if not sep or not good or not bad:
            raise ValueError(f"--metric logit-diff takes two outputs, GOOD,BAD; got {rest!r}")
        return logit_diff(output_index(checkpoint, good), output_index(checkpoint, bad))
    if kind == "logit" and rest:
        return logit(output_index(checkpoint, rest))
    raise ValueError(f"--metric is logit-diff:GOOD,BAD or logit:TOKEN, not {text!r}")


def run_patch(args: argparse.Namespace) -> int:
    from .patching import Patcher

    checkpoint = _load(args.model)
    clean, clean_tokens = _encode(checkpoint, args.clean, "--clean")
    corrupt, corrupt_tokens = _encode(checkpoint, args.corrupt, "--corrupt")
    if len(clean_tokens) != len(corrupt_tokens):
        raise ValueError(
            f"--clean has {len(clean_tokens)} tokens and --corrupt {len(corrupt_tokens)}: "
            "patching needs inputs of the same length"
        )
    metric = parse_metric(checkpoint, args.metric)
    started = time.perf_counter()
    patcher = Patcher(checkpoint.model, clean, corrupt, metric)
    effects = patcher.sweep()  # [L, T, U]
    seconds = time.perf_counter() - started
    layers, steps, units = effects.shape
    with open(args.out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["layer", "unit", "step", "effect"])
        for layer in range(layers):
            for unit in range(units):
                for step in range(steps):
                    writer.writerow([layer, unit, step, f"{effects[layer, step, unit]:.8g}"])
    print(
        f"metric {args.metric}: clean {patcher.clean_metric:+.4f}, corrupted "
        f"{patcher.corrupt_metric:+.4f}; {layers * units * steps:,} patches "
        f"({layers} layer(s) x {units} units x {steps} steps) in {seconds:.2f} s"
    )
    totals = effects.sum(axis=1)  # [L, U]
    order = sorted(
        ((layer, unit) for layer in range(layers) for unit in range(units)),
        key=lambda lu: -abs(totals[lu]),
    )
    shown = ", ".join(f"layer {lay} unit {u} ({totals[lay, u]:+.3f})" for lay, u in order[:5])
    print(f"largest total effects (summed over steps): {shown}")
    print(f"wrote {args.out}")
    return 0
