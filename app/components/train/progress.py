"""Training widgets: a live progress bar, and loss and metric curves.

Every render_* helper takes a ``key`` and prefixes its widget keys with it (STYLE.md). Training
runs in the script's own run (never a thread): `LiveRun` holds the placeholders that the
Trainer's callbacks redraw, and writes what it sees into a plain dict kept in session state, so a
later run (after Stop) can still show it.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lstm_viz.quantities import metric_label
from lstm_viz.training import Evaluation, Progress
from lstm_viz.training.trainer import LOWER_IS_BETTER

PROGRESS_INTERVAL = 0.15  # seconds between progress-bar redraws (about 7 per second)


def metric_direction(metric: str) -> str:
    return "lower is better" if metric in LOWER_IS_BETTER else "higher is better"


def format_duration(seconds: float) -> str:
    """0:07, 1:05, 1:02:03."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1000 or unit == "MB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} MB"


def progress_text(
    progress: dict[str, Any], unit: str, *, done: bool = False, limit: float | None = None
) -> str:
    """ "step 120/600 · loss 0.41 · 52,000 tokens/s · ETA 0:12" from a progress record;
    a run that is over shows its elapsed time instead of the ETA. ``limit``: the run's time
    limit in seconds (None: none); the ETA never passes it: when the steps left would take
    longer, it is the time to the limit, and says the run stops there."""
    text = (
        f"step {progress['step']:,}/{progress['total_steps']:,} · "
        f"loss {progress['loss']:.3g} · "
        f"{progress['tokens_per_second']:,.0f} {unit}/s · "
    )
    if done:
        return text + f"took {format_duration(progress['elapsed'])}"
    if stops_at_limit(progress, limit):
        left = max(limit - progress["elapsed"], 0.0)
        return (
            text + f"ETA {format_duration(left)} (stops at the {format_duration(limit)} time limit)"
        )
    return text + f"ETA {format_duration(progress['eta_seconds'])}"


def stops_at_limit(progress: dict[str, Any], limit: float | None) -> bool:
    """True when the time limit (seconds; None: none) comes before the last step would."""
    return bool(limit) and progress["elapsed"] + progress["eta_seconds"] > limit


def shown_fraction(progress: dict[str, Any], limit: float | None) -> float:
    """How full the bar is: the share of steps done, or, when the time limit comes first, the
    share of the time limit spent (the bar then fills up when the run stops)."""
    if stops_at_limit(progress, limit):
        return min(max(progress["fraction"], progress["elapsed"] / limit), 1.0)
    return progress["fraction"]


def progress_record(progress: Progress) -> dict[str, Any]:
    """The plain dict a run keeps of a Progress (session state holds no library objects)."""
    return {
        "step": progress.step,
        "total_steps": progress.total_steps,
        "fraction": progress.fraction,
        "loss": progress.loss,
        "tokens_per_second": progress.tokens_per_second,
        "eta_seconds": progress.eta_seconds,
        "elapsed": progress.elapsed,
    }


def render_progress(
    progress: dict[str, Any] | None,
    unit: str,
    *,
    key: str,
    done: bool = False,
    limit: float | None = None,
) -> None:
    """A progress bar with step, loss, throughput and ETA (``done``: a run that is over;
    ``limit``: the run's time limit in seconds, which the ETA never passes)."""
    if progress is None:
        st.progress(0.0, text="Nothing trained yet." if done else "Starting…")
    elif done:
        st.progress(progress["fraction"], text=progress_text(progress, unit, done=True))
    else:
        fraction = shown_fraction(progress, limit)
        st.progress(fraction, text=progress_text(progress, unit, limit=limit))


def render_curves(history: list[dict[str, Any]], metric: str, *, key: str) -> None:
    """Two charts side by side: training and validation loss; the validation metric.

    history: Evaluation records as dicts (step, train_loss, val_loss, val_metric, best, ...).
    """
    label = metric_label(metric)
    left, right = st.columns(2)
    if not history:
        left.caption("The loss curves appear after the first validation.")
        return
    frame = pd.DataFrame(history)
    losses = frame.melt(
        id_vars="step",
        value_vars=["train_loss", "val_loss"],
        var_name="split",
        value_name="loss",
    )
    losses["split"] = losses["split"].map({"train_loss": "training", "val_loss": "validation"})
    points = len(frame) <= 30
    loss_chart = (
        alt.Chart(losses, title="Loss")
        .mark_line(point=points)
        .encode(
            x=alt.X("step:Q", title="training step", axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "split:N",
                title=None,
                scale=alt.Scale(domain=["training", "validation"], range=["#1f77b4", "#ff7f0e"]),
                legend=alt.Legend(orient="right"),
            ),
            tooltip=["step:Q", "split:N", alt.Tooltip("loss:Q", format=".4f")],
        )
        .properties(height=260)
    )
    metric_frame = frame[["step", "val_metric", "best"]].rename(columns={"val_metric": "value"})
    axis = alt.Axis(format=".1~%") if metric == "accuracy" else alt.Axis()
    metric_chart = (
        alt.Chart(metric_frame, title=f"Validation {label} ({metric_direction(metric)})")
        .mark_line(point=points, color="#2ca02c")
        .encode(
            x=alt.X("step:Q", title="training step", axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("value:Q", title=label, axis=axis, scale=alt.Scale(zero=False)),
            tooltip=["step:Q", alt.Tooltip("value:Q", title=label, format=".4f"), "best:N"],
        )
        .properties(height=260)
    )
    # One key per redraw: a run redraws the same chart once per validation.
    with left:
        st.altair_chart(loss_chart, width="stretch", key=f"{key}.loss.{len(history)}")
    with right:
        st.altair_chart(metric_chart, width="stretch", key=f"{key}.metric.{len(history)}")


class LiveRun:
    """The placeholders of one training run and the Trainer callbacks that redraw them.

    ``record`` is the run's dict in session state: its "progress" and "history" are updated
    before anything is drawn, so an interrupted run (Stop) leaves a consistent record behind.
    """

    def __init__(self, record: dict[str, Any], *, key: str) -> None:
        self.record = record
        self.key = key
        self.bar = st.empty()
        self.curves = st.empty()
        self._last_drawn = 0.0
        with self.bar.container():
            render_progress(None, record["unit"], key=f"{key}.progress")
        with self.curves.container():
            render_curves([], record["metric"], key=f"{key}.curves")

    def on_progress(self, progress: Progress) -> None:
        self.record["progress"] = progress_record(progress)
        now = time.monotonic()
        if now - self._last_drawn < PROGRESS_INTERVAL and progress.step < progress.total_steps:
            return
        self._last_drawn = now
        shown, limit = self.record["progress"], self.record.get("max_seconds")
        text = progress_text(shown, self.unit, limit=limit)
        self.bar.progress(shown_fraction(shown, limit), text=text)

    def on_evaluation(self, evaluation: Evaluation) -> None:
        self.record["history"].append(asdict(evaluation))
        with self.curves.container():
            render_curves(self.record["history"], self.record["metric"], key=f"{self.key}.curves")

    @property
    def unit(self) -> str:
        return self.record["unit"]


# ---- trained models ----------------------------------------------------------------------------
