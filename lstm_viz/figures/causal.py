"""Figures for the causal analyses: the gate pre-activation split (stacked bars of a unit over
time) and state trajectories (PCA lines through the tokens). Plotly; no streamlit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from lstm_viz.analysis.attribution import METHOD_LABELS
from lstm_viz.analysis.preactivation import PreactivationSplit
from lstm_viz.analysis.trajectories import Trajectory
from lstm_viz.figures import layout
from lstm_viz.quantities import display_token, format_metric, label, metric_label, plotly_safe

TERM_COLOURS = {
    "input": "#1f77b4",
    "recurrent": "#ff7f0e",
    "bias": "#7f7f7f",
    "peephole": "#2ca02c",
}
TERM_WORDS = {
    "input": "input W·xₜ",
    "recurrent": "recurrent W·hₜ₋₁",
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


def _tick_labels(figure: go.Figure, tokens: Sequence[str] | None, steps: int, **where) -> None:
    if tokens:
        figure.update_xaxes(
            tickmode="array",
            tickvals=list(range(steps)),
            ticktext=[plotly_safe(display_token(t)) for t in tokens],
            **where,
        )


def attribution_figure(
    attribution,
    trace=None,
    quantity: str = "hidden",
    layer: int = 0,
    height: int = 460,
    bound: float | None = None,
) -> go.Figure:
    """Attribution per input step (bars, red positive, blue negative) above the recording's
    ``quantity`` heatmap of ``layer`` (unit 0 at the top, as in Explore's heatmaps; the same
    steps across), so a step that mattered lines up with what the units did there. ``trace``:
    a recording of the same input (batch 0), None for the bars alone; ``bound``: the model's
    fixed colour scale for an unbounded quantity (lstm_viz.analysis.scales), as Explore uses;
    None: this input's largest |value|."""
    from plotly.subplots import make_subplots

    from lstm_viz.figures.colours import colour_scale

    scores = np.asarray(attribution.scores, dtype=np.float64)
    steps = len(scores)
    tokens = attribution.tokens
    hover = _hover(tokens, steps)
    rows = 2 if trace is not None else 1
    figure = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.4, 0.6] if rows == 2 else [1.0],
    )
    figure.add_trace(
        go.Bar(
            x=np.arange(steps),
            y=scores,
            marker_color=np.where(scores >= 0, "#d62728", "#1f77b4").tolist(),
            name="attribution",
            customdata=hover,
            hovertemplate="%{customdata}<br>attribution: %{y:.4f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    if trace is not None:
        values = trace[quantity][layer, 0, 0, :steps].double().numpy().T  # [U, T]
        scale = colour_scale(quantity, values, bound)
        figure.add_trace(
            go.Heatmap(
                z=values,
                x=np.arange(steps),
                colorscale=scale["colorscale"],
                zmin=scale["zmin"],
                zmax=scale["zmax"],
                colorbar=dict(title=dict(text=scale["title"]), len=0.55, y=0.28),
                name=quantity,
                hovertemplate="step %{x} · unit %{y}<br>%{z:.3f}<extra></extra>",
            ),
            row=2,
            col=1,
        )
        figure.update_yaxes(
            title_text=f"unit ({label(quantity).split(' (')[0].lower()})",
            autorange="reversed",  # unit 0 at the top, as in Explore
            row=2,
        )
    figure.update_yaxes(title_text="attribution", zeroline=True, row=1)
    _tick_labels(figure, tokens, steps, row=rows, col=1)
    figure.update_layout(
        title=layout.title(
            "Which input steps made the output "
            f"({METHOD_LABELS.get(attribution.method, attribution.method).lower()})",
            "attribution per step, summed over the input's components"
            + (f" · below: {quantity} of layer {layer}" if trace is not None else ""),
        ),
        height=height,
        margin=dict(l=60, r=10, t=80, b=40),
        showlegend=False,
        meta={"figure": "attribution"},
    )
    return figure


def completeness_figure(attribution, height: int = 260) -> go.Figure:
    """Integrated gradients' completeness: the sum of the attributions beside
    output(input) - output(baseline) (the baseline: an all-zero input embedding), and the
    relative error between them in the title."""
    values = [attribution.total, attribution.expected]
    names = ["sum of attributions", "output(input) − output(baseline)"]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=["#d62728", "#7f7f7f"],
            text=[f"{v:+.4f}" for v in values],
            textposition="auto",
            hovertemplate="%{y}: %{x:.6f}<extra></extra>",
        )
    )
    figure.update_layout(
        title=layout.title(
            f"Completeness: error {attribution.completeness_error:.2%}",
            f"output(input) {attribution.output:+.4f}, output(baseline) "
            f"{attribution.baseline_output:+.4f}; baseline: all-zero input embedding",
        ),
        height=height,
        margin=dict(l=10, r=10, t=80, b=30),
        meta={"figure": "completeness"},
    )
    return figure


def patching_figure(result, layer: int = 0, height: int = 420) -> go.Figure:
    """Activation patching: effect of each (unit, step) of ``layer`` as a heatmap, units down,
    steps across (diverging, centred on 0: 1 restores the clean metric, 0 changes nothing)."""
    effects = result.effects[layer].T  # [U, T]
    steps = effects.shape[1]
    tokens = result.corrupt_tokens
    bound = float(np.nanmax(np.abs(effects))) if np.isfinite(effects).any() else 1.0
    bound = max(bound, 1e-9)
    clean = result.clean_tokens
    hover = [
        f"step {t}: clean {plotly_safe(display_token(clean[t]))} · corrupt "
        f"{plotly_safe(display_token(tokens[t]))}"
        if clean and tokens
        else f"step {t}"
        for t in range(steps)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=effects,
            x=np.arange(steps),
            colorscale="RdBu",
            reversescale=True,
            zmin=-bound,
            zmax=bound,
            zmid=0.0,
            colorbar=dict(title=dict(text="effect")),
            customdata=[hover] * effects.shape[0],
            hovertemplate="unit %{y} · %{customdata}<br>effect %{z:.3f}<extra></extra>",
        )
    )
    _tick_labels(figure, tokens, steps)
    figure.update_layout(
        title=layout.title(
            f"Activation patching: layer {layer}",
            "effect = (m(patched) − m(corrupt)) / (m(clean) − m(corrupt)); 1 restores the clean "
            f"output · m(clean) {result.clean_metric:+.3f}, "
            f"m(corrupt) {result.corrupt_metric:+.3f}",
        ),
        height=height,
        margin=dict(l=60, r=10, t=90, b=40),
        meta={"figure": "patching"},
    )
    figure.update_xaxes(title_text="step (corrupted input)")
    figure.update_yaxes(title_text="unit")
    return figure


def emergence_figure(
    history,
    index: int,
    unit: int,
    layer: int = 0,
    direction: int = 0,
    quantity: str = "hidden",
    height: int = 320,
) -> go.Figure:
    """One unit's ``quantity`` over the probe input after evaluation ``index`` (a ProbeHistory
    from lstm_viz.training.probe), with the first and last evaluations as thin reference lines:
    how the unit's behaviour emerged during training."""
    values = history.trace[quantity][layer, direction, :, :, unit].double().numpy()  # [E, T]
    steps = values.shape[1]
    tokens = history.trace.tokens[0] if history.trace.tokens else None
    hover = _hover(tokens, steps)
    x = np.arange(steps)
    count = len(history.steps)
    figure = go.Figure()
    for k, name, style in (
        (0, f"first evaluation (step {history.steps[0]:,})", dict(color="#bbbbbb", dash="dot")),
        (count - 1, f"last (step {history.steps[-1]:,})", dict(color="#7f7f7f", dash="dash")),
    ):
        figure.add_trace(
            go.Scatter(x=x, y=values[k], mode="lines", name=name, line=dict(width=1, **style))
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=values[index],
            mode="lines+markers",
            name=f"after step {history.steps[index]:,}",
            line=dict(color="#d62728", width=2.5),
            customdata=hover,
            hovertemplate="%{customdata}<br>%{y:.3f}<extra></extra>",
        )
    )
    _tick_labels(figure, tokens, steps)
    metric = (
        f" · validation {metric_label(history.metric)} "
        f"{format_metric(history.metric, history.metrics[index])}"
        if history.metrics
        else ""
    )
    figure.update_layout(
        title=layout.title(
            f"Unit {unit} after {history.steps[index]:,} training steps",
            f"{label(quantity).split(' (')[0].lower()} of layer {layer} on the probe input"
            + metric,
        ),
        height=height,
        margin=dict(l=50, r=10, t=80, b=40),
        legend=layout.top_legend(),
        meta={"figure": "emergence"},
    )
    figure.update_yaxes(title_text=label(quantity).split(" (")[0].lower())
    return figure
