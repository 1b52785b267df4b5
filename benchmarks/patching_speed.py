"""What does a full activation-patching sweep cost? `python benchmarks/patching_speed.py`

On english-char-lstm (2 layers x 128 units) and its default sentence, "The cat sat on the
mat." (clean) against "The dog sat on the mat." (corrupted, same length), metric: the logit of
the clean input's most likely next character at the last step. In the same run, medians of:
- forward: one plain forward pass of the model (fused kernel, torch.no_grad()),
- sweep:   Patcher(...) (both reference runs) + sweep(): every layer x unit x step patched alone,
           batched by start step (lstm_viz.analysis.patching),
- single:  one patch run alone (batch of 1), times the number of patches: what a Python loop
           over units x steps of single runs would cost.
The last line is the headline: sweep seconds and the ratio to one forward pass.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

from lstm_viz.analysis.patching import Patch, Patcher, logit
from lstm_viz.models.checkpoints import load_checkpoint

MODEL = Path(__file__).parents[1] / "pretrained" / "english-char-lstm"
CLEAN, CORRUPT = "The cat sat on the mat.", "The dog sat on the mat."


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="sweeps timed (median)")
    parser.add_argument("--singles", type=int, default=40, help="single patch runs timed")
    args = parser.parse_args()
    checkpoint = load_checkpoint(MODEL)
    model, vocab = checkpoint.model, checkpoint.vocab
    clean = torch.tensor([vocab.encode(CLEAN)])
    corrupt = torch.tensor([vocab.encode(CORRUPT)])
    with torch.no_grad():
        target = int(model(clean)[0][0, -1].argmax())
    metric = logit(target)
    with torch.no_grad():
        forward = median_seconds(lambda: model(corrupt), 50)
    sweep = median_seconds(lambda: Patcher(model, clean, corrupt, metric).sweep(), args.repeats)
    patcher = Patcher(model, clean, corrupt, metric)
    layers, steps, units = patcher.layers, patcher.steps, patcher.units
    patches = layers * units * steps
    picks = [Patch(k % layers, (k % units,), (k % steps,)) for k in range(args.singles)]
    single = median_seconds(lambda: [patcher.metrics([p]) for p in picks], 1) / len(picks)
    load = os.getloadavg()[0]
    print(
        f"model: english-char-lstm, {layers} layers x {units} units; {steps} steps; "
        f"{torch.get_num_threads()} torch threads; load average {load:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    print(f"one forward pass:        {forward * 1e3:9.2f} ms")
    print(
        f"one patch run alone:     {single * 1e3:9.2f} ms (x {patches:,} = "
        f"{single * patches:.1f} s for a loop of single runs)"
    )
    print(
        f"full sweep (batched):    {sweep:9.2f} s  ({sweep / patches * 1e6:.0f} us per patch; "
        f"{single * patches / sweep:.0f}x faster than single runs)"
    )
    print(
        f"full patching sweep, {layers} layers x {units} units x {steps} steps = {patches:,} "
        f"patches on {CLEAN!r}: {sweep:.2f} s = {sweep / forward:,.0f} forward passes "
        f"({forward * 1e3:.2f} ms each)"
    )


if __name__ == "__main__":
    main()
