"""The library never imports streamlit: app/ calls lstm_viz, never the reverse."""

import subprocess
import sys


def test_import_lstm_viz_does_not_import_streamlit():
    code = (
        "import lstm_viz, sys; assert 'streamlit' not in sys.modules, 'lstm_viz imported streamlit'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_the_check_itself_can_fail():
    """Guard against a vacuous check: the same probe does see streamlit when it is imported."""
    code = "import streamlit, sys; assert 'streamlit' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
