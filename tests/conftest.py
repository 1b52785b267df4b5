"""Shared fixtures. Run pytest from the repository root (AppTest reads .streamlit/ from there)."""

import sys

import pytest


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """st.cache_* outlive an AppTest instance; start every test from empty caches.

    Streamlit is imported only by tests that use it; library tests stay free of it.
    """
    yield
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
