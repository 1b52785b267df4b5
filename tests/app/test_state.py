"""The one hand-off helper: a value left for another page is taken once."""

import pytest
from streamlit.testing.v1 import AppTest

from app import state


def hand_off_script():
    import streamlit as st

    from app import state

    state.init()
    if st.button("hand", key="hand"):
        state.hand_off(state.EXPLORE_UNIT, {"layer": 0, "direction": 0, "unit": 3})
    st.session_state["taken"] = [*st.session_state.get("taken", []), state.take(state.EXPLORE_UNIT)]


def test_a_hand_off_is_taken_once():
    at = AppTest.from_function(hand_off_script, default_timeout=30).run()
    assert at.session_state["taken"] == [None]
    at.button(key="hand").click().run()
    at.run()
    assert at.session_state["taken"] == [None, {"layer": 0, "direction": 0, "unit": 3}, None]
    assert at.session_state[state.EXPLORE_UNIT] is None


def test_only_hand_off_keys_are_mailboxes():
    with pytest.raises(KeyError, match="not a hand-off key"):
        state.hand_off(state.TRAIN_RUN, {})
    with pytest.raises(KeyError, match="not a hand-off key"):
        state.take("sidebar.model")
    assert set(state.HAND_OFFS) <= set(state.DEFAULTS)  # each starts empty (None)
