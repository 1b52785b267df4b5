"""The app's house rules, checked on its source: caches in one home, no private names imported
across modules, no file over 400 lines, every session-state key named in app/state.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
FILES = sorted(APP.rglob("*.py"))
CACHE_HOMES = {APP / "resources", APP / "corpora"}  # packages: a module per area


def test_every_cache_lives_in_resources_or_corpora():
    outside = [
        f"{path.relative_to(APP)}:{n}"
        for path in FILES
        if path.parent not in CACHE_HOMES
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"st\.cache_(data|resource)", line)
    ]
    assert not outside, outside


def test_no_private_name_is_imported_from_another_app_module():
    found = []
    for path in FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
                found += [
                    f"{path.relative_to(APP)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
    assert not found, found


def test_no_app_file_is_over_400_lines():
    long = {
        str(p.relative_to(APP)): n for p in FILES if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long, long


def test_session_state_keys_are_not_string_literals_outside_state():
    """Pages and components name keys through app.state (or a widget-key prefix), never as a
    bare string literal in st.session_state[...]."""
    literal = re.compile(r"session_state(\.get|\.pop|\.setdefault)?[\[(]\s*[\"']")
    found = [
        f"{path.relative_to(APP)}:{n}"
        for path in FILES
        if path.name != "state.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert not found, found
