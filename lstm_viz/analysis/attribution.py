"""Input attribution: how much each input step contributed to one output.

The output is one number of the head: a next-token logit (or a class score, or a regression
value) at a chosen step (the last by default; a per-sequence model has one). Three methods:

- integrated gradients (Captum): the path integral of the gradient from a baseline to the input,
  times (input - baseline). Attributions sum to output(input) - output(baseline)
  (completeness; the residual is reported). For token models the attribution is taken at the
  embedding's output, and the baseline is an all-zero embedding at every step (no token);
  numeric inputs are attributed as they are, baseline all zeros.
- gradient x input (Captum): the gradient at the input times the input (one backward pass).
- occlusion: output(input) - output(input with step t set to the baseline), for each t
  (one batched forward pass).

Per step, the attribution is summed over the embedding's (or the features') components.
Gradients of a recurrent module on CUDA: cuDNN differentiates its RNNs only in training mode
(dropout on), so cuDNN is switched off for the backward passes here and the model stays in eval
mode (PyTorch's own CUDA kernels differentiate in eval mode).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

METHODS = ("integrated-gradients", "gradient-x-input", "occlusion")
# Integrated gradients' points by default: this many first, doubled while the completeness error
# is above AUTO_ERROR and at least halves with each doubling, up to MAX_AUTO_STEPS (attribute's
# n_steps=None; the app's largest choice too, so no input costs more than 128 + 256 + 512 points).
AUTO_STEPS, AUTO_ERROR, MAX_AUTO_STEPS = 128, 0.01, 512
METHOD_LABELS = {  # as pages and figures write them
    "integrated-gradients": "Integrated gradients",
    "gradient-x-input": "Gradient × input",
    "occlusion": "Occlusion",
}


class AttributionError(ValueError):
    """An output or input that cannot be attributed (one line, says what to change)."""


@dataclass(frozen=True)
class Attribution:
    """Per-step attributions of one output, and the completeness check."""

    method: str
    scores: np.ndarray  # [T] float64
    output: float  # output(input)
    baseline_output: float  # output(baseline): all-zero embedding (or input)
    tokens: list[str] | None = None
    n_steps: int | None = None  # integration points used (integrated gradients only)

    @property
    def total(self) -> float:
        return float(self.scores.sum())

    @property
    def expected(self) -> float:
        """output(input) - output(baseline), what the attributions of integrated gradients
        sum to."""
        return self.output - self.baseline_output

    @property
    def completeness_error(self) -> float:
        """|sum of attributions - expected| / |expected| (0 when both are 0)."""
        if self.expected == 0:
            return 0.0 if self.total == 0 else float("inf")
        return abs(self.total - self.expected) / abs(self.expected)

    def table(self):
        """pandas DataFrame: step, token, attribution."""
        import pandas as pd

        steps = np.arange(len(self.scores))
        tokens = self.tokens if self.tokens is not None else [str(t) for t in steps]
        return pd.DataFrame({"step": steps, "token": tokens, "attribution": self.scores})


def _grad_context(x: torch.Tensor):
    return torch.backends.cudnn.flags(enabled=False) if x.is_cuda else contextlib.nullcontext()


class OutputOf(nn.Module):
    """output(x) [N]: the head's ``target`` output at ``step`` for a SequenceModel fed ``x``
    (the embedding's output [N, T, E] for token models, the raw numbers [N, T, F] otherwise)."""

    def __init__(self, model: nn.Module, target: int, step: int) -> None:
        super().__init__()
        self.model, self.target, self.step = model, target, step
        self.tokens = isinstance(model.embedding, nn.Embedding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from lstm_viz.models.sequence import PER_STEP

        embedded = x if self.tokens else self.model.embedding(x)
        out, _ = self.model.rnn(embedded)
        config = self.model.config
        if config.objective in PER_STEP:
            return self.model.head(out[:, self.step])[:, self.target]
        size = config.hidden_size
        summary = out[:, -1, :size]
        if config.bidirectional:
            summary = torch.cat([summary, out[:, 0, size:]], dim=-1)
        return self.model.head(summary)[:, self.target]


def attribute(
    model: nn.Module,
    inputs: torch.Tensor,
    target: int,
    method: str = "integrated-gradients",
    *,
    step: int = -1,
    n_steps: int | None = None,
    tokens: list[str] | None = None,
) -> Attribution:
    """Attribute output ``target`` of a SequenceModel at ``step`` to each step of ``inputs``
    ([1, T] token ids or [1, T, F] numbers). n_steps: integration points of integrated gradients
    (Gauss-Legendre); None (the default): AUTO_STEPS, doubled until the completeness error is
    at most AUTO_ERROR, stops at least halving, or the points reach MAX_AUTO_STEPS (a path
    through saturating gates can need more than 128: english-char-lstm, "The cat sat on the
    mat" -> ".", is 2.6% off with 128 points, 0.34% with 256, 0.0007% with 512; over a long
    input the straight path from the baseline can pass where the gradient explodes, and more
    points close in too slowly to pay: 200 characters of dialogue, 4.5e6% off with 512 points,
    1.6e6% with 2,048). ``Attribution.n_steps`` says how many were used.
    AttributionError (one line) for a target, step or method out of range."""
    if method not in METHODS:
        raise AttributionError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if inputs.dim() < 2 or inputs.shape[0] != 1:
        raise AttributionError(f"attribute one sequence at a time, got shape {list(inputs.shape)}")
    steps = inputs.shape[1]
    if not -steps <= step < steps:
        raise AttributionError(f"step {step} is outside the {steps} steps read")
    outputs = model.config.num_outputs
    if not 0 <= target < outputs:
        raise AttributionError(f"target {target} is not among the model's {outputs} outputs")
    if n_steps is not None and not 1 <= n_steps <= 10_000:
        raise AttributionError(f"--steps must be in 1..10000, got {n_steps}")
    step = step % steps
    forward = OutputOf(model, target, step)
    with torch.no_grad():
        x = model.embedding(inputs) if forward.tokens else inputs.to(torch.float32)
    x = x.detach()
    baseline = torch.zeros_like(x)
    was_training = model.training
    model.eval()
    try:
        with _grad_context(x):
            with torch.no_grad():
                value, base = forward(torch.cat([x, baseline])).tolist()
            points = n_steps or AUTO_STEPS
            found = Attribution(method, _scores(forward, x, baseline, method, points), value, base)
            while (
                n_steps is None
                and method == "integrated-gradients"
                and found.completeness_error > AUTO_ERROR
                and points < MAX_AUTO_STEPS
            ):
                points *= 2
                more = Attribution(
                    method, _scores(forward, x, baseline, method, points), value, base
                )
                closing = more.completeness_error <= found.completeness_error / 2
                found = more
                if not closing:  # not converging: more points would cost without paying
                    break
    finally:
        model.train(was_training)
    used = points if method == "integrated-gradients" else None
    return Attribution(method, found.scores, value, base, tokens, used)


def _scores(
    forward: OutputOf, x: torch.Tensor, baseline: torch.Tensor, method: str, n_steps: int
) -> np.ndarray:
    if method == "occlusion":
        steps = x.shape[1]
        copies = x.repeat(steps + 1, 1, 1)  # row 0 intact, row t+1 without step t
        index = torch.arange(steps, device=x.device)
        copies[index + 1, index] = baseline[0, index]
        with torch.no_grad():
            values = forward(copies).double()
        return (values[0] - values[1:]).cpu().numpy()
    from captum.attr import InputXGradient, IntegratedGradients

    with torch.enable_grad():
        if method == "gradient-x-input":
            found = InputXGradient(forward).attribute(x.clone().requires_grad_(True))
        else:
            found = IntegratedGradients(forward).attribute(
                x,
                baselines=baseline,
                n_steps=n_steps,
                method="gausslegendre",
                internal_batch_size=max(1, min(n_steps, 256)),
            )
    return found.detach().double().sum(dim=-1)[0].cpu().numpy()
