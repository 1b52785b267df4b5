"""AppTest: the unit finder stops catastrophic regexes and refuses invalid ones with a message,
no traceback, within 5 s each; while it waits, another thread of the server keeps running."""

from __future__ import annotations

import time

from tests.app.test_analyze_page import W, frames, open_analyze, save_dyck
from tests.unit.analysis.test_user_regex import ticking

CATASTROPHIC = ["(.|.|.)*#", "((.|.)*)*#"]  # exponential on the dyck corpus (40 short lines)
INVALID = ["x{99999999999}", "(oops", "*"]


def _set_regex(at, pattern: str):
    """(seconds the page took, ticks another thread of the server made meanwhile)."""
    _, took, ticks = ticking(
        lambda: at.text_input(key=f"{W}.finder.regex").set_value(pattern).run()
    )
    return took, ticks


def test_regex_limits_on_the_analyze_page():
    save_dyck()
    at = open_analyze("finder")
    assert not at.error
    for pattern in CATASTROPHIC:
        took, ticks = _set_regex(at, pattern)
        assert not at.exception, (pattern, at.exception)
        assert took < 5.0, (pattern, took)
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "took longer than 2 s" in errors[0], (pattern, errors)
        assert "simplify it" in errors[0] and "Traceback" not in errors[0]
        assert ticks >= 0.5 * 100 * 2.0, (pattern, ticks, took)  # the other thread ran
    # The refused pattern is remembered: a rerun says so again without running it for 2 s.
    start = time.monotonic()
    at.run()
    assert time.monotonic() - start < 1.5
    assert [e.value for e in at.error] and "took longer than 2 s" in at.error[0].value
    for pattern in INVALID:
        took, _ = _set_regex(at, pattern)
        assert not at.exception, (pattern, at.exception)
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "does not compile" in errors[0], (pattern, errors)
        assert took < 5.0
    # A good pattern afterwards works as before.
    _set_regex(at, r"\(\(")
    assert not at.exception and not at.error
    assert "regex" in frames(at)[0]["feature"].tolist()
