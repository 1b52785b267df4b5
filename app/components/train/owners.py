"""Who may delete or replace a trained model: the session that trained it (its owner id is in
the model's config.json), or any session when the teacher set LSTM_VIZ_ALLOW_DELETE_OTHERS=1."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import streamlit as st

from app import state
from lstm_viz.models.checkpoints import read_config
from lstm_viz.models.names import owned_by

ALLOW_DELETE_OTHERS = "LSTM_VIZ_ALLOW_DELETE_OTHERS"  # "1": any session may delete any model
NOT_YOURS = (
    "Only the session that trained this model can delete it (the teacher can allow deleting "
    f"any model by starting the app with {ALLOW_DELETE_OTHERS}=1)."
)


def owner_id() -> str:
    """This session's owner id (random, made once per session): models trained here carry it."""
    if state.TRAIN_OWNER not in st.session_state:
        st.session_state[state.TRAIN_OWNER] = uuid.uuid4().hex
    return st.session_state[state.TRAIN_OWNER]


def others_may_delete() -> bool:
    """True when the teacher set LSTM_VIZ_ALLOW_DELETE_OTHERS=1 (any session deletes any model)."""
    return os.environ.get(ALLOW_DELETE_OTHERS, "").strip() == "1"


def may_change(path: str | Path) -> bool:
    """True when this session may delete or replace the model at ``path``: it trained it, or
    the teacher allows deleting others' models. A folder that cannot be read: False."""
    if others_may_delete():
        return True
    try:
        return owned_by(read_config(path), owner_id())
    except ValueError:
        return False
