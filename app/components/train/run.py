"""A training run on the Train page: built by lstm_viz.training.build_run, trained inside this
script's run (never a thread: any click, Stop included, interrupts it; the Trainer has already
saved the best checkpoint atomically, so the next run reports what was kept)."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st
import torch

from app import classroom, state
from app.catalogue import ModelRef
from app.components.emergence import render_emergence
from app.components.train.owners import may_change, owner_id
from app.components.train.progress import (
    LiveRun,
    format_duration,
    metric_direction,
    render_curves,
    render_progress,
)
from app.components.train.settings import CELL_LABELS, Settings
from app.resources import find_model, model_scales, probe_history
from app.text import code_span, escape_markdown
from lstm_viz.models.checkpoints import models_dir
from lstm_viz.models.names import reserve_free_name, reserve_name
from lstm_viz.quantities import format_metric, metric_label
from lstm_viz.training.run import Run, build_run
from lstm_viz.training.trainer import Callbacks

K = state.TRAIN_PREFIX  # widget-key prefix of this page
STOP_WAIT = 120.0  # seconds to wait for a stopped run's last validation and save


def explore_input(sample: str | torch.Tensor) -> str:
    """Explore's input box: the text itself, or the first feature's values, comma-separated."""
    if isinstance(sample, str):
        return sample
    return ", ".join(f"{v:.4g}" for v in sample[:, 0].tolist())


def train(settings: Settings, area) -> None:
    """Build, then train in this script run, drawing into ``area``; reruns when done. The name
    is held while training (lstm_viz.models.names): a default name that another session took
    meanwhile becomes the next free one."""
    try:
        run = build_run(
            settings.task,
            settings.params,
            settings.model,
            settings.training,
            name=settings.name,
            replace=settings.replace,
            free_name=settings.auto_name,
            limits=True,  # a shared server: refuse a run over lstm_viz.training.limits
        )
        if not settings.auto_name and run.path.exists() and not may_change(run.path):
            raise ValueError(
                f"the checkpoint {settings.name!r} was trained in another session: only that "
                "session can replace it; choose another name"
            )
        if settings.auto_name:  # two sessions may have been offered the same default name
            reservation = reserve_free_name(models_dir(), settings.name)
        else:
            reservation = reserve_name(models_dir(), settings.name, replace=settings.replace)
    except ValueError as error:
        message = f"**Nothing was trained.** {escape_markdown(capitalize(str(error)))}."
        area.error(message, icon="🚫")
        return
    run.path = reservation.path
    settings.name = run.path.name
    try:
        train_run(settings, area, run)
    finally:
        reservation.release()


def train_run(settings: Settings, area, run: Run) -> None:
    """Train ``run`` in this script run (its name reserved), drawing into ``area``."""
    task, model, notes = run.task, run.model, list(run.notes)
    record: dict[str, Any] = {
        "status": "running",
        "name": settings.name,
        "model_id": f"trained/{settings.name}",
        "task_title": task.title,
        "metric": task.metric,
        "unit": "tokens" if task.input_kind == "tokens" else "values",
        "sample": explore_input(task.sample()),
        "parameters": model.num_parameters(),
        "history": [],
        "progress": None,
        "max_seconds": run.config.max_seconds,  # s (None: no limit); the ETA stops there
        "notes": notes,
        "started": time.time(),
    }
    record["alive"] = True  # until this thread leaves train(), however it leaves
    st.session_state[state.TRAIN_RUN] = record
    with area:
        st.markdown(
            f"**Training** {CELL_LABELS[model.config.cell]} "
            f"({record['parameters']:,} parameters) on *{escape_markdown(task.title)}* "
            f"as {code_span(settings.name)}"
        )
        for note in notes:
            st.info(note, icon="ℹ️")
        st.button(
            "⏹ Stop",
            key=f"{K}.stop",
            help="Stop now and keep the best checkpoint so far.",
        )
        live = LiveRun(record, key=f"{K}.live")
    trainer = run.trainer(
        Callbacks(
            on_progress=live.on_progress,
            on_evaluation=live.on_evaluation,
            should_stop=lambda: record.get("cancel", False),
        ),
        info={"owner": owner_id()},
    )
    try:
        result = trainer.fit()
    except Exception as error:  # noqa: BLE001 - shown to the user; Stop is not an Exception
        record.update(status="failed", error=f"{type(error).__name__}: {error}", alive=False)
        finish(record)
        return
    finally:  # also when a click stops this run: Streamlit raises inside a callback's st call
        record["alive"] = False
    record.update(
        status="finished",
        stopped=result.stopped,
        best_metric=result.best_metric,
        steps=result.steps,
        seconds=result.seconds,
        tokens_per_second=result.tokens_per_second,
        saved=result.checkpoint is not None,
    )
    if record.get("progress"):  # the bar's last figures: the whole run's, as the message says
        record["progress"] = {
            **record["progress"],
            "tokens_per_second": result.tokens_per_second,
            "elapsed": result.seconds,
        }
    finish(record)


def wait_until_stopped(record: dict[str, Any], area) -> None:
    """Let an interrupted run's thread finish. With fastReruns, Streamlit starts the new run at
    once and the old thread stops only at its next st call: ask it to stop (``cancel``, which
    the Trainer polls every step; it validates and saves once more) and wait until it is gone,
    so the record read here is its last word."""
    record["cancel"] = True
    deadline = time.monotonic() + STOP_WAIT
    if record.get("alive"):
        with area, st.spinner("Stopping: keeping the best checkpoint so far…"):
            while record.get("alive") and time.monotonic() < deadline:
                time.sleep(0.05)


def finish(record: dict[str, Any]) -> None:
    """Ask the sidebar to select the new model, and rerun once so it does."""
    if record["status"] == "stopped":
        saved = [h for h in record["history"] if h["best"]]
        record["saved"] = bool(saved)
        record["best_metric"] = saved[-1]["val_metric"] if saved else None
        progress = record["progress"] or {}
        record["steps"] = progress.get("step", 0)
        record["seconds"] = progress.get("elapsed", 0.0)
    if record.get("saved"):
        state.hand_off(state.SELECT_MODEL, record["model_id"])
        state.hand_off(state.TRAIN_NAME_RESET, True)  # the next model gets a fresh default name
    st.rerun()


def render_outcome(record: dict[str, Any]) -> None:
    """What the last run left: a message, its final progress, its curves, and Open in Explore
    (only while the model is still there: deleted since, the page says so instead)."""
    metric, name = record["metric"], record["name"]
    if record.get("saved") and find_model(record["model_id"]) is None:
        st.info(
            f"The last run's model {code_span(name)} is no longer in the models folder "
            "(deleted): nothing to open.",
            icon="🗑️",
        )
        return
    best = best_text(record)
    took = f"{record.get('steps', 0):,} steps in {format_duration(record.get('seconds', 0))}"
    status = record["status"]
    if status == "failed":
        st.error(
            f"Training {code_span(name)} failed: {escape_markdown(record['error'])}", icon="💥"
        )
    elif status == "stopped" and not record.get("saved"):
        st.warning(
            f"Stopped after {took}, before the first validation: nothing was saved.",
            icon="⏹️",
        )
    elif status == "stopped":
        st.success(
            f"Stopped after {took}: the best checkpoint so far is kept as {code_span(name)}; "
            f"{best}.",
            icon="⏹️",
        )
    elif record.get("stopped") == "time":
        st.warning(time_limit_message(record, took, best), icon="⏱️")
    else:
        why = {
            "finished": "Finished",
            "early stopping": "Stopped early (no improvement)",
            "target reached": "Target reached",
        }.get(record.get("stopped"), "Finished")
        st.success(
            f"{why} after {took} ({record.get('tokens_per_second', 0):,.0f} "
            f"{record['unit']}/s): {code_span(name)} is saved and selected in the sidebar; {best}.",
            icon="✅",
        )
    for note in record.get("notes", []):
        st.info(note, icon="ℹ️")
    render_progress(record["progress"], record["unit"], key=f"{K}.last.progress", done=True)
    render_curves(record["history"], metric, key=f"{K}.last.curves")
    if record.get("saved"):
        render_training_history(name)
    if record.get("saved") and st.button(
        "Open in Explore 🔍",
        key=f"{K}.open",
        type="primary",
        help="Look inside the model, starting from a sample input of its task.",
    ):
        state.hand_off(state.SELECT_MODEL, record["model_id"])
        state.hand_off(state.EXPLORE_INPUT, record["sample"])
        classroom.switch_page("explore", model=record["model_id"], text=record["sample"])


def best_text(record: dict[str, Any]) -> str:
    """ "best validation accuracy **100.0%** (higher is better) at step 120; the last validation
    (step 150): 99.9%". The best and the last validation are different numbers (the training
    scrubber below opens on the last one): both are named when they read differently, each
    rounded down by format_metric, so an accuracy under 1 never shows as 100.0%."""
    metric = record["metric"]
    best = format_metric(metric, record.get("best_metric"))
    text = f"best validation {metric_label(metric)} **{best}** ({metric_direction(metric)})"
    history = record.get("history") or []
    kept = [h for h in history if h.get("best")]
    if kept and record.get("saved"):
        text += f" at step {kept[-1]['step']:,}"
    last = format_metric(metric, history[-1]["val_metric"]) if history else best
    if kept and last != best:
        text += f"; the last validation (step {history[-1]['step']:,}): {last}"
    return text


def time_limit_message(record: dict[str, Any], took: str, best: str) -> str:
    """What a run stopped by its time limit says: that it is incomplete, how far it got of the
    planned steps, and that the best checkpoint so far is kept (never a tick: issue 16)."""
    planned = (record.get("progress") or {}).get("total_steps")
    done = record.get("steps", 0)
    percent = round(100 * done / planned) if planned else 0
    if planned and done < planned:  # 996 of 1,000 is 99%, never a complete-looking 100%
        percent = min(percent, 99)
    share = f" of {planned:,} planned ({percent}%)" if planned else ""
    kept = (
        f"the best checkpoint so far is kept as {code_span(record['name'])}; {best}"
        if record.get("saved")
        else "nothing was saved"
    )
    return (
        f"Time limit reached: training is **incomplete**, stopped after {took}{share}; {kept}. "
        "Raise the time limit (0: none) or lower the epochs to finish the run."
    )


def render_training_history(name: str) -> None:
    """The scrubber over the run's evaluations (its probe.npz), when the folder has one."""
    try:
        history = probe_history(str(models_dir() / name))
    except ValueError as error:
        st.caption(f"No training history to show: {escape_markdown(error)}")
        return
    if history is not None:
        with st.container(border=True):
            ref = ModelRef("trained", name, str(models_dir() / name))
            render_emergence(history, key=f"{K}.emergence", scales=model_scales(ref))


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
