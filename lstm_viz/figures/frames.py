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


def _rows_layout(titles: list[str], ticks: list[float], labels: list[str], gap: float) -> dict:
    """Axes for one heatmap per row (row 1 on top), each with its title above it; built as one
    dict, so plotly validates the figure once (make_subplots + update_* cost 10x more)."""
    n = len(titles)
    layout: dict = {"annotations": []}
    for r in range(1, n + 1):
        top = 1 - (r - 1) / n
        bottom = 1 - r / n + gap
        suffix = "" if r == 1 else str(r)
        layout[f"xaxis{suffix}"] = dict(
            anchor=f"y{suffix}", tickvals=ticks, ticktext=labels, showgrid=False, domain=[0, 1]
        )
        layout[f"yaxis{suffix}"] = dict(
            anchor=f"x{suffix}", domain=[bottom, top - gap / 2], autorange="reversed",
            showticklabels=False, showgrid=False, scaleanchor=f"x{suffix}",
        )  # fmt: skip
        layout["annotations"].append(
            dict(
                text=titles[r - 1], x=0, y=top, xref="paper", yref="paper", xanchor="left",
                yanchor="bottom", showarrow=False, font=dict(size=13),
            )
        )  # fmt: skip
    return layout


def _axes(r: int) -> dict:
    suffix = "" if r == 1 else str(r)
    return dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")


def frames_figure(
    frames: np.ndarray, prediction: np.ndarray, step: int | None = None, channel: int = 0
) -> go.Figure:
    """Rows: the input frame t, the model's prediction of frame t+1, the true frame t+1.

    frames [T, C, H, W] and prediction [T, C, H, W] (prediction[t] is the guess of frame t+1;
    the last step has no true next frame: its tile says so). ``step`` is outlined. Grey scale
    fixed 0..1.
    """
    steps, _, height, width = frames.shape
    blank = np.full((1, height, width), np.nan, dtype=np.float32)
    truth = np.concatenate([frames[1:, channel], blank])
    rows = [
        ("input: frame t", frames[:, channel]),
        ("predicted: frame t+1", prediction[:, channel]),
        ("true: frame t+1", truth),
    ]
    data = [
        go.Heatmap(
            z=tile(maps), colorscale="Greys", reversescale=False, zmin=0.0, zmax=1.0,
            showscale=False, hovertemplate="value %{z:.2f}<extra></extra>", **_axes(r),
        )
        for r, (_, maps) in enumerate(rows, start=1)
    ]  # fmt: skip
    layout = _rows_layout(
        [name for name, _ in rows], _tick_centres(steps, width), [str(t) for t in range(steps)], 0.1
    )
    layout["annotations"].append(  # the last input has no next frame to show
        dict(
            text="none:<br>the input<br>ends", showarrow=False, font=dict(size=10),
            x=_tick_centres(steps, width)[-1], y=(height - 1) / 2,
            xref=_axes(3)["xaxis"], yref=_axes(3)["yaxis"],
        )
    )  # fmt: skip
    if step is not None:
        x0 = step * (width + GAP) - 0.5
        layout["shapes"] = [
            dict(
                type="rect", x0=x0, x1=x0 + width, y0=-0.5, y1=height - 0.5,
                xref=_axes(r)["xaxis"], yref=_axes(r)["yaxis"],
                line=dict(color="#d62728", width=2),
            )
            for r in range(1, 4)
        ]  # fmt: skip
    layout.update(
        title=title("Frames over time", "each step reads frame t and predicts frame t+1"),
        height=max(330, int(3 * (height * 1400 / max(1, steps * (width + GAP))) + 230)),
        margin=dict(l=10, r=10, t=90, b=20),
    )
    return go.Figure(data=data, layout=layout)


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
    (channel, row, column) is marked on every row. The title names what is drawn: "Every gate
    and state at step 10, layer 0" for all of the trace's quantities, else "Forget gate at step
    10, layer 0" (``names=["forget_gate"]``). ValueError for a trace without spatial shape
    or a step outside the recording.
    """
    drawn_all = names is None or set(trace.names) <= set(names)
    names = display_order(list(names or trace.names))
    maps = {n: trace.maps(n)[layer, 0, batch].numpy() for n in names}  # [T, C, H, W]
    steps, channels, height, width = maps[names[0]].shape
    if not 0 <= step < steps:
        raise ValueError(f"step {step} is outside the recording's {steps} steps")
    scales = _scales(trace, names, layer)
    n_rows = len(names)
    data = []
    for r, n in enumerate(names, start=1):
        scale = dict(scales[n])
        bar_title = scale.pop("title")
        data.append(
            go.Heatmap(
                z=tile(maps[n][step]),
                **scale,
                colorbar=dict(
                    title=bar_title, len=0.8 / n_rows, y=1 - (r - 0.5) / n_rows, thickness=12
                ),
                hovertemplate=f"{QUANTITY_SYMBOLS.get(n, n)} = %{{z:.3f}}<extra></extra>",
                **_axes(r),
            )
        )
    if pixel is not None:
        c, y, x = pixel
        for r in range(1, n_rows + 1):
            data.append(
                go.Scatter(
                    x=[c * (width + GAP) + x], y=[y], mode="markers", showlegend=False,
                    marker=dict(symbol="x-thin", size=9, line=dict(width=2, color="#ff00ff")),
                    hoverinfo="skip", **_axes(r),
                )
            )  # fmt: skip
    layout = _rows_layout(
        [label(n) for n in names],
        _tick_centres(channels, width),
        [f"ch {c}" for c in range(channels)],
        0.35 / n_rows,
    )
    tile_height = int(height * min(12.0, 1100 / max(1, channels * (width + GAP))))
    layout.update(
        title=title(
            f"{_heading(names, drawn_all)} at step {step}, layer {layer}",
            f"{channels} channels of {height} × {width}; colour scales fixed over all steps",
        ),
        height=n_rows * (tile_height + 40) + (190 if animate else 110),
        margin=dict(l=10, r=10, t=110, b=90 if animate else 20),
    )
    frames = None
    if animate:
        frames = [
            go.Frame(
                data=[go.Heatmap(z=tile(maps[n][t])) for n in names],
                traces=list(range(n_rows)),
                name=str(t),
            )
            for t in range(steps)
        ]
        layout.update(_player(steps, step, n_rows))
    return go.Figure(data=data, layout=layout, frames=frames)


def _heading(names: list[str], drawn_all: bool) -> str:
    """What a gate-maps figure draws, for its title: "Every gate and state" when it draws all of
    the trace's quantities, else their short names ("Forget gate", "Forget gate and cell state")."""
    if drawn_all:
        return "Every gate and state"
    short = [_short_label(n) for n in names]
    short = [short[0]] + [s[0].lower() + s[1:] for s in short[1:]]
    return short[0] if len(short) == 1 else f"{', '.join(short[:-1])} and {short[-1]}"


def _short_label(name: str) -> str:
    """A quantity's label without its explanation or symbol: "Forget gate", "Cell state"."""
    text = label(name).split(" (")[0]
    symbol = QUANTITY_SYMBOLS.get(name)
    return text.removesuffix(f" {symbol}") if symbol else text


def _player(steps: int, step: int, n_rows: int) -> dict:
    """A play/pause button and a step slider that walk the figure's frames in the browser."""
    still = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    return dict(
        updatemenus=[
            dict(
                type="buttons", x=0, y=0, xanchor="left", yanchor="top", direction="left",
                showactive=False, pad=dict(t=40),
                buttons=[
                    dict(label="▶ play", method="animate", args=[None, dict(
                        frame=dict(duration=400, redraw=True), fromcurrent=True,
                        transition=dict(duration=0))]),
                    dict(label="⏸ pause", method="animate", args=[[None], dict(
                        mode="immediate", frame=dict(duration=0, redraw=False))]),
                ],
            )
        ],
        sliders=[
            dict(
                active=step, x=0.15, len=0.85, y=0, yanchor="top", pad=dict(t=30),
                currentvalue=dict(prefix="step "),
                steps=[
                    dict(label=str(t), method="animate", args=[[str(t)], still])
                    for t in range(steps)
                ],
            )
        ],
    )  # fmt: skip


def unit_of(trace: Trace, channel: int, row: int, column: int) -> int:
    """The unit index of (channel, row, column) in a conv_lstm trace (C order)."""
    channels, height, width = trace.config["spatial_shape"]
    if not (0 <= channel < channels and 0 <= row < height and 0 <= column < width):
        raise ValueError(
            f"pixel ({channel}, {row}, {column}) is outside {channels} × {height} × {width}"
        )
    return (channel * height + row) * width + column
