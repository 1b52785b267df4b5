"""The cell-state ledger: which earlier tokens' writes survive in unit u at step t.

Unrolling c_t = f_t c_{t-1} + i_t g_t gives an exact sum:

    c_t = sum_{k <= t} (prod_{k < j <= t} f_j) i_k g_k  +  (prod_{j <= t} f_j) c_0

Term k is what step k wrote (i_k g_k), scaled by every forget gate since. For the backward
direction, "earlier" means later positions (it reads from the end). Computed in float64 from
the recorded gates, so the terms add up to the recorded c_t to float32 precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lstm_viz.figures import layout

from ..trace import Trace
from ._common import LSTM_KINDS, check_position


@dataclass(frozen=True)
class Ledger:
    """The terms of c_t for one unit: one per step read so far, plus the initial state's."""

    steps: np.ndarray  # [K] int: the positions k, in reading order (first read first)
    written: np.ndarray  # [K] float64: i_k * g_k
    kept: np.ndarray  # [K] float64: prod of the forget gates after k, up to t
    contributions: np.ndarray  # [K] float64: kept * written
    initial: float  # (prod_{j <= t} f_j) * c_0
    cell: float  # the recorded c_t
    tokens: list[str]  # the token at each of ``steps``

    @property
    def total(self) -> float:
        return float(self.contributions.sum() + self.initial)

    def to_frame(self) -> pd.DataFrame:
        """One row per earlier step: step, token, written, kept, contribution, share of |c|."""
        magnitude = np.abs(self.contributions).sum() + abs(self.initial)
        return pd.DataFrame(
            {
                "step": self.steps,
                "token": self.tokens,
                "written": self.written,
                "kept": self.kept,
                "contribution": self.contributions,
                "share": np.abs(self.contributions) / magnitude if magnitude else 0.0,
            }
        )


def cell_ledger(
    trace: Trace,
    unit: int,
    step: int,
    layer: int = 0,
    direction: int = 0,
    batch: int = 0,
    initial_cell: float = 0.0,
) -> Ledger:
    """The ledger of c_step for ``unit`` (positions in the trace; see the module docstring).

    ``initial_cell`` is c_0 for this unit (0 unless the recording started from a state).
    """
    if trace.kind not in LSTM_KINDS:
        raise ValueError(f"the cell-state ledger needs an LSTM trace, not {trace.kind}")
    check_position(trace, layer, direction)
    if not 0 <= batch < trace.batch_size:
        raise ValueError(f"batch {batch} out of range for {trace.batch_size} sequence(s)")
    length = int(trace.lengths[batch])
    if not 0 <= step < length:
        raise ValueError(f"step {step} out of range: the sequence has {length} steps")
    units = trace.cell.shape[-1]
    if not 0 <= unit < units:
        raise ValueError(f"unit {unit} out of range: the layer has {units} units")

    def series(name: str) -> np.ndarray:
        return trace[name][layer, direction, batch, :length, unit].numpy().astype(np.float64)

    forget, written = series("forget_gate"), series("input_gate") * series("candidate")
    backward = trace.ids("direction")[direction] == 1
    order = np.arange(length)[::-1] if backward else np.arange(length)
    position = int(np.flatnonzero(order == step)[0])  # how many steps were read before this one
    read = order[: position + 1]  # positions read up to and including step, in reading order
    f = forget[read]
    # kept[k] = prod of f over the steps read after k: a reversed cumulative product.
    after = np.concatenate([f[1:], [1.0]])
    kept = np.cumprod(after[::-1])[::-1]
    contributions = kept * written[read]
    initial = float(np.prod(f) * initial_cell)
    tokens = trace.tokens[batch] if trace.tokens is not None else [str(k) for k in range(length)]
    return Ledger(
        steps=read,
        written=written[read],
        kept=kept,
        contributions=contributions,
        initial=initial,
        cell=float(trace.cell[layer, direction, batch, step, unit]),
        tokens=[tokens[k] for k in read],
    )


def ledger_figure(ledger: Ledger, title: str = "", height: int = 320) -> go.Figure:
    """Bars: each earlier step's surviving contribution to c_t (red adds, blue subtracts)."""
    from lstm_viz.quantities import display_token, plotly_safe

    labels = [
        plotly_safe(f"{display_token(t)} · {k}")
        for t, k in zip(ledger.tokens, ledger.steps, strict=True)
    ]
    colours = np.where(ledger.contributions >= 0, "#b2182b", "#2166ac")
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=ledger.contributions,
            marker_color=colours,
            customdata=np.stack([ledger.written, ledger.kept], axis=-1),
            hovertemplate=(
                "%{x}<br>wrote i·g = %{customdata[0]:.4f}<br>"
                "kept since: %{customdata[1]:.4f}<br><b>survives: %{y:.4f}</b><extra></extra>"
            ),
        )
    )
    figure.update_layout(
        title=layout.title(
            title or "What survives in the cell",
            f"c_t = {ledger.cell:.4f} = sum of the bars ({ledger.total:.4f})"
            + (f" + initial {ledger.initial:.4f}" if ledger.initial else ""),
        ),
        height=height,
        margin=dict(l=50, r=10, t=80, b=60),
        meta={"figure": "ledger"},
    )
    figure.update_xaxes(type="category", title_text="earlier step (token · position)")
    figure.update_yaxes(title_text="contribution to c_t", zeroline=True)
    return figure
