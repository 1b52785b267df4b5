"""Gate saturation (Karpathy, Johnson & Fei-Fei 2015): how often each gate sits near 0 or 1.

A gate is left-saturated at a step when it is below ``low`` (0.1: nearly shut) and
right-saturated above ``high`` (0.9: nearly open). Per gate, layer, direction and unit, the
fraction of real steps of each kind; padded and non-finite steps are not counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_viz.figures import layout
from lstm_viz.quantities import GATES, QUANTITY_SYMBOLS, display_order, kind_label, label

from ..trace import DIRECTION_NAMES, Trace
from ._common import valid_mask

LOW, HIGH = 0.1, 0.9
LAYER_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def gate_names(trace: Trace) -> list[str]:
    """The trace's gates (values in [0, 1]), in display order."""
    return [n for n in display_order(trace.names) if n in GATES]


def saturation(trace: Trace, low: float = LOW, high: float = HIGH) -> pd.DataFrame:
    """One row per (gate, layer, direction, unit): fractions of steps below ``low`` ("left")
    and above ``high`` ("right"), over ``steps`` real steps. Layer and direction are the
    recording's own indices."""
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"need 0 <= low < high <= 1, got low={low}, high={high}")
    gates = gate_names(trace)
    if not gates:
        raise ValueError(f"a {kind_label(trace.kind)} has no gates in [0, 1] to saturate")
    mask = valid_mask(trace)  # [B, T]
    steps = int(mask.sum())
    if steps == 0:
        raise ValueError("the trace has no real steps")
    rows = []
    for gate in gates:
        values = trace[gate].numpy()[:, :, mask]  # [L, D, N, U]
        left = (values < low).mean(axis=2)  # [L, D, U]
        right = (values > high).mean(axis=2)
        layers, dirs, units = left.shape
        grid = np.indices((layers, dirs, units)).reshape(3, -1)
        rows.append(
            pd.DataFrame(
                {
                    "gate": gate,
                    "layer": np.array(trace.ids("layer"))[grid[0]],
                    "direction": np.array(trace.ids("direction"))[grid[1]],
                    "unit": grid[2],
                    "left": left.reshape(-1),
                    "right": right.reshape(-1),
                    "steps": steps,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def saturation_figure(table: pd.DataFrame, direction: int = 0, height: int = 390) -> go.Figure:
    """Karpathy et al.'s scatter: one panel per gate, one point per unit, coloured by layer;
    x = fraction of steps left-saturated, y = right-saturated. Each point's customdata holds
    [layer, direction, unit] (so a click can open the unit)."""
    rows = table[table["direction"] == direction]
    gates = list(dict.fromkeys(rows["gate"]))
    figure = make_subplots(
        rows=1,
        cols=len(gates),
        subplot_titles=[label(g).split(" (")[0] for g in gates],
        horizontal_spacing=0.06,
    )
    for col, gate in enumerate(gates, start=1):
        for index, (layer, part) in enumerate(rows[rows["gate"] == gate].groupby("layer")):
            symbol = QUANTITY_SYMBOLS.get(gate, gate)
            figure.add_trace(
                go.Scatter(
                    x=part["left"].to_numpy(),
                    y=part["right"].to_numpy(),
                    mode="markers",
                    name=f"layer {layer}",
                    legendgroup=f"layer {layer}",
                    showlegend=col == 1,
                    marker=dict(
                        color=LAYER_COLOURS[index % len(LAYER_COLOURS)],
                        size=8,
                        opacity=0.75,
                        line=dict(width=0.5, color="white"),
                    ),
                    customdata=part[["layer", "direction", "unit"]]
                    .to_numpy()
                    .tolist(),  # plain JSON
                    hovertemplate=(
                        f"layer %{{customdata[0]}} · unit %{{customdata[2]}}<br>"
                        f"{symbol} < {LOW}: %{{x:.0%}} of steps<br>"
                        f"{symbol} > {HIGH}: %{{y:.0%}} of steps<extra></extra>"
                    ),
                ),
                row=1,
                col=col,
            )
        figure.add_trace(  # the diagonal x + y = 1: saturated at every step
            go.Scatter(
                x=[0, 1],
                y=[1, 0],
                mode="lines",
                line=dict(color="rgba(128,128,128,0.5)", dash="dot", width=1),
                hoverinfo="skip",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        figure.update_xaxes(
            range=[-0.03, 1.03], title_text="fraction left-saturated (< 0.1)", row=1, col=col
        )
        figure.update_yaxes(
            range=[-0.03, 1.03],
            title_text="fraction right-saturated (> 0.9)" if col == 1 else None,
            row=1,
            col=col,
        )
    where = ""
    if table["direction"].nunique() > 1:
        where = f" · {DIRECTION_NAMES[direction]}"
    steps = int(table["steps"].iloc[0]) if len(table) else 0
    figure.update_layout(
        title=layout.title("Gate saturation", f"one point per unit, over {steps:,} steps{where}"),
        height=height,
        margin=dict(l=50, r=10, t=110, b=50),
        legend=layout.top_legend(1.18),
        meta={"figure": "saturation", "direction": direction},
        clickmode="event+select",
    )
    return figure


MOSTLY = 0.5  # a unit "mostly" saturated: on more than half of the steps


def saturation_summary(table: pd.DataFrame, mostly: float = MOSTLY) -> pd.DataFrame:
    """Per (gate, layer, direction) of a ``saturation`` table: units, mean fraction of steps
    left- and right-saturated, and how many units are left- ("shut") and right-saturated
    ("open") on more than ``mostly`` of the steps (Karpathy et al.'s per-layer comparison)."""
    grouped = table.assign(shut=table["left"] > mostly, open=table["right"] > mostly).groupby(
        ["gate", "layer", "direction"], sort=False
    )
    return grouped.agg(
        units=("unit", "size"),
        left=("left", "mean"),
        right=("right", "mean"),
        shut=("shut", "sum"),
        open=("open", "sum"),
    ).reset_index()


def saturation_finding(summary: pd.DataFrame, gate: str = "forget_gate", direction: int = 0) -> str:
    """One sentence: which layer has the most ``gate``s mostly open (right-saturated), from a
    ``saturation_summary``; '' for a one-layer model or a missing gate."""
    rows = summary[(summary["gate"] == gate) & (summary["direction"] == direction)]
    if len(rows) < 2:
        return ""
    name = gate.replace("_", " ")
    counts = ", ".join(f"layer {r.layer}: {r.open} of {r.units}" for r in rows.itertuples())
    best = rows["open"].max()
    if (rows["open"] == best).sum() > 1:
        return f"No layer has more {name}s mostly open (> 0.9) than another ({counts})."
    layer = int(rows.loc[rows["open"].idxmax(), "layer"])
    return (
        f"Layer {layer} has the most {name}s mostly open (> 0.9 on more than half of the "
        f"steps): {counts}."
    )
