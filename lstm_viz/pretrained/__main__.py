"""python -m lstm_viz.pretrained build|check|card [NAMES]: see lstm_viz/pretrained/__init__.py."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lstm_viz.pretrained.build import build, write_card, write_index
from lstm_viz.pretrained.cards import check
from lstm_viz.pretrained.frames import MIN_GAIN, FrameBuilt, FrameRecipe, check_frames
from lstm_viz.pretrained.recipes import MAX_MODEL_BYTES, PRETRAINED_DIR, RECIPES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lstm_viz.pretrained", description="build or check the shipped models"
    )
    parser.add_argument(
        "command",
        choices=("build", "check", "card"),
        help="build: train from scratch; check: re-measure the cards; card: rewrite the cards "
        "of built models without retraining",
    )
    parser.add_argument("names", nargs="*", help=f"default: all ({', '.join(RECIPES)})")
    parser.add_argument("--root", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    names = args.names or list(RECIPES)
    start = time.perf_counter()
    if args.command in ("build", "card"):
        for name in names:
            if args.command == "build":
                built = build(RECIPES[name], args.root)
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
        if isinstance(RECIPES[name], FrameRecipe):
            result = check_frames(args.root / name)
            (m0, m1), (b0, b1) = result["mse"], result["baseline"]
            print(
                f"{name}: held-out {result['metric_name']} card {m0:.5f}, measured {m1:.5f}; "
                f"copy-last-frame card {b0:.5f}, measured {b1:.5f}; "
                f"{result['gain']:.1%} lower (needs {MIN_GAIN:.0%})"
            )
            failed |= result["gain"] < MIN_GAIN or abs(m1 - m0) > 1e-4
            continue
        result = check(args.root / name)
        (m0, m1), (r0, r1) = result["metric"], result["r"]
        print(
            f"{name}: validation {result['metric_name']} card {m0:.4f}, measured {m1:.4f}; "
            f"{result['claim'].sentence().split(': r =')[0]}: card r = {r0:.2f}, measured {r1:.4f}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
