"""Gradient flow: how strongly the last hidden state depends on each earlier input.

For a sequence x_1..x_T (the recurrent core's input: the embedded tokens or the projected
numbers), the norm ||d h_T / d x_t|| (Frobenius norm of the Jacobian, H x E) at each t. In a
vanilla RNN it typically shrinks geometrically with the distance T - t (vanishing gradients);
an LSTM's cell path, c_t = f_t c_{t-1} + ..., lets it survive as long as the forget gates stay
near 1. h_T is the top layer's forward-direction hidden state after the last step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
import torch
from torch import nn

from lstm_viz.figures import layout
from lstm_viz.quantities import plotly_safe

CHUNK = 64  # output components differentiated per batched backward pass


def jacobian_norms(rnn: nn.Module, x: torch.Tensor) -> np.ndarray:
    """[T] float64: ||d h_T / d x_t|| for ``rnn`` (nn.LSTM/GRU/RNN, batch_first) reading ``x``
    [1, T, I] from a zero state. Exact: each output component gets its own backward pass
    (batched: the sequence is repeated, one copy per component)."""
    if x.dim() != 3 or x.shape[0] != 1:
        raise ValueError(f"x must be one sequence [1, T, features], got {list(x.shape)}")
    if not getattr(rnn, "batch_first", False):
        raise ValueError("the recurrent module must be batch_first")
    x = x.detach()
    steps = x.shape[1]
    size = getattr(rnn, "proj_size", 0) or rnn.hidden_size
    squared = torch.zeros(steps, dtype=torch.float64)
    was_training = rnn.training
    rnn.eval()
    # cuDNN differentiates its RNN only in training mode (dropout on); its plain CUDA kernels
    # differentiate in eval mode.
    cudnn = torch.backends.cudnn.flags(enabled=False) if x.is_cuda else contextlib.nullcontext()
    try:
        with torch.enable_grad(), cudnn:
            for start in range(0, size, CHUNK):
                rows = torch.arange(start, min(start + CHUNK, size), device=x.device)
                copies = x.repeat(len(rows), 1, 1).requires_grad_(True)  # [K, T, I]
                out, _ = rnn(copies)  # [K, T, D*P]
                last = out[:, -1, :size]  # forward direction, after the last step
                picked = last[torch.arange(len(rows), device=x.device), rows].sum()
                (grad,) = torch.autograd.grad(picked, copies)  # [K, T, I]
                squared += (grad.double() ** 2).sum(dim=(0, 2)).cpu()
    finally:
        rnn.train(was_training)
    return squared.sqrt().numpy()


def gradient_flow(model: nn.Module, inputs: torch.Tensor) -> np.ndarray:
    """||d h_T / d x_t|| over t for a SequenceModel reading ``inputs`` ([1, T] ids or [1, T, F]):
    x is the output of the model's input layer (embedding or linear)."""
    with torch.no_grad():
        x = model.embedding(inputs)
    return jacobian_norms(model.rnn, x)


def gradient_figure(curves: Mapping[str, np.ndarray], height: int = 360) -> go.Figure:
    """One line per model: gradient norm against the distance T - 1 - t from the last step,
    log scale (a straight falling line is geometric decay)."""
    figure = go.Figure()
    palette = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
    for index, (name, norms) in enumerate(curves.items()):
        norms = np.asarray(norms, dtype=np.float64)
        distance = np.arange(len(norms))[::-1]
        name = plotly_safe(name)  # a model name: plotly reads HTML in legends and hovers
        figure.add_trace(
            go.Scatter(
                x=distance,
                y=np.maximum(norms, 1e-300),
                mode="lines",
                name=name,
                line=dict(color=palette[index % len(palette)], width=2),
                hovertemplate=f"{name}<br>distance %{{x}}<br>norm %{{y:.3g}}<extra></extra>",
            )
        )
    figure.update_layout(
        title=layout.title("Gradient flow", "‖∂h_T / ∂x_t‖ against the distance T − t, log scale"),
        height=height,
        margin=dict(l=60, r=10, t=80, b=50),
        meta={"figure": "gradient_flow"},
        legend=layout.top_legend(),
    )
    figure.update_xaxes(title_text="distance from the last step (steps)", autorange="reversed")
    figure.update_yaxes(type="log", title_text="gradient norm", exponentformat="power")
    return figure
