"""Session-state keys and their defaults, in one place.

Pages read the user's sidebar choices through `choices()`, never through widget keys.
"""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st

# What the shared sidebar returned on this run: {"model": str | None, "device": str}.
CHOICES = "choices"
# Models trained in this session (list[app.resources.ModelRef]); filled by the Train page.
TRAINED_MODELS = "trained_models"
# Models uploaded in this session (list[app.resources.ModelRef]); filled by the Upload page.
UPLOADED_MODELS = "uploaded_models"

# Widget keys of the shared sidebar.
MODEL_PICKER = "sidebar.model"
DEVICE_PICKER = "sidebar.device"

DEFAULTS: dict[str, Any] = {
    CHOICES: {"model": None, "device": "cpu"},
    TRAINED_MODELS: [],
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
