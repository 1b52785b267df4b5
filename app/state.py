"""Every session-state key of the app, their defaults, and the one hand-off helper.

Pages read the user's sidebar choices through `choices()`, never through widget keys. One page
hands a value to another (or to the sidebar) with `hand_off(key, value)`; the receiver takes it
once with `take(key)`. Widget keys are built from the page prefixes below
("<prefix>.<what>[.<model id>]").
"""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st

# ---- the sidebar --------------------------------------------------------------------------------
# What the shared sidebar returned on this run: {"model": str | None, "device": str}.
CHOICES = "choices"
# Models uploaded in this session (list[app.resources.ModelRef]); filled by the Upload page.
UPLOADED_MODELS = "uploaded_models"
MODEL_PICKER = "sidebar.model"  # widget keys of the shared sidebar
DEVICE_PICKER = "sidebar.device"
SIDEBAR_UNREADABLE = "sidebar.unreadable"  # the expander listing unreadable model folders

# ---- hand-offs: a value one run leaves for a later one, taken once (see hand_off/take) --------
SELECT_MODEL = "select_model"  # a model id for the sidebar to select (e.g. after training)
EXPLORE_INPUT = "explore.input"  # text for Explore's input box (Train, Learn, Upload, a link)
# A unit for Explore to show (e.g. a click in Analyze): {"layer": int, "direction": int,
# "unit": int}.
EXPLORE_UNIT = "explore.unit"
# A step and channel for Explore's frame-model view (Learn's moving-shapes stop): {"step": int,
# "channel": int}.
EXPLORE_FRAME = "explore.frame"
TRAIN_NOTICE = "train.notice"  # a message for the Train page's next run ("Deleted dyck-...")
TRAIN_NAME_RESET = "train.name.reset"  # True: the name box takes a fresh default (after a save)
LINK_NOTICE = "classroom.notice"  # a message about the session's link (its model is missing)
# What the session's link asked for that cannot be shown: [(key, value as given)] (links.dropped)
LINK_DROPPED = "classroom.dropped"
HAND_OFFS = (
    SELECT_MODEL,
    EXPLORE_INPUT,
    EXPLORE_UNIT,
    EXPLORE_FRAME,
    TRAIN_NOTICE,
    TRAIN_NAME_RESET,
    LINK_NOTICE,
    LINK_DROPPED,
)

# ---- links between pages (app/classroom.py, app/links.py) ---------------------------------------
# The shareable link this session was opened with, parsed by app/links.py: {"page", "model",
# "text", "layer", "direction", "view", "unit", "step", "hide", "present"} (only those given).
LINK = "link"
LINK_READ = "classroom.link_read"  # True once this session has read its query parameters
PAGE_OPENED = "classroom.page_opened"  # True once the linked page was switched to

# ---- Explore (widgets are keyed "explore.<what>.<model id>") ------------------------------------
EXPLORE_PREFIX = "explore"
EXPLORE_LINK_APPLIED = "explore.link_applied"  # the LINK value already applied
EXPLORE_LINK_MODEL_ASKED = "explore.link_model_asked"  # the link's model asked of the sidebar
EXPLORE_CSV_ERROR = "explore.csv_error"  # why the CSV just uploaded cannot be read
PLAY_DELAY = "explore.play_delay"  # seconds per step while playing; tests set 0
HINTS_HIDDEN = "explore.hints_hidden"  # True once the first-visit hints were dismissed

# ---- Analyze ------------------------------------------------------------------------------------
ANALYZE_PREFIX = "analyze"

# ---- Learn --------------------------------------------------------------------------------------
LEARN_SECTION = "learn.section"
LEARN_TOUR = "learn.tour.which"
LEARN_VIEW_OPENED = "learn.view_opened"  # True once a link's view= was opened

# ---- Train --------------------------------------------------------------------------------------
TRAIN_PREFIX = "train"
# The latest training run of this session, a plain dict (see app/components/train/run.py): its
# "status" is "running" while the script trains; a later run that still sees "running" was
# interrupted.
TRAIN_RUN = "train.run"
TRAIN_SEQ2SEQ_DONE = "train.seq2seq.done"  # what the last encoder-decoder training saved
TRAIN_OWNER = "train.owner"  # this session's owner id, stored in the config.json of what it trains

# ---- Upload -------------------------------------------------------------------------------------
UPLOAD_PREFIX = "upload"
UPLOAD_IMPORTED = "upload.imported"  # {"digest", "name", "file" (ImportedFile) or "error" (str)}
UPLOAD_AUTOENCODER = "upload.autoencoder.read"  # {"digest", "name", "model" or "error" (str)}
UPLOAD_CONV = "upload.conv"  # a ConvLSTM2D file's recording: {"wanted", "result" or "error"}
UPLOAD_RECORDING = "upload.recording"  # {"key", "result" (prepared, trace, checks) or "error"}
UPLOAD_FOLDER = "upload.folder"  # this session's UploadFolder (removed with the session's state)

# ---- recordings made elsewhere (an LSTMVis project, a corpus store), opened in Explore/Analyze --
# The one this session looks at instead of the sidebar's model, or None:
# {"kind": "lstmvis" | "store", "name": str, "path": str, "origin": "upload" | "server"}.
OPENED = "opened.recording"
OPENED_PREFIX = "opened"  # widget keys "opened.<what>"
OPENED_ERROR = "opened.error"  # why the last zip or folder could not be opened (one line)

DEFAULTS: dict[str, Any] = {
    CHOICES: {"model": None, "device": "cpu"},
    UPLOADED_MODELS: [],
    LINK: {},
    TRAIN_RUN: None,
    OPENED: None,
    **{key: None for key in HAND_OFFS},
}


def init() -> None:
    """Give every session-state key its default, once per session."""
    for key, default in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = copy.deepcopy(default)


def choices() -> dict[str, Any]:
    """The sidebar's choices on this run: {"model": model id or None, "device": "cpu" | ...}."""
    return st.session_state.get(CHOICES, DEFAULTS[CHOICES])


def hand_off(key: str, value: Any) -> None:
    """Leave ``value`` under ``key`` (one of HAND_OFFS) for whoever takes it next."""
    if key not in HAND_OFFS:
        raise KeyError(f"{key!r} is not a hand-off key (see app.state.HAND_OFFS)")
    st.session_state[key] = value


def take(key: str) -> Any:
    """The value handed off under ``key``, once: later calls return None until the next
    hand-off."""
    if key not in HAND_OFFS:
        raise KeyError(f"{key!r} is not a hand-off key (see app.state.HAND_OFFS)")
    value = st.session_state.get(key)
    st.session_state[key] = None
    return value
