"""The Train page's settings: the task's parameters (from its spec: defaults and limits), the
user's data, the model and the training, and the checkpoint's name. `Settings` gathers them as
plain values: the one seam between the widgets and the work (lstm_viz.training.build_run)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from app import state
from app.components.train.owners import may_change
from app.text import code_span, escape_markdown
from lstm_viz.models.checkpoints import models_dir
from lstm_viz.models.names import NAME
from lstm_viz.tasks import (
    MAX_CSV_CHARS,
    MAX_TEXT_CHARS,
    MIN_CSV_ROWS,
    MIN_TEXT_CHARS,
    TASKS,
    param_label,
)
from lstm_viz.training.run import checkpoint_name

K = state.TRAIN_PREFIX  # widget-key prefix of this page
CELL_LABELS = {
    "lstm": "LSTM",
    "peephole_lstm": "Peephole LSTM",
    "gru": "GRU",
    "rnn_tanh": "Vanilla RNN (tanh)",
    "rnn_relu": "Vanilla RNN (ReLU)",
}
SPECIAL = {"text", "data", "column", "seed"}


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
                param_label(param),
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
            help="More: finer curves and earlier stopping, a little slower. The validations "
            "are spread evenly over each epoch (the last one after its last batch); an epoch "
            "of fewer batches than this is validated after every batch.",
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
            "Learning rate", f"{K}.learning_rate", 0.003, 0.00001, 1.0, step=0.001, format="%g"
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
    default = checkpoint_name(task, cell)
    reset = state.take(state.TRAIN_NAME_RESET)
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
