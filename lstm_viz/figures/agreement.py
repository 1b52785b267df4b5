"""Lakretz et al.'s figure: a number unit's cell state over the sentence, four conditions."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import layout

CONDITION_STYLE = {  # subject+attractor: (colour, dash, legend)
    "SS": ("#1f77b4", "solid", "singular subject, singular attractor"),
    "SP": ("#1f77b4", "dash", "singular subject, plural attractor"),
    "PS": ("#d62728", "solid", "plural subject, singular attractor"),
    "PP": ("#d62728", "dash", "plural subject, plural attractor"),
}
SLOT_LABELS = {"subject": "cat(s)", "attractor": "dog(s)", "verb": "is/are"}


def number_unit_figure(cells: pd.DataFrame, unit: tuple[int, int], height: int = 420) -> go.Figure:
    """Lines of the mean cell state (± 1 sd band as error bars) at each word of 'the N near the
    N2 verb' for the four conditions; ``cells`` from analysis.agreement.cell_over_sentence."""
    figure = go.Figure()
    for condition, (colour, dash, name) in CONDITION_STYLE.items():
        part = cells[cells["condition"] == condition].sort_values("position")
        figure.add_trace(
            go.Scatter(
                x=[
                    f"{t}. {SLOT_LABELS.get(w, w)}"
                    for t, w in zip(part["position"], part["word"], strict=True)
                ],
                y=part["value"].to_numpy(),
                error_y=dict(type="data", array=part["sd"].to_numpy(), thickness=1, width=3),
                mode="lines+markers",
                name=name,
                line=dict(color=colour, dash=dash, width=2),
                hovertemplate=f"{condition}: %{{x}}<br>cell %{{y:.2f}}<extra></extra>",
            )
        )
    layer, index = unit
    figure.update_layout(
        title=layout.title(
            f"Number unit: layer {layer}, unit {index}",
            "its cell state at each word of 'the cat(s) near the dog(s) is/are', mean of the "
            "sentences per condition",
        ),
        xaxis_title="word",
        yaxis_title="cell state",
        height=height,
        margin=dict(l=50, r=10, t=80, b=110),
        legend=dict(orientation="h", yanchor="top", y=-0.28, xanchor="left", x=0),
        meta={"figure": "number_unit", "unit": [layer, index]},
    )
    return figure
