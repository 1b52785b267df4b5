"""Who may delete or replace a trained model: the session that trained it (its owner id is in
the model's config.json), or any session when the teacher set LSTM_VIZ_ALLOW_DELETE_OTHERS=1, or
any session when the server listens only on a loopback address (then only this computer's user
reaches it: after a page reload their session is new, and their models must stay theirs).

Anything not clearly loopback counts as shared: an unset server.address binds every interface
(Streamlit's default, 0.0.0.0 or ::), and a hostname or Unix socket may be reachable by others.
The repository's .streamlit/config.toml sets 127.0.0.1; a classroom runs with
--server.address 0.0.0.0 (README, "Serving a classroom safely")."""

from __future__ import annotations

import ipaddress
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
LOOPBACK_NAMES = {"localhost"}  # names that always mean this computer (besides 127.x and ::1)


def local_address() -> str | None:
    """The server's address when it listens only on this computer (127.0.0.1, another 127.x,
    ::1 or localhost), else None: unset (every interface), 0.0.0.0, a LAN address, a hostname,
    a Unix socket."""
    address = str(st.get_option("server.address") or "").strip()
    if address.lower() in LOOPBACK_NAMES:
        return address
    try:
        loopback = ipaddress.ip_address(address.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return None
    return address if loopback else None


def local_note() -> str:
    """What the page says when it lets this session delete a model it did not train."""
    return (
        f"This server listens only on this computer ({local_address()}): only you can reach "
        "it, so you may delete any model here, after the same confirmation (served to others "
        f"with `--server.address 0.0.0.0`, only the session that trained a model may delete it)."
    )


def owner_id() -> str:
    """This session's owner id (random, made once per session): models trained here carry it."""
    if state.TRAIN_OWNER not in st.session_state:
        st.session_state[state.TRAIN_OWNER] = uuid.uuid4().hex
    return st.session_state[state.TRAIN_OWNER]


def others_may_delete() -> bool:
    """True when the teacher set LSTM_VIZ_ALLOW_DELETE_OTHERS=1 (any session deletes any model)."""
    return os.environ.get(ALLOW_DELETE_OTHERS, "").strip() == "1"


def owns(path: str | Path) -> bool:
    """True when this session trained the model at ``path``; a folder that cannot be read: False."""
    try:
        return owned_by(read_config(path), owner_id())
    except ValueError:
        return False


def may_change(path: str | Path) -> bool:
    """True when this session may delete or replace the model at ``path``: it trained it, the
    teacher allows deleting others' models, or the server listens only on this computer."""
    return others_may_delete() or local_address() is not None or owns(path)
