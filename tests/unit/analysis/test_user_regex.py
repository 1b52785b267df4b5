"""User regexes run in a child process with a time limit: catastrophic patterns are stopped with
a message, invalid ones refused with a message, and other threads keep running meanwhile."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lstm_viz.analysis import PatternError, match_spans, regex_feature
from lstm_viz.analysis.user_regex import STARTUP_GRACE, TIMEOUT

CORPUS = "The cat sat on the mat. " * 2_000  # about the default corpus's size (48,000 chars)


def test_spans_are_merged_and_empty_matches_left_out():
    assert match_spans(r"\bthe\b", ["the cat the", "xthe"]) == [[(0, 3), (8, 11)], []]
    assert match_spans("a", ["aab a"]) == [[(0, 2), (4, 5)]]  # touching matches merged
    assert match_spans("x*", ["abc"]) == [[]]


def ticking(work):
    """(work's result or the PatternError it raised, seconds taken, ticks another thread made
    meanwhile: a thread sleeping 10 ms per tick, like another session's work)."""
    ticks = [0]
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0.01)

    thread = threading.Thread(target=ticker)
    thread.start()
    start = time.monotonic()
    try:
        result = work()
    except PatternError as caught:
        result = caught
    took = time.monotonic() - start
    stop.set()
    thread.join()
    return result, took, ticks[0]


def _run_with_ticker(pattern: str, text: str):
    """(error or None, seconds taken, ticks another thread made meanwhile)."""
    result, took, ticks = ticking(lambda: match_spans(pattern, [text]))
    return (result if isinstance(result, PatternError) else None), took, ticks


@pytest.mark.parametrize(
    "pattern, text",
    [("(a+)+$", "a" * 40 + "b"), ("(.|.)*#", CORPUS), ("(x*)*y", "x" * 5_000)],
)
def test_catastrophic_patterns_are_stopped_while_other_threads_run(pattern, text):
    error, took, ticks = _run_with_ticker(pattern, text)
    assert error is not None
    assert "took longer than 2 s" in str(error) and "simplify it" in str(error)
    assert took < 5.0
    assert took <= TIMEOUT + STARTUP_GRACE + 0.5
    # A thread sleeping 10 ms per tick makes about 100 ticks a second when it is not starved;
    # with re in this process it would make none while the pattern runs.
    assert ticks >= 0.5 * 100 * took, f"{ticks} ticks in {took:.2f} s: the other thread starved"


@pytest.mark.parametrize(
    "pattern, why",
    [
        ("x{99999999999}", "repetition number is too large"),
        ("(unclosed", "missing )"),
        ("*", "nothing to repeat"),
        ("(?P<a>x)(?P<a>y)", "redefinition"),
    ],
)
def test_invalid_patterns_get_one_line_and_no_traceback(pattern, why):
    with pytest.raises(PatternError, match="does not compile") as caught:
        match_spans(pattern, ["xyz"])
    assert why in str(caught.value)
    assert "\n" not in str(caught.value) and "Traceback" not in str(caught.value)


def test_huge_nested_repeats_compile_or_stop_in_time():
    start = time.monotonic()
    try:
        match_spans("((x{1000}){1000}){1000}", ["x" * 100])
    except PatternError:
        pass
    assert time.monotonic() - start < 5.0


def test_pattern_length_is_bounded():
    with pytest.raises(PatternError, match="at most"):
        match_spans("a" * 5_000, ["a"])


def test_regex_feature_uses_the_limit():
    tokens = [list("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab")]
    with pytest.raises(ValueError, match="took longer than 0.5 s"):
        regex_feature(tokens, "(a+)+$", timeout=0.5)
    flags = regex_feature([list("ab"), []], "b", steps=2)
    assert flags[0].tolist() == [0, 1]
    assert np.isnan(flags[1]).all()
