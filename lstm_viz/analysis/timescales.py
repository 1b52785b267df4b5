"""Memory timescales: how many steps each unit's memory takes to fall to half.

Left alone (nothing written), an LSTM's cell decays as c_{t+n} = f_{t+1} ... f_{t+n} c_t. Over
a corpus, a unit's typical decay per step is the geometric mean of its forget gate,
f̄ = exp(mean log f), so n steps keep f̄^n of the memory and the half-life is
ln 0.5 / ln f̄ steps: infinite when f̄ = 1, 0 when some f is exactly 0. A GRU keeps
z h_{t-1} of its state (update gate z), so the same reading applies to z.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lstm_viz.figures import layout

from ..quantities import kind_label
from ..trace import Trace
from ._common import KEEP_GATE, valid_mask


def half_lives(trace: Trace) -> pd.DataFrame:
    """One row per (layer, direction, unit): ``keep`` (geometric-mean forget gate, or update
    gate for a GRU) and ``half_life`` in steps (inf when the gate never lets go), ranked
    longest first. ValueError for a trace with no keep gate (vanilla RNN)."""
    gate = KEEP_GATE.get(trace.kind)
    if gate is None:
        raise ValueError(
            f"a {kind_label(trace.kind)} has no forget gate: memory timescales need an LSTM or "
            "a GRU"
        )
    mask = valid_mask(trace)
    if not mask.any():
        raise ValueError("the trace has no real steps")
    values = trace[gate].numpy()[:, :, mask].astype(np.float64)  # [L, D, N, U]
    with np.errstate(divide="ignore"):
        mean_log = np.log(values).mean(axis=2)  # [L, D, U], -inf if some f == 0
    keep = np.exp(mean_log)
    with np.errstate(divide="ignore", invalid="ignore"):
        life = np.where(mean_log < 0, np.log(0.5) / mean_log, np.inf)
    life = np.where(np.isneginf(mean_log), 0.0, life)
    layers, dirs, units = keep.shape
    grid = np.indices((layers, dirs, units)).reshape(3, -1)
    table = pd.DataFrame(
        {
            "layer": np.array(trace.ids("layer"))[grid[0]],
            "direction": np.array(trace.ids("direction"))[grid[1]],
            "unit": grid[2],
            "keep": keep.reshape(-1),
            "half_life": life.reshape(-1),
        }
    )
    return table.sort_values("half_life", ascending=False, kind="stable").reset_index(drop=True)


def log_ticks(low: float, high: float, most: int = 12) -> list[float]:
    """Readable ticks for a log axis over [low, high] (both > 0): 1, 2 and 5 times the powers of
    ten inside it (every power of ten, thinned to at most ``most``, on a very wide range); at
    least two ticks: on a range too narrow for two nice values, its ends and middle (3 digits).
    """
    if not 0 < low < high:
        raise ValueError(f"log ticks need 0 < low < high, got {low}, {high}")
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    for mantissas in ((1, 2, 5), (1,)):
        ticks = [m * 10.0**d for d in decades for m in mantissas]
        ticks = [t for t in ticks if low <= t <= high]
        if len(ticks) <= most:
            break
    if len(ticks) > most:
        ticks = ticks[:: math.ceil(len(ticks) / most)]
    if len(ticks) < 2:  # a narrow range: its ends and middle
        ticks = sorted({float(f"{t:.3g}") for t in (low, math.sqrt(low * high), high)})
    return ticks


def half_life_figure(table: pd.DataFrame, gate: str = "forget gate", height: int = 320):
    """Histogram of half-lives (log-spaced bins, in steps), one colour per layer."""
    from .saturation import LAYER_COLOURS

    finite = table[np.isfinite(table["half_life"])]
    infinite = int((~np.isfinite(table["half_life"])).sum())
    positive = finite["half_life"][finite["half_life"] > 0]
    low = max(float(positive.min()) if len(positive) else 0.1, 1e-2)
    high = max(float(finite["half_life"].max()) if len(finite) else 1.0, low * 10)
    edges = np.logspace(np.log10(low) - 0.05, np.log10(high) + 0.05, 25)
    figure = go.Figure()
    for index, (layer, part) in enumerate(finite.groupby("layer")):
        counts, _ = np.histogram(np.clip(part["half_life"], edges[0], edges[-1]), bins=edges)
        centres = np.sqrt(edges[:-1] * edges[1:])
        figure.add_trace(
            go.Bar(
                x=centres,
                y=counts,
                width=np.diff(edges) * 0.95,
                name=f"layer {layer}",
                marker_color=LAYER_COLOURS[index % len(LAYER_COLOURS)],
                opacity=0.8,
                customdata=np.stack([edges[:-1], edges[1:]], axis=-1),
                hovertemplate=(
                    f"layer {layer}<br>half-life %{{customdata[0]:.3g}} to "
                    "%{customdata[1]:.3g} steps<br>%{y} units<extra></extra>"
                ),
            )
        )
    note = f"{len(table)} units"
    if infinite:
        note += f"; {infinite} never let go (f̄ = 1: infinite half-life, not drawn)"
    figure.update_layout(
        title=layout.title(
            "Memory half-life per unit", f"ln 0.5 / ln f̄, f̄ = geometric-mean {gate} · {note}"
        ),
        barmode="stack",
        height=height,
        margin=dict(l=50, r=10, t=80, b=50),
        meta={"figure": "half_life", "infinite": infinite},
        legend={**layout.top_legend(), "traceorder": "normal"},  # stacked: layer 0 first too
    )
    ticks = log_ticks(float(edges[0]), float(edges[-1]))
    figure.update_xaxes(
        type="log",
        tickmode="array",
        tickvals=ticks,
        ticktext=[f"{t:.3g}" for t in ticks],
        title_text="half-life (steps, log scale)",
    )
    figure.update_yaxes(title_text="units")
    return figure
