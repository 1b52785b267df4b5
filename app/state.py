"""Session-state keys and their defaults, in one place.

Pages read the user's sidebar choices through `choices()`, never through widget keys.
"""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st

# What the shared sidebar returned on this run: {"model": str | None, "device": str}.
CHOICES = "choices"
# A model id a page asks the sidebar to select on the next run (e.g. after training).
SELECT_MODEL = "select_model"
# Models uploaded in this session (list[app.resources.ModelRef]); filled by the Upload page.
UPLOADED_MODELS = "uploaded_models"

# Widget keys of the shared sidebar.
MODEL_PICKER = "sidebar.model"
DEVICE_PICKER = "sidebar.device"

DEFAULTS: dict[str, Any] = {
    CHOICES: {"model": None, "device": "cpu"},
    SELECT_MODEL: None,
    UPLOADED_MODELS: [],
}


def init() -> None:
    """Give every session-state key its default, once per session."""
    for key, default in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = copy.deepcopy(default)


def choices() -> dict[str, Any]:
    """The sidebar's choices on this run: {"model": model id or None, "device": "cpu" | ...}."""
    return st.session_state.get(CHOICES, DEFAULTS[CHOICES])


# Explore: text a page hands to Explore (the Train page sets it after training); Explore shows
# it in its input box once per new value.
EXPLORE_INPUT = "explore.input"
# Explore's own keys (widgets are keyed "explore.<what>.<model id>").
EXPLORE_SEEN_INPUT = "explore.seen_input"  # the last EXPLORE_INPUT the page took over
EXPLORE_PREFIX = "explore"

# ---- Train page ---------------------------------------------------------------------------------
# The latest training run of this session, a plain dict (see app/views/train.py): its "status"
# is "running" while the script trains; a later run that still sees "running" was interrupted.
TRAIN_RUN = "train.run"
# A one-time message for the Train page's next run (e.g. "deleted dyck-lstm-0527").
TRAIN_NOTICE = "train.notice"

DEFAULTS.update({TRAIN_RUN: None, TRAIN_NOTICE: None})

# ---- Links between pages ------------------------------------------------------------------------
# The shareable link this session was opened with, parsed by app/links.py: {"page", "model",
# "text", "layer", "direction", "view", "unit", "step", "hide", "present"} (only those given).
LINK = "link"
# A unit a page hands to Explore (e.g. a click in Analyze): {"layer": int, "direction": int,
# "unit": int}; Explore selects it once per new value.
EXPLORE_UNIT = "explore.unit"

DEFAULTS.update({LINK: {}, EXPLORE_UNIT: None})
