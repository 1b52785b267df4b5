"""Encoder-decoder figures: the attention matrix (generated tokens down, source tokens across, a
fixed 0..1 scale), and one generated token's attention beside its attribution."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_viz.figures.colours import colour_scale
from lstm_viz.figures.layout import title, top_legend
from lstm_viz.quantities import display_token, plotly_safe


def _labels(tokens: list[str]) -> list[str]:
    return [plotly_safe(display_token(t)) for t in tokens]


def _axis(tokens: list[str], name: str) -> dict:
    # positions on a linear axis, labelled with the tokens (a category axis would merge repeats)
    return dict(
        tickmode="array",
        tickvals=list(range(len(tokens))),
        ticktext=_labels(tokens),
        title=name,
        showgrid=False,
        zeroline=False,
    )


def attention_matrix(
    weights: np.ndarray,
    source: list[str],
    generated: list[str],
    *,
    heading: str = "Attention",
    subtitle: str | None = None,
    selected: int | None = None,
    colour_title: str = "weight",
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
    figure = go.Figure(
        go.Heatmap(
            z=weights,
            x=list(range(len(source))),
            y=list(range(len(generated))),
            customdata=[[[g, s] for s in _labels(source)] for g in _labels(generated)],
            colorscale=scale["colorscale"],
            zmin=0.0,
            zmax=1.0,
            colorbar=dict(title=f"{colour_title}<br>0 to 1"),
            hovertemplate="generated %{customdata[0]} (step %{y})<br>source %{customdata[1]} "
            "(position %{x})<br>%{z:.3f}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    figure.update_layout(
        title=title(
            plotly_safe(heading), subtitle or "generated tokens down, source tokens across"
        ),
        yaxis=dict(autorange="reversed", **_axis(generated, "generated")),
        xaxis=dict(tickangle=0, **_axis(source, "source")),
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
    x = list(range(len(source)))
    figure = go.Figure(
        [
            go.Bar(x=x, y=attention, name="attention", marker_color="#2166ac"),
            go.Bar(x=x, y=share, name="attribution share (|IG|)", marker_color="#b2182b"),
        ]
    )
    figure.update_layout(
        title=title(
            plotly_safe(f"What {display_token(token)!r} used"),  # '0', not a bare digit
            "attention weight vs share of integrated-gradients attribution",
        ),
        barmode="group",
        yaxis=dict(range=[0, 1], title="share"),
        xaxis=dict(tickangle=0, **_axis(source, "source")),
        legend=top_legend(),
        height=300,
        margin=dict(l=50, r=20, t=80, b=40),
    )
    return figure
