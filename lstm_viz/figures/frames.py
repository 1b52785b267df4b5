"""Figures for ConvLSTM recordings: frames over time, and every gate's maps per channel.

Each figure tiles many small maps into one heatmap per row (NaN gaps between tiles), so a
20-step, 8-channel recording is a handful of heatmaps rather than hundreds of subplots. Colour
scales are the house's (figures/colours.py) and fixed over every step, so an animation compares
like with like.

    frames_figure(frames, prediction)            # input / predicted / true rows, one tile per step
    gate_maps_figure(trace, layer, step)         # one row per quantity, one tile per channel
    gate_maps_figure(..., animate=True)          # plus plotly frames: play through the steps
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_viz.figures.colours import colour_scale
from lstm_viz.figures.layout import title
from lstm_viz.quantities import QUANTITY_SYMBOLS, display_order, label
from lstm_viz.trace import Trace

GAP = 1  # NaN pixels between tiles


def tile(maps: np.ndarray, gap: int = GAP) -> np.ndarray:
    """[n, H, W] maps side by side, separated by ``gap`` NaN columns: [H, n*(W+gap)-gap]."""
    n, height, width = maps.shape
    out = np.full((height, n * (width + gap) - gap), np.nan, dtype=np.float32)
    for k in range(n):
        out[:, k * (width + gap) : k * (width + gap) + width] = maps[k]
    return out


def _tick_centres(n: int, width: int) -> list[float]:
    return [k * (width + GAP) + (width - 1) / 2 for k in range(n)]


def frames_figure(
    frames: np.ndarray, prediction: np.ndarray, step: int | None = None, channel: int = 0
) -> go.Figure:
    """Rows: the input frame t, the model's prediction of frame t+1, the true frame t+1.

    frames [T, C, H, W] and prediction [T, C, H, W] (prediction[t] is the guess of frame t+1;
    the last step has no true next frame: blank). ``step`` is outlined. Grey scale fixed 0..1.
    """
    steps, _, height, width = frames.shape
    blank = np.full((1, height, width), np.nan, dtype=np.float32)
    truth = np.concatenate([frames[1:, channel], blank])
    rows = [
        ("input: frame t", frames[:, channel]),
        ("predicted: frame t+1", prediction[:, channel]),
        ("true: frame t+1", truth),
    ]
    fig = make_subplots(rows=3, cols=1, vertical_spacing=0.04, subplot_titles=[r[0] for r in rows])
    for r, (_, maps) in enumerate(rows, start=1):
        fig.add_trace(
            go.Heatmap(
                z=tile(maps),
                colorscale="Greys",
                reversescale=True,
                zmin=0.0,
                zmax=1.0,
                showscale=False,
                hovertemplate="value %{z:.2f}<extra></extra>",
            ),
            row=r,
            col=1,
        )
        fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor=f"x{r}", row=r)
        fig.update_xaxes(
            tickvals=_tick_centres(steps, width),
            ticktext=[str(t) for t in range(steps)],
            showgrid=False,
            row=r,
        )
    if step is not None:
        x0 = step * (width + GAP) - 0.5
        for r in range(1, 4):
            fig.add_shape(
                type="rect", x0=x0, x1=x0 + width, y0=-0.5, y1=height - 0.5,
                line=dict(color="#d62728", width=2), row=r, col=1,
            )  # fmt: skip
    fig.update_layout(
        title=title("Frames over time", "each step reads frame t and predicts frame t+1"),
        height=170 * 3 + 90,
        margin=dict(l=10, r=10, t=80, b=20),
    )
    return fig


def _scales(trace: Trace, names: list[str], layer: int) -> dict[str, dict]:
    """One fixed colour scale per quantity over every step (the cell's from its values)."""
    return {n: colour_scale(n, trace[n][layer].numpy()) for n in names}


def gate_maps_figure(
    trace: Trace,
    layer: int,
    step: int,
    *,
    batch: int = 0,
    names: list[str] | None = None,
    pixel: tuple[int, int, int] | None = None,
    animate: bool = False,
) -> go.Figure:
    """Small multiples: one row per quantity, one tile per channel, at ``step``.

    With ``animate``, plotly frames hold every step (played in the browser, no server work) and
    a slider and play button walk them; colour scales stay fixed over all steps. ``pixel``
    (channel, row, column) is marked on every row. ValueError for a trace without spatial shape.
    """
    names = display_order(list(names or trace.names))
    maps = {n: trace.maps(n)[layer, 0, batch].numpy() for n in names}  # [T, C, H, W]
    steps, channels, height, width = maps[names[0]].shape
    if not 0 <= step < steps:
        raise ValueError(f"step {step} is outside the recording's {steps} steps")
    scales = _scales(trace, names, layer)
    fig = make_subplots(
        rows=len(names), cols=1, vertical_spacing=0.03, subplot_titles=[label(n) for n in names]
    )
    n_rows = len(names)
    for r, n in enumerate(names, start=1):
        scale = dict(scales[n])
        bar_title = scale.pop("title")
        y_mid = 1 - (r - 0.5) / n_rows
        fig.add_trace(
            go.Heatmap(
                z=tile(maps[n][step]),
                **scale,
                colorbar=dict(title=bar_title, len=0.9 / n_rows, y=y_mid, thickness=12),
                hovertemplate=f"{QUANTITY_SYMBOLS.get(n, n)} = %{{z:.3f}}<extra></extra>",
            ),
            row=r,
            col=1,
        )
        fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor=f"x{r}", row=r)
        fig.update_xaxes(
            tickvals=_tick_centres(channels, width),
            ticktext=[f"ch {c}" for c in range(channels)],
            showgrid=False,
            row=r,
        )
        if pixel is not None:
            c, y, x = pixel
            fig.add_trace(
                go.Scatter(
                    x=[c * (width + GAP) + x], y=[y], mode="markers", showlegend=False,
                    marker=dict(symbol="x-thin", size=9, line=dict(width=2, color="#ff00ff")),
                    hoverinfo="skip",
                ),
                row=r, col=1,
            )  # fmt: skip
    if animate:
        heatmaps = [i for i, t in enumerate(fig.data) if isinstance(t, go.Heatmap)]
        fig.frames = [
            go.Frame(
                data=[go.Heatmap(z=tile(maps[n][t])) for n in names],
                traces=heatmaps,
                name=str(t),
            )
            for t in range(steps)
        ]
        fig.update_layout(
            updatemenus=[
                dict(
                    type="buttons", x=0, y=1.0 + 0.35 / n_rows, xanchor="left", yanchor="bottom",
                    direction="left", showactive=False,
                    buttons=[
                        dict(label="▶ play", method="animate", args=[None, dict(
                            frame=dict(duration=400, redraw=True), fromcurrent=True,
                            transition=dict(duration=0))]),
                        dict(label="⏸", method="animate", args=[[None], dict(
                            mode="immediate", frame=dict(duration=0, redraw=False))]),
                    ],
                )
            ],
            sliders=[
                dict(
                    active=step, y=0, yanchor="top", len=1.0, pad=dict(t=30),
                    currentvalue=dict(prefix="step "),
                    steps=[
                        dict(label=str(t), method="animate", args=[[str(t)], dict(
                            mode="immediate", frame=dict(duration=0, redraw=True),
                            transition=dict(duration=0))])
                        for t in range(steps)
                    ],
                )
            ],
        )  # fmt: skip
    tile_height = max(90, int(height * 4))
    fig.update_layout(
        title=title(
            f"Every gate and state at step {step}, layer {layer}",
            f"{channels} channels of {height} × {width}; colour scales fixed over all steps",
        ),
        height=n_rows * (tile_height + 40) + (170 if animate else 100),
        margin=dict(l=10, r=10, t=110, b=80 if animate else 20),
    )
    return fig


def unit_of(trace: Trace, channel: int, row: int, column: int) -> int:
    """The unit index of (channel, row, column) in a conv_lstm trace (C order)."""
    channels, height, width = trace.config["spatial_shape"]
    if not (0 <= channel < channels and 0 <= row < height and 0 <= column < width):
        raise ValueError(
            f"pixel ({channel}, {row}, {column}) is outside {channels} × {height} × {width}"
        )
    return (channel * height + row) * width + column
