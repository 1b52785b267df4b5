"""Compare two recordings: two inputs through one model, or one input through two models.

``difference(a, b)`` returns a Trace of b - a (same names and layout), so every figure builder
draws it; ``plots.heatmap(..., difference=True)`` gives it a diverging scale. No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lstm_viz.trace import Trace


@dataclass(frozen=True)
class Comparison:
    """b - a over the steps both have: ``trace`` holds the differences; ``note`` says how the
    two were aligned ("" when they have the same steps); ``steps`` is the number compared."""

    trace: Trace
    steps: int
    note: str


def mismatch(a: Trace, b: Trace) -> str:
    """Why two traces cannot be compared unit by unit ("" when they can)."""
    if a.kind != b.kind:
        return f"one records a {a.kind.upper()}, the other a {b.kind.upper()}"
    problems = []
    if a.num_layers != b.num_layers:
        problems.append(f"{a.num_layers} vs {b.num_layers} layers")
    if a.num_directions != b.num_directions:
        problems.append(f"{a.num_directions} vs {b.num_directions} directions")
    units_a, units_b = a[a.names[-1]].shape[-1], b[b.names[-1]].shape[-1]
    if any(a[n].shape[-1] != b[n].shape[-1] for n in a.names):
        problems.append(f"{units_a} vs {units_b} units")
    return ", ".join(problems)


def difference(a: Trace, b: Trace, batch: int = 0) -> Comparison:
    """b - a, batch element ``batch`` of each, aligned by step (step t of one against step t of
    the other) over the steps both have. ValueError (saying why) for unlike shapes.

    Tokens: the shared token where both read the same, else "a→b"."""
    why = mismatch(a, b)
    if why:
        raise ValueError(
            f"the two recordings have different shapes ({why}): no unit-by-unit difference"
        )
    len_a, len_b = int(a.lengths[batch]), int(b.lengths[batch])
    steps = min(len_a, len_b)
    note = ""
    if len_a != len_b:
        note = (
            f"the inputs have {len_a:,} and {len_b:,} steps: compared step by step over the "
            f"first {steps:,}"
        )
    values = {
        n: b[n][:, :, batch : batch + 1, :steps] - a[n][:, :, batch : batch + 1, :steps]
        for n in a.names
    }
    tokens = None
    if a.tokens is not None and b.tokens is not None:
        ta, tb = a.tokens[batch][:steps], b.tokens[batch][:steps]
        tokens = [[x if x == y else f"{x}→{y}" for x, y in zip(ta, tb, strict=True)]]
    elif a.tokens is not None:
        tokens = [a.tokens[batch][:steps]]
    trace = Trace(
        a.kind,
        values,
        torch.tensor([steps], dtype=torch.int64),
        tokens,
        {**a.config, "difference": "b - a"},
    )
    return Comparison(trace, steps, note)
