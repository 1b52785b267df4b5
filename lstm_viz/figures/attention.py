"""Encoder-decoder figures: the attention matrix (generated tokens down, source tokens across, a
fixed 0..1 scale), and one generated token's attention beside its attribution."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.figures.colours import colour_scale
from lstm_viz.figures.layout import title, top_legend
from lstm_viz.quantities import display_token, plotly_safe


def _labels(tokens: list[str]) -> list[str]:
    # plotly merges equal category labels: make each unique with its position
    return [plotly_safe(f"{display_token(t)} ·{k}") for k, t in enumerate(tokens)]


def attention_matrix(
    weights: np.ndarray,
    source: list[str],
    generated: list[str],
    *,
    heading: str = "Attention",
    subtitle: str | None = None,
    selected: int | None = None,
) -> go.Figure:
    """A [T, S] matrix of weights in 0..1 as a heatmap: row t = generated token t, column s =
    source token s, on the gates' fixed sequential 0..1 scale. ``selected`` outlines a row.
    ValueError when the shape and the token lists disagree."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (len(generated), len(source)):
        raise ValueError(
            f"weights are {weights.shape}; expected ({len(generated)}, {len(source)}) "
            "(generated x source)"
        )
    scale = colour_scale("input_gate")
    scale["title"] = "weight<br>0 to 1"
    x, y = _labels(source), _labels(generated)
    figure = go.Figure(
        go.Heatmap(
            z=weights,
            x=x,
            y=y,
            colorscale=scale["colorscale"],
            zmin=0.0,
            zmax=1.0,
            colorbar=dict(title=scale["title"]),
            hovertemplate="generated %{y}<br>source %{x}<br>weight %{z:.3f}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    figure.update_layout(
        title=title(
            plotly_safe(heading), subtitle or "generated tokens down, source tokens across"
        ),
        yaxis=dict(autorange="reversed", type="category", title="generated"),
        xaxis=dict(type="category", title="source", tickangle=0),
        height=max(260, 28 * len(generated) + 140),
        margin=dict(l=70, r=20, t=80, b=50),
    )
    if selected is not None and 0 <= selected < len(generated):
        figure.add_shape(
            type="rect",
            xref="paper",
            yref="y",
            x0=0,
            x1=1,
            y0=selected - 0.5,
            y1=selected + 0.5,
            line=dict(color="#d62728", width=2),
        )
    return figure


def attention_vs_attribution(
    attention: np.ndarray, share: np.ndarray, source: list[str], token: str
) -> go.Figure:
    """One generated token: its attention row and its attribution share (|IG| normalised) over
    the source characters, side by side (both 0..1)."""
    x = _labels(source)
    figure = go.Figure(
        [
            go.Bar(x=x, y=attention, name="attention", marker_color="#2166ac"),
            go.Bar(x=x, y=share, name="attribution share (|IG|)", marker_color="#b2182b"),
        ]
    )
    figure.update_layout(
        title=title(
            plotly_safe(f"What {display_token(token)} used"),
            "attention weight vs share of integrated-gradients attribution",
        ),
        barmode="group",
        yaxis=dict(range=[0, 1], title="share"),
        xaxis=dict(type="category", tickangle=0),
        legend=top_legend(),
        height=300,
        margin=dict(l=50, r=20, t=80, b=40),
    )
    return figure
