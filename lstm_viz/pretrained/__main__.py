"""python -m lstm_viz.pretrained build|check|card [NAMES]: see lstm_viz/pretrained/__init__.py."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lstm_viz.pretrained.autoencoder_build import (
    build_autoencoder,
    check_autoencoder,
    write_autoencoder_card,
    write_autoencoder_scales,
)
from lstm_viz.pretrained.build import build, write_card, write_index, write_scales_of
from lstm_viz.pretrained.cards import check
from lstm_viz.pretrained.frames import MIN_GAIN, FrameBuilt, FrameRecipe, check_frames
from lstm_viz.pretrained.recipes import (
    AUTOENCODER_RECIPES,
    MAX_MODEL_BYTES,
    PRETRAINED_DIR,
    RECIPES,
    SEQ2SEQ_RECIPES,
)

KNOWN = [*RECIPES, *SEQ2SEQ_RECIPES, *AUTOENCODER_RECIPES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lstm_viz.pretrained", description="build or check the shipped models"
    )
    parser.add_argument(
        "command",
        choices=("build", "check", "card", "scales"),
        help="build: train from scratch; check: re-measure the cards; card: rewrite the cards "
        "of built models without retraining; scales: write each model's scales.json (its "
        "cell state's colour range, from validation data) without retraining",
    )
    parser.add_argument("names", nargs="*", help=f"default: all ({', '.join(KNOWN)})")
    parser.add_argument("--root", type=Path, default=PRETRAINED_DIR)
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="build: train the text models here (default cpu: the shipped files; cuda: the same "
        "recipes on a GPU, whose weights differ); the other models always train on the CPU",
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in KNOWN]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(KNOWN)}")
    names = args.names or KNOWN
    start = time.perf_counter()
    seq2seq = [n for n in names if n in SEQ2SEQ_RECIPES]
    names = [n for n in names if n not in SEQ2SEQ_RECIPES]
    if args.command == "scales":
        from lstm_viz.pretrained.seq2seq import write_seq2seq_scales

        for name in seq2seq:
            print(f"{name}: {write_seq2seq_scales(args.root / name)}")
        for name in [n for n in names if n in AUTOENCODER_RECIPES]:
            summary = write_autoencoder_scales(args.root / name, AUTOENCODER_RECIPES[name])
            print(f"{name}: {summary}")
        for name in [n for n in names if n in RECIPES and RECIPES[n].cell != "conv_lstm"]:
            scales = write_scales_of(args.root / name)
            print(f"{name}: {scales}")
        return 0
    if seq2seq and _seq2seq(args, seq2seq) != 0:
        return 1
    if not names:
        if args.command != "check":
            write_index(args.root)
        return 0
    if args.command in ("build", "card"):
        for name in names:
            if name in AUTOENCODER_RECIPES:
                if _autoencoder(args.command, name, args.root):
                    return 1
                continue
            if args.command == "build":
                built = build(RECIPES[name], args.root, device=args.device)
            else:
                built = write_card(args.root / name)
            if isinstance(built, FrameBuilt):
                print(built.line(), flush=True)
            else:
                print(
                    f"{name}: validation {built.metric_name} {built.metric:.4f}; "
                    f"{built.claim.sentence()}; {built.seconds:.0f} s, "
                    f"{built.bytes / 1024:,.0f} KiB",
                    flush=True,
                )
            if built.bytes > MAX_MODEL_BYTES:
                print(f"error: {name} is over {MAX_MODEL_BYTES:,} bytes", file=sys.stderr)
                return 1
        write_index(args.root)
        done = "built" if args.command == "build" else "wrote the cards of"
        print(f"{done} {len(names)} models in {time.perf_counter() - start:.0f} s")
        return 0
    failed = False
    for name in names:
        if isinstance(RECIPES.get(name), FrameRecipe):
            result = check_frames(args.root / name)
            (m0, m1), (b0, b1) = result["mse"], result["baseline"]
            print(
                f"{name}: held-out {result['metric_name']} card {m0:.5f}, measured {m1:.5f}; "
                f"copy-last-frame card {b0:.5f}, measured {b1:.5f}; "
                f"{result['gain']:.1%} lower (needs {MIN_GAIN:.0%})"
            )
            failed |= result["gain"] < MIN_GAIN or abs(m1 - m0) > 1e-4
            continue
        if name in AUTOENCODER_RECIPES:
            result = check_autoencoder(args.root / name)
            stated, measured = result["stated"], result["measured"]
            print(
                f"{name}: reconstruction mse card {stated['validation_mse']:.5f}, measured "
                f"{measured.validation_mse:.5f}; detected card {stated['detected']}/"
                f"{stated['events']}, measured {measured.detected}/{measured.events}; normal "
                f"steps flagged card {stated['false_positives']}, measured "
                f"{measured.false_positives} of {measured.normal_steps:,}"
            )
            continue
        result = check(args.root / name)
        (m0, m1), (r0, r1) = result["metric"], result["r"]
        print(
            f"{name}: validation {result['metric_name']} card {m0:.4f}, measured {m1:.4f}; "
            f"{result['claim'].sentence().split(': r =')[0]}: card r = {r0:.2f}, measured {r1:.4f}"
        )
        for unit, measured_r in result.get("units") or []:
            print(
                f"{name}: {unit.sentence().split(': r =')[0]}: card r = {unit.r:.2f}, "
                f"measured {measured_r:.4f}"
            )
        if result.get("saturation"):
            stated, measured = result["saturation"]
            same = "same" if stated == measured else "DIFFERENT"
            failed |= stated != measured
            print(f"{name}: saturation card: {stated}\n  measured ({same}): {measured}")
    return 1 if failed else 0


def _seq2seq(args: argparse.Namespace, names: list[str]) -> int:
    """build / card / check the encoder-decoders (lstm_viz.pretrained.seq2seq)."""
    from lstm_viz.pretrained.seq2seq import build_seq2seq, check_seq2seq, write_seq2seq_card

    for name in names:
        if args.command == "check":
            result = check_seq2seq(args.root / name)
            (m0, m1), (a0, a1) = result["exact_match"], result["month_attention"]
            print(
                f"{name}: validation exact_match card {m0:.4f}, measured {m1:.4f}; month "
                f"attention card {a0:.4f}, measured {a1:.4f} ({result['seconds'][1]:.0f} s)"
            )
            continue
        recipe = SEQ2SEQ_RECIPES[name]
        if args.command == "build":
            built = build_seq2seq(recipe, args.root)
        else:
            built = write_seq2seq_card(args.root / name, recipe)
        print(
            f"{name}: validation exact_match {built.metric:.4f}; month attention "
            f"{built.month_attention:.4f} ({built.month_digits} digits); trained in "
            f"{built.seconds:.0f} s, {built.bytes / 1024:,.0f} KiB",
            flush=True,
        )
        if built.bytes > MAX_MODEL_BYTES:
            print(f"error: {name} is over {MAX_MODEL_BYTES:,} bytes", file=sys.stderr)
            return 1
    return 0


def _autoencoder(command: str, name: str, root: Path) -> int:
    """Build (or re-card) one autoencoder and print its figures; 1 when it is too large."""
    if command == "build":
        figures, built = build_autoencoder(AUTOENCODER_RECIPES[name], root)
        size, seconds = built["bytes"], built["build_seconds"]
    else:
        figures = write_autoencoder_card(root / name)
        size, seconds = (root / name / "model.safetensors").stat().st_size, 0.0
    print(
        f"{name}: reconstruction mse {figures.validation_mse:.5f}; threshold "
        f"{figures.threshold:.4f}; detected {figures.detected}/{figures.events} events "
        f"({figures.detection_rate:.1%}); {figures.false_positives} of {figures.normal_steps:,} "
        f"normal steps flagged ({figures.false_positive_rate:.2%}); {seconds:.0f} s, "
        f"{size / 1024:,.0f} KiB",
        flush=True,
    )
    if size > MAX_MODEL_BYTES:
        print(f"error: {name} is over {MAX_MODEL_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
