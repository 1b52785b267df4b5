"""Train: pick a task and settings, watch the curves, keep the best checkpoint.

Layout only: the settings (app/components/train/settings.py) gather the user's choices into a
plain `Settings`; the run (app/components/train/run.py) builds it with
lstm_viz.training.build_run and trains inside this script's run, so any click (Stop, or any
other widget) interrupts it, and the Trainer has already saved the best checkpoint atomically.
"""

from __future__ import annotations

import streamlit as st

from app import state
from app.components.train.autoencoder import render_autoencoder_training
from app.components.train.models import render_models
from app.components.train.run import finish, render_outcome, train, wait_until_stopped
from app.components.train.seq2seq import render_seq2seq_training
from app.components.train.settings import (
    CELL_LABELS,
    Settings,
    render_model_settings,
    render_name,
    render_task_params,
    render_training_settings,
    render_user_data,
)
from lstm_viz.models.sequence import CELLS
from lstm_viz.tasks import TASKS
from lstm_viz.training.limits import TRAIN_LIMITS

K = state.TRAIN_PREFIX  # widget-key prefix of this page
DEFAULT_TASK = "dyck"  # small, and its hidden variable (depth) is easy to see

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
with st.form(f"{K}.form", border=True, enter_to_submit=False):  # Enter confirms a value
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

render_seq2seq_training()
render_autoencoder_training()
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
            "Choose a task and settings, then press **🏋️ Train**. A run stops at its time "
            "limit (under Training) even if its epochs are not done; it then keeps the best "
            "checkpoint so far and says the run is incomplete.",
            icon="👈",
        )
