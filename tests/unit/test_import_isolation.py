"""The library never imports streamlit: app/ calls lstm_viz, never the reverse. Every submodule
is imported (pkgutil), not just the package."""

import subprocess
import sys

EVERY_SUBMODULE = """
import importlib, pkgutil, sys
import lstm_viz
names = [m.name for m in pkgutil.walk_packages(lstm_viz.__path__, "lstm_viz.")
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
assert len(names) > 40, names
assert "streamlit" not in sys.modules, "a lstm_viz submodule imported streamlit"
"""


def test_no_lstm_viz_submodule_imports_streamlit():
    result = subprocess.run(
        [sys.executable, "-c", EVERY_SUBMODULE], capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr


def test_the_check_itself_can_fail():
    """Guard against a vacuous check: the same probe does see streamlit when it is imported."""
    code = "import streamlit, sys; assert 'streamlit' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
