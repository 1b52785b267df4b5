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


def test_every_subpackage_imports_first():
    """A subpackage imported first, in a fresh process, imports (no import cycle that only the
    usual order hides: `import lstm_viz.tasks` once failed on a models <-> tasks cycle)."""
    import pkgutil

    import lstm_viz

    names = [m.name for m in pkgutil.iter_modules(lstm_viz.__path__, "lstm_viz.") if m.ispkg]
    code = "import importlib, sys; importlib.import_module(sys.argv[1])"
    failed = {}
    for name in names:
        result = subprocess.run(
            [sys.executable, "-c", code, name], capture_output=True, text=True, timeout=240
        )
        if result.returncode:
            failed[name] = result.stderr.strip().splitlines()[-1]
    assert len(names) >= 8 and not failed, failed
