"""Train: pick a task and settings, watch the curves, keep the best checkpoint.

The page gathers the user's choices into a plain dict (`Settings`), the library does the work
(`make_task`, `SequenceModel`, `Trainer`). Training runs inside this script's run, never in a
thread: any click (the Stop button, or any other widget) interrupts it, and the Trainer has
already saved the best checkpoint atomically, so the next run reports what was kept.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
import torch

from app import state
from app.components.training import (
    LiveRun,
    format_duration,
    format_metric,
    may_change,
    metric_direction,
    metric_label,
    owner_id,
    render_curves,
    render_model_actions,
    render_model_table,
    render_progress,
    render_unreadable,
)
from app.resources import list_trained_models, list_unreadable_models
from app.text import code_span, escape_markdown
from lstm_viz.models import CELLS, SequenceModel
from lstm_viz.models.checkpoints import models_dir
from lstm_viz.models.names import in_use, reserve_free_name, reserve_name
from lstm_viz.tasks import (
    MAX_CSV_CHARS,
    MAX_TEXT_CHARS,
    MIN_CSV_ROWS,
    MIN_TEXT_CHARS,
    TASKS,
    make_task,
)
from lstm_viz.training import Callbacks, TrainConfig, Trainer, model_config_for
from lstm_viz.training.limits import TRAIN_LIMITS, check_training_size, longest_sequence

K = "train"  # widget-key prefix of this page
STOP_WAIT = 120.0  # seconds to wait for a stopped run's last validation and save
NAME_RESET = f"{K}.name.reset"  # set after a model is saved: the name box takes a free default
DEFAULT_TASK = "dyck"  # trains in seconds, and its hidden variable (depth) is easy to see
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
CELL_LABELS = {
    "lstm": "LSTM",
    "peephole_lstm": "Peephole LSTM",
    "gru": "GRU",
    "rnn_tanh": "Vanilla RNN (tanh)",
    "rnn_relu": "Vanilla RNN (ReLU)",
}
# Task parameters the page renders itself (user data), or takes from the training settings.
SPECIAL = {"text", "data", "column", "seed"}
PARAM_LABELS = {
    "seq_len": "Sequence length",
    "max_vocab": "Vocabulary size (max)",
    "max_chars": "Corpus size (characters)",
    "train_size": "Training examples",
    "validation_size": "Validation examples",
    "types": "Bracket types",
    "max_depth": "Maximum depth",
    "min_length": "Minimum length",
    "max_length": "Maximum length",
    "length": "Length",
    "components": "Sine components",
    "noise": "Noise (std)",
    "min_period": "Minimum period",
    "max_period": "Maximum period",
    "window": "Window (rows)",
    "stride": "Stride (rows)",
    "validation_fraction": "Validation fraction",
    "symbols": "Symbols",
    "min_delay": "Minimum delay",
    "max_delay": "Maximum delay",
}


@dataclass
class Settings:
    """Everything the user chose, as plain values: the one seam between widgets and work."""

    task: str
    params: dict[str, Any]  # task parameters (user text or CSV data included)
    model: dict[str, Any]  # ModelConfig settings
    training: dict[str, Any]  # TrainConfig fields
    name: str
    replace: bool  # the user confirmed replacing an existing checkpoint of that name
    auto_name: bool = False  # the name is the page's default: take the next free one if taken


# ---- building the run (ValueError on any bad input; nothing touches the disk) ------------------
def check_name(name: str, replace: bool, auto: bool = False) -> None:
    if not NAME.fullmatch(name):
        raise ValueError(
            f"the checkpoint name {name!r} is not allowed: use 1 to 64 letters, digits, "
            "'-' and '_', starting with a letter or digit"
        )
    if auto:  # a default name: train() takes the next free one if it is taken
        return
    if (models_dir() / name).exists() and not replace:
        raise ValueError(
            f"a checkpoint named {name!r} already exists: tick “Replace it” to overwrite it, "
            "or choose another name"
        )
    if (models_dir() / name).exists() and not may_change(models_dir() / name):
        raise ValueError(
            f"the checkpoint {name!r} was trained in another session: only that session can "
            "replace it; choose another name"
        )


def prepare(settings: Settings) -> tuple[Any, SequenceModel, TrainConfig, list[str]]:
    """(task, model, train config, notes): every check runs before anything is written."""
    check_name(settings.name, settings.replace, settings.auto_name)
    config = TrainConfig(**settings.training)
    task = make_task(settings.task, **settings.params)
    notes = []
    model_settings = dict(settings.model)
    if model_settings.get("bidirectional") and task.objective == "next_token":
        model_settings["bidirectional"] = False
        notes.append(
            "Bidirectional was ignored: a next-character model that reads ahead would see the "
            "answer."
        )
    model_config = model_config_for(task, **model_settings)
    check_training_size(model_config, config.batch_size, longest_sequence(task, config.batch_size))
    model = SequenceModel(model_config)  # allocated only now, within the limits
    return task, model, config, notes


def explore_input(sample: str | torch.Tensor) -> str:
    """Explore's input box: the text itself, or the first feature's values, comma-separated."""
    if isinstance(sample, str):
        return sample
    return ", ".join(f"{v:.4g}" for v in sample[:, 0].tolist())


def default_name(task: str, cell: str) -> str:
    """ "dyck-lstm-0527", or the first free "dyck-lstm-0527-2", ... in the models folder."""
    base = f"{task}-{cell.replace('_', '-')}-{time.strftime('%m%d')}"
    name, n = base, 1
    while in_use(models_dir(), name):
        n += 1
        name = f"{base}-{n}"
    return name


# ---- the run ------------------------------------------------------------------------------------
def train(settings: Settings, area) -> None:
    """Build, then train in this script run, drawing into ``area``; reruns when done."""
    try:
        task, model, config, notes = prepare(settings)
        if settings.auto_name:  # two sessions may have been offered the same default name
            reservation = reserve_free_name(models_dir(), settings.name)
        else:
            reservation = reserve_name(models_dir(), settings.name, replace=settings.replace)
    except ValueError as error:
        message = f"**Nothing was trained.** {escape_markdown(capitalize(str(error)))}."
        area.error(message, icon="🚫")
        return
    try:
        _train(settings, area, task, model, config, notes, reservation.path)
    finally:
        reservation.release()


def _train(settings: Settings, area, task, model, config, notes, path) -> None:
    settings.name = path.name
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
    trainer = Trainer(
        model,
        task,
        config,
        Callbacks(
            on_progress=live.on_progress,
            on_evaluation=live.on_evaluation,
            should_stop=lambda: record.get("cancel", False),
        ),
        checkpoint_dir=path,
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
        st.session_state[state.SELECT_MODEL] = record["model_id"]
        st.session_state[NAME_RESET] = True  # the next model gets a fresh default name
    st.rerun()


def render_outcome(record: dict[str, Any]) -> None:
    """What the last run left: a message, its final progress, its curves, and Open in Explore."""
    metric, name = record["metric"], record["name"]
    best = (
        f"best validation {metric_label(metric)} "
        f"**{format_metric(metric, record.get('best_metric'))}** ({metric_direction(metric)})"
    )
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
    else:
        why = {
            "finished": "Finished",
            "early stopping": "Stopped early (no improvement)",
            "target reached": "Target reached",
            "time": "Time limit reached",
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
    if record.get("saved") and st.button(
        "Open in Explore 🔍",
        key=f"{K}.open",
        type="primary",
        help="Look inside the model, starting from a sample input of its task.",
    ):
        st.session_state[state.SELECT_MODEL] = record["model_id"]
        st.session_state[state.EXPLORE_INPUT] = record["sample"]
        st.switch_page("views/explore.py")


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---- inputs -------------------------------------------------------------------------------------
def csv_columns(data: str | bytes | None) -> list[str]:
    """The header of a CSV file, or [] when it has none that can be read (the task says why)."""
    if not data:
        return []
    try:
        source = io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data)
        return [str(c) for c in pd.read_csv(source, nrows=0).columns]
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return []


def render_user_data(task: str) -> dict[str, Any]:
    """The CSV file and its column, outside the form (the column list follows the file)."""
    if task != "csv":
        return {}
    upload, paste = st.columns(2)
    with upload:
        file = st.file_uploader(
            "CSV file",
            type=["csv", "txt"],
            key=f"{K}.csv.file",
            help=f"A header row, then one row per time step; at least {MIN_CSV_ROWS} rows, "
            f"at most {MAX_CSV_CHARS:,} characters.",
        )
    with paste:
        pasted = st.text_area(
            "…or paste CSV",
            key=f"{K}.csv.paste",
            height=110,
            placeholder="time,temperature\n0,12.5\n1,12.9\n…",
            help="Used when no file is uploaded.",
        )
    data = file.getvalue() if file is not None else pasted
    columns = csv_columns(data)
    column = st.selectbox(
        "Column to forecast",
        options=columns,
        index=None,
        key=f"{K}.csv.column",
        placeholder="Choose a numeric column" if columns else "Upload or paste a CSV first",
        help="Every cell of this column must be a number.",
    )
    return {"data": data, "column": column}


def number(label: str, key: str, default: Any, low: Any, high: Any, **kwargs: Any) -> Any:
    """An int or float input with the library's range (stated in the help)."""
    if isinstance(default, float) or isinstance(low, float):
        default, low, high = float(default), float(low), float(high)
        kwargs.setdefault("format", "%.3g" if high < 10 else "%.1f")
        kwargs.setdefault("step", 0.05 if high <= 1 else 0.1 if high <= 10 else 1.0)
    help_text = kwargs.pop("help", "")
    return st.number_input(
        label,
        min_value=low,
        max_value=high,
        value=default,
        key=key,
        help=f"{help_text} Allowed: {low:,} to {high:,}.".strip(),
        **kwargs,
    )


def render_task_params(task: str) -> dict[str, Any]:
    """The task's parameters from its spec (defaults, limits); user text for "text-user"."""
    spec = TASKS[task]
    params: dict[str, Any] = {}
    if task == "text-user":
        st.caption(
            f"Your text: {MIN_TEXT_CHARS:,} to {MAX_TEXT_CHARS:,} characters of plain UTF-8 "
            "text. An uploaded file is used instead of the box."
        )
        params["text"] = st.text_area(
            "Your text", key=f"{K}.text.paste", height=120, placeholder="Paste some text…"
        )
        file = st.file_uploader("…or a .txt file", type=["txt"], key=f"{K}.text.file")
        if file is not None:
            params["text"] = file.getvalue()
    names = [p for p in spec.defaults if p not in SPECIAL]
    columns = st.columns(2)
    for i, param in enumerate(names):
        low, high = spec.limits.get(param, (0, 10**9))
        with columns[i % 2]:
            params[param] = number(
                PARAM_LABELS.get(param, param.replace("_", " ").capitalize()),
                f"{K}.task.{task}.{param}",
                spec.defaults[param],
                low,
                high,
            )
    return params


def render_model_settings(cell: str) -> dict[str, Any]:
    a, b = st.columns(2)
    c, d = st.columns(2)
    with a:
        hidden = number("Hidden units", f"{K}.model.hidden_size", 32, 1, 4096, help="Per layer.")
    with b:
        layers = number("Layers", f"{K}.model.num_layers", 1, 1, 8)
    with c:
        embedding = number(
            "Input size",
            f"{K}.model.embedding_size",
            16,
            1,
            4096,
            help="Width of the embedding (tokens) or input projection (numbers).",
        )
    with d:
        dropout = number(
            "Dropout",
            f"{K}.model.dropout",
            0.0,
            0.0,
            0.9,
            help="Between layers, while training (needs 2+ layers).",
        )
    bidirectional = st.checkbox(
        "Bidirectional",
        key=f"{K}.model.bidirectional",
        help="Read each sequence both ways. Ignored for next-character tasks: reading ahead "
        "would see the answer.",
    )
    return {
        "cell": cell,
        "hidden_size": hidden,
        "num_layers": layers,
        "embedding_size": embedding,
        "dropout": dropout,
        "bidirectional": bidirectional,
    }


def render_training_settings() -> dict[str, Any]:
    a, b = st.columns(2)
    with a:
        epochs = number("Epochs", f"{K}.epochs", 5, 1, 10_000)
        evals = number(
            "Validations per epoch",
            f"{K}.evals_per_epoch",
            4,
            1,
            1000,
            help="More: finer curves and earlier stopping, a little slower.",
        )
        patience = number(
            "Patience",
            f"{K}.patience",
            5,
            0,
            1000,
            help="Stop after this many validations without improvement; 0 never stops early.",
        )
    with b:
        batch_size = number("Batch size", f"{K}.batch_size", 32, 1, 4096)
        learning_rate = number(
            "Learning rate", f"{K}.learning_rate", 0.003, 0.00001, 1.0, step=0.001, format="%.4f"
        )
        max_seconds = number(
            "Time limit (s)", f"{K}.max_seconds", 120, 0, 86_400, help="0: no limit."
        )
        seed = number("Seed", f"{K}.seed", 0, 0, 2**31 - 1, help="For the data and the weights.")
    return {
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "evals_per_epoch": evals,
        "patience": patience,
        "max_seconds": max_seconds or None,
        "seed": seed,
        "device": state.choices()["device"],
    }


def render_name(task: str, cell: str) -> tuple[str, bool]:
    """The checkpoint's name (a free default that follows task and cell until edited) and
    whether the user confirmed replacing an existing checkpoint of that name."""
    key, auto_key = f"{K}.name", f"{K}.name.auto"
    default = default_name(task, cell)
    reset = st.session_state.pop(NAME_RESET, False)
    if reset or st.session_state.get(key) in (None, st.session_state.get(auto_key)):
        st.session_state[key] = default
    st.session_state[auto_key] = default
    name = st.text_input(
        "Save as",
        key=key,
        max_chars=64,
        help="The checkpoint's folder name: letters, digits, '-' and '_'.",
    ).strip()
    replace = False
    exists = bool(NAME.fullmatch(name)) and (models_dir() / name).exists()
    if exists and not may_change(models_dir() / name):
        st.warning(f"A checkpoint named {code_span(name)} exists: choose another name.", icon="⚠️")
    elif exists:
        st.warning(
            f"A checkpoint named {code_span(name)} exists: training will replace it.", icon="⚠️"
        )
        replace = st.checkbox(
            f"Replace it: yes, overwrite {escape_markdown(name)}", key=f"{K}.replace"
        )
    return name, replace


def render_models() -> None:
    """The trained models: a table; download or delete the one chosen."""
    st.subheader("💾 Your models")
    st.caption(
        f"Stored in `{models_dir().resolve()}` (set the `LSTM_VIZ_MODELS_DIR` environment "
        "variable to use another folder). Each is a folder with model.safetensors, config.json "
        "and vocab.json: plain tensors and JSON, never pickle."
    )
    notice = st.session_state.get(state.TRAIN_NOTICE)
    if notice:
        st.success(notice, icon="🗑️")
        st.session_state[state.TRAIN_NOTICE] = None
    render_unreadable(
        [r for r in list_unreadable_models() if r.source == "trained"], key=f"{K}.bad"
    )
    models = list_trained_models()
    if not models:
        st.info("No trained models yet: train one above.", icon="🏋️")
        return
    render_model_table(models, key=f"{K}.models")
    by_name = {ref.name: ref for ref in models}
    chosen = st.selectbox("Model", options=list(by_name), key=f"{K}.models.pick")
    if chosen and render_model_actions(by_name[chosen], key=f"{K}.models"):
        st.session_state[state.TRAIN_NOTICE] = f"Deleted {escape_markdown(chosen)}."
        st.rerun()


# ---- the page -----------------------------------------------------------------------------------
st.title("🏋️ Train")
st.markdown(
    "Train a small recurrent model on a task whose hidden variable is known, on the device "
    "chosen in the sidebar, and watch it learn. The best checkpoint is saved at every "
    "improvement; ⏹ Stop keeps it."
)

pick_task, pick_cell, pick_name = st.columns([3, 2, 3])
with pick_task:
    task_name = st.selectbox(
        "Task",
        options=list(TASKS),
        index=list(TASKS).index(DEFAULT_TASK),
        format_func=lambda name: TASKS[name].title,
        key=f"{K}.task",
    )
with pick_cell:
    cell = st.selectbox("Cell", options=list(CELLS), format_func=CELL_LABELS.get, key=f"{K}.cell")
with pick_name:
    checkpoint_name, replace = render_name(task_name, cell)
st.caption(f"**{TASKS[task_name].title}:** {TASKS[task_name].description}")
user_data = render_user_data(task_name)
with st.form(f"{K}.form", border=True):
    task_column, model_column, training_column = st.columns(3, gap="large")
    with task_column:
        st.markdown("**Task**")
        task_params = render_task_params(task_name)
    with model_column:
        st.markdown("**Model**")
        model_settings = render_model_settings(cell)
        st.caption(f"Limits: {TRAIN_LIMITS}; checked before the model is built.")
    with training_column:
        st.markdown("**Training**")
        training_settings = render_training_settings()
    submitted = st.form_submit_button("🏋️ Train", type="primary", key=f"{K}.submit")

run_area = st.container()

last = st.session_state.get(state.TRAIN_RUN)
if last and last["status"] == "running":  # the run that trained it was interrupted (Stop)
    wait_until_stopped(last, run_area)
    last["status"] = "stopped"
    if not submitted:
        finish(last)  # reruns, so the sidebar shows the kept checkpoint

st.divider()
render_models()  # before training starts: the list stays on screen while it runs

if submitted:
    settings = Settings(
        task=task_name,
        params={**task_params, **user_data, "seed": training_settings["seed"]},
        model=model_settings,
        training=training_settings,
        name=checkpoint_name,
        replace=replace,
        auto_name=checkpoint_name == st.session_state.get(f"{K}.name.auto"),
    )
    train(settings, run_area)
elif last:
    with run_area:
        render_outcome(last)
else:
    with run_area:
        st.info(
            "Choose a task and settings, then press **🏋️ Train**. The defaults train in "
            "seconds on a laptop CPU.",
            icon="👈",
        )
