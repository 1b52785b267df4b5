"""Figures for the causal analyses: the gate pre-activation split (stacked bars of a unit over
time) and state trajectories (PCA lines through the tokens). Plotly; no streamlit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from lstm_viz.analysis.preactivation import PreactivationSplit
from lstm_viz.analysis.trajectories import Trajectory
from lstm_viz.figures import layout
from lstm_viz.quantities import display_token, label, plotly_safe

TERM_COLOURS = {
    "input": "#1f77b4",
    "recurrent": "#ff7f0e",
    "bias": "#7f7f7f",
    "peephole": "#2ca02c",
}
TERM_WORDS = {
    "input": "input W·x_t",
    "recurrent": "recurrent W·h_{t-1}",
    "bias": "bias",
    "peephole": "peephole p·c",
}
LINE_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")


def _hover(tokens: Sequence[str] | None, steps: int) -> list[str]:
    if not tokens:
        return [f"step {t}" for t in range(steps)]
    return [plotly_safe(f"{display_token(tok)} · step {t}") for t, tok in enumerate(tokens)]


def preactivation_figure(
    split: PreactivationSplit,
    gate: str,
    unit: int,
    layer: int = 0,
    direction: int = 0,
    batch: int = 0,
    height: int = 380,
) -> go.Figure:
    """Stacked bars, one per step: the terms of ``gate``'s pre-activation for ``unit``
    (positive terms stack up, negative ones down), and the total as a black line with markers.
    The gate opens where the total is high (sigmoid(total) is the recorded gate)."""
    parts = split.unit(gate, unit, layer, direction, batch)
    total = parts.pop("total")
    steps = len(total)
    tokens = split.trace.tokens[batch] if split.trace.tokens else None
    hover = _hover(tokens, steps)
    x = np.arange(steps)
    figure = go.Figure()
    for term, values in parts.items():
        figure.add_trace(
            go.Bar(
                x=x,
                y=values,
                name=TERM_WORDS[term],
                marker_color=TERM_COLOURS[term],
                customdata=hover,
                hovertemplate=f"%{{customdata}}<br>{TERM_WORDS[term]}: %{{y:.3f}}<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=total,
            name="pre-activation (sum)",
            mode="lines+markers",
            line=dict(color="black", width=2),
            customdata=hover,
            hovertemplate="%{customdata}<br>sum: %{y:.3f}<extra></extra>",
        )
    )
    gate_name = label(gate).split(" (")[0]
    gate_name = gate_name[:1].lower() + gate_name[1:]
    figure.update_layout(
        barmode="relative",
        title=layout.title(
            f"Why the {gate_name} moved: unit {unit}",
            f"pre-activation split into its terms · layer {layer}",
        ),
        height=height,
        margin=dict(l=50, r=10, t=80, b=40),
        legend=layout.top_legend(),
        meta={"figure": "preactivation_split"},
    )
    if tokens:
        figure.update_xaxes(
            tickmode="array", tickvals=x, ticktext=[plotly_safe(display_token(t)) for t in tokens]
        )
    figure.update_xaxes(title_text="step")
    figure.update_yaxes(title_text="pre-activation", zeroline=True)
    return figure


def trajectory_figure(
    trajectories: Sequence[Trajectory], title: str = "State trajectories", height: int = 480
) -> go.Figure:
    """One line per input through its states projected on the first two principal components,
    each point labelled with its token; the start is a square, the end a diamond. Nearest
    corpus states (when found) are in the hover."""
    figure = go.Figure()
    for index, path in enumerate(trajectories):
        colour = LINE_COLOURS[index % len(LINE_COLOURS)]
        tokens = [plotly_safe(display_token(t)) for t in path.tokens]
        hover = [f"{tok} · step {t}" for t, tok in enumerate(tokens)]
        if path.neighbours:
            hover = [
                f"{h}<br>nearest in the corpus: {plotly_safe(' | '.join(n))}"
                for h, n in zip(hover, path.neighbours, strict=True)
            ]
        symbols = ["circle"] * len(tokens)
        symbols[0], symbols[-1] = "square", "diamond"
        figure.add_trace(
            go.Scatter(
                x=path.points[:, 0],
                y=path.points[:, 1],
                mode="lines+markers+text",
                text=tokens,
                textposition="top center",
                marker=dict(size=8, symbol=symbols, color=colour),
                line=dict(color=colour, width=2),
                name=plotly_safe(path.name),
                customdata=hover,
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    first = trajectories[0] if trajectories else None
    explained = (
        f" · PC1 {first.explained[0]:.0%}, PC2 {first.explained[1]:.0%} of the variance"
        if first is not None
        else ""
    )
    figure.update_layout(
        title=layout.title(
            title,
            (f"{first.quantity} of layer {first.layer} projected with PCA" if first else "")
            + explained,
        ),
        height=height,
        margin=dict(l=50, r=10, t=80, b=40),
        legend=layout.top_legend(),
        meta={"figure": "state_trajectories"},
    )
    figure.update_xaxes(title_text="PC1")
    figure.update_yaxes(title_text="PC2", scaleanchor="x", scaleratio=1)
    return figure
