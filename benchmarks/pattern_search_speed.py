"""Pattern search speed on this machine: `python benchmarks/pattern_search_speed.py`

LSTMVis-style search (lstm_viz.analysis.find_spans) over a corpus of at least 500,000 steps of
a 128-unit layer: 1,000 sequences of 500 steps, activations from a smooth random process so
spans have realistic lengths. Median of 5 runs, against a plain Python loop over every step
measured in the same run (on a 1/20 slice, scaled up: the loop is linear in the steps).
Last line: `pattern search seconds (500k steps): X.XX`.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from lstm_viz.analysis import find_spans, find_spans_naive

SEQUENCES, STEPS, UNITS = 1_000, 500, 128
SELECTED, THRESHOLD, MIN_LENGTH = [3, 17, 42], 0.2, 2


def corpus(seed: int = 0) -> np.ndarray:
    """[N, T, U] float32 in (-1, 1): tanh of a random walk with decay (hidden-state like)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(SEQUENCES, STEPS, UNITS)).astype(np.float32)
    state = np.zeros((SEQUENCES, UNITS), dtype=np.float32)
    for t in range(STEPS):
        state = 0.9 * state + 0.45 * noise[:, t]
        noise[:, t] = state
    return np.tanh(noise, out=noise)


def timed(run, repeats: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    acts = corpus()
    steps = acts.shape[0] * acts.shape[1]
    seconds, spans = timed(lambda: find_spans(acts, SELECTED, THRESHOLD, MIN_LENGTH))
    part = acts[: SEQUENCES // 20]
    naive_part, found = timed(lambda: find_spans_naive(part, SELECTED, THRESHOLD, MIN_LENGTH), 1)
    check = find_spans(part, SELECTED, THRESHOLD, MIN_LENGTH)
    assert sorted(zip(check["sequence"], check["start"], check["stop"], strict=True)) == found
    naive = naive_part * 20
    print(f"corpus: {SEQUENCES:,} sequences x {STEPS} steps = {steps:,} steps, {UNITS} units")
    print(f"search: units {SELECTED}, threshold {THRESHOLD}, at least {MIN_LENGTH} steps")
    print(f"spans found: {len(spans):,}, longest {int(spans['length'].max())} steps")
    print(
        f"plain Python loop: {naive:.2f} s (measured on {steps // 20:,} steps, x20); "
        f"vectorised is {naive / seconds:.0f}x faster"
    )
    print(f"pattern search seconds (500k steps): {seconds:.2f}")


if __name__ == "__main__":
    main()
