"""The Train page's trained-models manager: a table of the checkpoints, and download or
delete the one chosen."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app import state
from app.components.sidebar import unreadable_lines
from app.components.train.owners import (
    NOT_YOURS,
    local_address,
    local_note,
    may_change,
    others_may_delete,
    owns,
)
from app.components.train.progress import format_size
from app.resources import (
    ModelRef,
    list_autoencoders,
    list_trained_models,
    list_unreadable_models,
)
from app.text import escape_markdown
from lstm_viz.models.checkpoints import (
    checkpoint_zip,
    delete_checkpoint,
    models_dir,
    read_model_config,
)
from lstm_viz.quantities import format_metric, metric_label

K = state.TRAIN_PREFIX  # widget-key prefix of this page


def model_row(ref: ModelRef) -> dict[str, Any]:
    """What the models table shows of one model folder (from its config.json; nothing is
    loaded): a checkpoint, an encoder-decoder or an LSTM autoencoder."""
    path = Path(ref.path)
    try:
        config = read_model_config(path)  # a checkpoint's checked: every section has its type
    except ValueError:
        config = {}
    task = config.get("task") or {}
    model = config.get("model") or {}
    metric = task.get("metric") or ""
    best = (config.get("training") or {}).get("best_metric")
    layers = model.get("num_layers", 1)
    cell = (
        str(model.get("cell", "?")).replace("_", " ").upper().replace("PEEPHOLE LSTM", "Peephole")
    )
    created = config.get("created") or ""
    try:
        created = datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        pass
    try:
        size = format_size(sum(f.stat().st_size for f in path.iterdir() if f.is_file()))
    except OSError:
        size = "?"
    if ref.kind == "seq2seq":  # an encoder-decoder (config.json format lstm_viz.seq2seq)
        model = {"cell": "encoder-decoder", "num_layers": 1, "hidden_size": "—"}
        task = {"title": "Dates -> ISO dates"}
        metric = ""
    described = None
    if ref.kind == "autoencoder":  # an LSTM autoencoder (config.json format lstm_viz.autoencoder)
        mse = (config.get("metrics") or {}).get("validation_mse")
        described = (
            f"LSTM autoencoder · {model.get('hidden_size', '?')} units · windows of "
            f"{model.get('window', '?')} steps",
            f"reconstruction MSE {mse:.4g}" if isinstance(mse, (int, float)) else "—",
        )
    kind = f"{cell} · {layers} × {model.get('hidden_size', '?')}" + (
        " · bidirectional" if model.get("bidirectional") else ""
    )
    validation = f"{metric_label(metric)} {format_metric(metric, best)}" if metric else "—"
    if described:
        kind, validation = described
    return {
        "name": ref.name,
        "task": task.get("title", "?"),
        "model": kind,
        "validation": validation,
        "created": created,
        "size": size,
    }


def render_model_table(models: list[ModelRef], *, key: str) -> None:
    """One row per trained model: name, task, cell and size, best validation metric, date, size."""
    frame = pd.DataFrame([model_row(ref) for ref in models])
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key=f"{key}.table",
        column_config={
            "name": "Name",
            "task": "Task",
            "model": "Model (cell · layers × units)",
            "validation": "Best validation",
            "created": "Created",
            "size": "Size on disk",
        },
    )


def render_model_actions(ref: ModelRef, *, key: str) -> bool:
    """Download ``ref`` as one zip; delete it after an explicit confirmation.

    Only the session that trained a model may delete it, unless the teacher set
    LSTM_VIZ_ALLOW_DELETE_OTHERS=1 or the server listens only on this computer (owners.py).
    Returns True when the model was deleted on this run (the caller reruns to refresh lists).
    """
    allowed = may_change(ref.path)
    download, confirm, delete = st.columns([1, 1.3, 1], vertical_alignment="center")
    with download:
        st.download_button(
            "⬇️ Download (.zip)",
            data=lambda: checkpoint_zip(ref.path),
            file_name=f"{ref.name}.zip",
            mime="application/zip",
            key=f"{key}.download",
            on_click="ignore",  # no rerun: a download never interrupts anything
            help=(
                "The whole model folder in one zip: model.safetensors, config.json, and "
                "vocab.json and scales.json (its fixed colour ranges) when it has them."
            ),
        )
    with confirm:
        sure = st.checkbox(
            f"Yes, delete {escape_markdown(ref.name)}",
            key=f"{key}.confirm.{ref.name}",
            disabled=not allowed,
        )
    with delete:
        clicked = st.button(
            "🗑️ Delete",
            key=f"{key}.delete",
            disabled=not (sure and allowed),
            help="Tick the confirmation first. Deleting cannot be undone.",
        )
    if not allowed:
        st.caption(NOT_YOURS)
    elif local_address() and not others_may_delete() and not owns(ref.path):
        st.caption(local_note())
    if clicked and sure and may_change(ref.path):
        try:
            delete_checkpoint(ref.path)
        except (ValueError, OSError) as error:
            message = f"{escape_markdown(ref.name)} could not be deleted: {escape_markdown(error)}"
            st.error(message, icon="🚫")
            return False
        return True
    return False


def where_stored(folder: Path) -> str:
    """The models folder as every browser on the network may see it: relative to the folder the
    server was started in (`models/`), else only its name; never the server's absolute path
    (a user name, a home folder)."""
    folder = Path(folder).resolve()
    try:
        return f"`{folder.relative_to(Path.cwd().resolve()).as_posix()}/` (in the app's folder)"
    except ValueError:
        return f"a folder named `{folder.name}`"


def render_models() -> None:
    """The trained models: a table; download or delete the one chosen."""
    st.subheader("💾 Your models")
    st.caption(
        f"Stored on the server in {where_stored(models_dir())} (set the `LSTM_VIZ_MODELS_DIR` "
        "environment variable to use another folder). Each is a folder with model.safetensors, "
        "config.json (and vocab.json for text): plain tensors and JSON, never pickle."
    )
    notice = state.take(state.TRAIN_NOTICE)
    if notice:
        st.success(notice, icon="🗑️")
    render_unreadable(
        [r for r in list_unreadable_models() if r.source == "trained"], key=f"{K}.bad"
    )
    autoencoders = [ref for ref in list_autoencoders() if ref.source == "trained"]
    models = [*list_trained_models(), *autoencoders]
    if not models:
        st.info("No trained models yet: train one above.", icon="🏋️")
        return
    render_model_table(models, key=f"{K}.models")
    by_name = {ref.name: ref for ref in models}
    chosen = st.selectbox("Model", options=list(by_name), key=f"{K}.models.pick")
    if chosen and render_model_actions(by_name[chosen], key=f"{K}.models"):
        state.hand_off(state.TRAIN_NOTICE, f"Deleted {escape_markdown(chosen)}.")
        st.rerun()


def render_unreadable(refs: list[ModelRef], *, key: str) -> None:
    """The models folder's unreadable folders, each with its reason (escaped), in an expander."""
    if refs:
        with st.expander(f"⚠️ {len(refs)} unreadable model folder(s)", key=key):
            st.markdown(unreadable_lines(refs))
