"""Explore for an LSTM autoencoder: where it fails to reconstruct, and its gates there.

The input is the generated ECG with one anomaly of each kind injected (seed and length chosen
here), or one numeric column of the user's CSV. One figure shows input and reconstruction, the
per-step error and threshold, and the encoder's and decoder's heatmaps on the same step axis;
picking a flagged step opens the cell there (encoder and decoder) in the step-through view.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from app.components.explore.export import plotly_config
from app.components.explore.step import render_step_through
from app.resources import (
    ModelRef,
    anomaly_run,
    cached_autoencoder,
    model_scales,
    model_version,
)
from app.text import escape_markdown
from lstm_viz.analysis.scales import scale_sentence
from lstm_viz.figures.series import anomaly_figure
from lstm_viz.quantities import QUANTITY_SYMBOLS, label

QUANTITIES = ("forget_gate", "input_gate", "output_gate", "candidate", "cell", "hidden")
MAX_SECONDS = 100  # of generated ECG (50 Hz): 5,000 steps


def flagged_runs(anomaly: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) step of each run of consecutive flagged steps."""
    steps = np.flatnonzero(anomaly)
    if not len(steps):
        return []
    breaks = np.flatnonzero(np.diff(steps) > 1)
    firsts = np.concatenate([[steps[0]], steps[breaks + 1]])
    lasts = np.concatenate([steps[breaks], [steps[-1]]])
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def shared_bound(scales, quantity: str) -> tuple[float | None, str]:
    """(the colour range both heatmaps share for ``quantity``: the larger of the encoder's and
    decoder's stored bounds, or None; the sentence saying where the colours come from)."""
    parts = [scales.part(p) for p in ("encoder", "decoder")] if scales is not None else []
    bounds = [b for part in parts if part is not None and (b := part.bound(quantity, 0))]
    if not bounds:
        return None, scale_sentence(quantity, 0, 0, None)
    measured = next(part for part in parts if part is not None)
    symbol = QUANTITY_SYMBOLS.get(quantity, quantity)
    return max(bounds), (
        f"Colours of {symbol} are fixed for this model: ±{max(bounds):.3g}, the larger of the "
        f"encoder's and decoder's {measured.quantile * 100:g}th percentile of |{symbol}| over "
        f"{measured.steps:,} steps of normal validation signal; larger values take the end colour."
    )


def render_anomaly_explore(ref: ModelRef, key: str) -> None:
    try:
        autoencoder = cached_autoencoder(ref.path, model_version(ref))
    except (ValueError, OSError) as error:
        st.error(f"**{escape_markdown(ref.name)}** cannot be read: {escape_markdown(error)}")
        st.stop()
    config, rule = autoencoder.model.config, autoencoder.anomaly
    st.caption(
        f"**{escape_markdown(ref.name)}** · LSTM autoencoder · windows of {config.window} steps · "
        f"encoder and decoder of {config.hidden_size} units · anomalous when the reconstruction "
        f"error is over {rule.get('threshold', float('nan')):.3g}"
    )
    source = st.radio(
        "Input",
        ["ecg", "csv"],
        format_func={"ecg": "Generated ECG, anomalies injected", "csv": "Your CSV column"}.get,
        horizontal=True,
        key=f"{key}.source",
    )
    csv_text, seed, steps = None, 0, 0
    if source == "ecg":
        left, right = st.columns(2)
        seed = int(left.number_input("Seed", 0, 10_000, 7, key=f"{key}.seed"))
        seconds = right.slider("Seconds (50 Hz)", 30, MAX_SECONDS, 30, key=f"{key}.seconds")
        steps = int(seconds * 50)
    else:
        upload = st.file_uploader("CSV with one numeric column", type=["csv"], key=f"{key}.csv")
        if upload is None:
            st.info("Upload a CSV file: a header, then one value per row.", icon="📄")
            return
        csv_text = upload.getvalue().decode("utf-8", errors="replace")
    try:
        run = anomaly_run(ref, seed, steps, csv_text)
    except ValueError as error:
        st.error(f"The autoencoder cannot read this input: {escape_markdown(error)}", icon="🚫")
        return
    scores, tiled = run.scores, run.tiled
    runs = flagged_runs(scores.anomaly)
    summary = (
        f"{int(scores.anomaly.sum())} of {len(scores.value):,} steps flagged, in {len(runs)} runs"
    )
    if run.events:
        hit = sum(bool(scores.anomaly[a:b].any()) for _, a, b in run.events)
        summary += f"; {hit} of {len(run.events)} injected anomalies found (shaded)"
    st.markdown(summary + ".")
    left, right = st.columns([1, 2])
    quantity = left.selectbox("Heatmaps show", QUANTITIES, format_func=label, key=f"{key}.quantity")
    options = [a for a, _ in runs] or [int(np.argmax(scores.error))]
    spans = run.events  # (kind, start, stop) of the injected anomalies
    selected = right.selectbox(
        "Anomalous step" if runs else "Largest error (nothing flagged)",
        options,
        format_func=lambda s: (
            f"step {s} (error {scores.error[s]:.3f})"
            + next((f", in the injected {k}" for k, a, b in spans if a <= s < b), "")
        ),
        key=f"{key}.selected",
    )
    grids = {"encoder": tiled.grid("encoder", quantity), "decoder": tiled.grid("decoder", quantity)}
    scales = model_scales(ref)  # scales.json: one part each for the encoder and the decoder
    bound, scale_note = shared_bound(scales, quantity)
    figure = anomaly_figure(
        scores.value,
        scores.reconstruction,
        scores.error,
        scores.anomaly,
        scores.threshold,
        grids,
        quantity,
        [(k, a, b) for k, a, b in run.events],
        selected,
        bound,
    )
    st.plotly_chart(figure, key=f"{key}.figure", config=plotly_config(f"{key}.figure"))
    st.caption(
        f"Scores: windows of {scores.window} steps every {scores.stride} steps; "
        + (
            "a step's error is the mean error of the windows covering it. "
            if rule.get("combine") == "mean"
            else "each step keeps the smallest error of the windows covering it. "
        )
        + "Heatmaps: windows laid end to end "
        f"(each starts afresh every {config.window} steps); the decoder's row is in input order "
        f"(it ran {tiled.recording.config['decoding_order']}). {scale_note}"
    )
    row, position = tiled.window_of(int(selected))
    st.subheader(f"The cell at step {selected}")
    part = st.radio("Network", ["encoder", "decoder"], horizontal=True, key=f"{key}.part")
    start = tiled.starts[row]
    labels = [f"{scores.value[start + i]:.3g} (step {start + i})" for i in range(config.window)]
    trace = replace(getattr(tiled.recording, part).select(batch=row), tokens=[labels])
    changes = np.abs(trace.cell[0, 0, 0, position].numpy())
    unit_key = f"{key}.unit"
    if st.session_state.get(f"{key}.for") != (selected, part):  # a new step: its busiest unit
        st.session_state[f"{key}.for"] = (selected, part)
        st.session_state[unit_key] = int(np.argmax(changes))
        st.session_state[f"{key}.{part}.step"] = position
    unit = int(
        st.number_input(
            "Unit",
            0,
            config.hidden_size - 1,
            key=unit_key,
            help="Default: the unit with the largest |cell| at this step.",
        )
    )
    st.caption(
        f"Window {row} (steps {tiled.starts[row]}-{tiled.starts[row] + config.window - 1}); "
        f"step {selected} is position {position} in it."
    )
    part_scales = scales.part(part) if scales is not None else None
    render_step_through(trace, 0, 0, unit, key=f"{key}.{part}", scales=part_scales)
