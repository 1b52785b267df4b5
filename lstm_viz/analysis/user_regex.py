"""Running a regular expression someone typed, without letting it freeze the server.

Python's ``re`` has no time limit and holds the GIL while it matches: ``(a+)+$`` on 30
characters, or ``(.|.)*#`` on a corpus, stops every thread of the process for seconds to hours.
:func:`match_spans` therefore compiles and runs the pattern in a short-lived child Python (no
site packages, an empty environment, at most ``MEMORY_LIMIT`` bytes of address space) and kills
it when it runs past the time limit; the calling thread only waits on a pipe, so other threads
(other sessions of a Streamlit server) keep running.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

TIMEOUT = 2.0  # seconds of matching allowed, all texts together
STARTUP_GRACE = 1.0  # seconds allowed on top for the child Python to start (about 0.04 s idle)
MAX_PATTERN = 1_000  # characters
MEMORY_LIMIT = 1 << 30  # bytes of address space for the child


class PatternError(ValueError):
    """A user's regular expression that does not compile, or took too long and was stopped."""


_CHILD = r"""
import json, re, sys, time
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
except Exception:
    pass
job = json.loads(sys.stdin.read())
start = time.monotonic()
try:
    compiled = re.compile(job["pattern"])
except (re.error, OverflowError, RecursionError, MemoryError, ValueError) as error:
    sys.stdout.write(json.dumps({"invalid": str(error) or type(error).__name__}))
    sys.exit(0)
result = []
for text in job["texts"]:
    spans = []
    for match in compiled.finditer(text):
        a, b = match.span()
        if b > a:
            if spans and spans[-1][1] >= a:
                spans[-1][1] = max(spans[-1][1], b)
            else:
                spans.append([a, b])
        if time.monotonic() - start > job["timeout"]:
            sys.stdout.write(json.dumps({"timeout": True}))
            sys.exit(0)
    result.append(spans)
sys.stdout.write(json.dumps({"spans": result}))
""".replace("LIMIT", str(MEMORY_LIMIT))


def _too_slow(timeout: float) -> PatternError:
    return PatternError(
        f"the pattern took longer than {timeout:g} s on this text and was stopped; simplify it "
        "(nested repeats such as (a+)+ or (.|.)* try exponentially many ways to match)"
    )


def match_spans(
    pattern: str, texts: Sequence[str], timeout: float = TIMEOUT
) -> list[list[tuple[int, int]]]:
    """The character spans [start, end) that matches of ``pattern`` (Python ``re`` syntax)
    cover in each text, overlapping and touching matches merged, empty matches left out:
    one sorted list per text.

    Runs in a child process, at most ``timeout`` seconds of matching for all texts together
    (plus up to STARTUP_GRACE to start). Raises PatternError (a ValueError) with a one-line
    reason for a pattern that does not compile, is longer than MAX_PATTERN, uses too much
    memory, or runs past the limit.
    """
    if len(pattern) > MAX_PATTERN:
        raise PatternError(
            f"the regular expression is {len(pattern):,} characters long; at most "
            f"{MAX_PATTERN:,} are allowed"
        )
    job = json.dumps({"pattern": pattern, "texts": list(texts), "timeout": timeout})
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            input=job.encode("utf-8"),
            capture_output=True,
            timeout=timeout + STARTUP_GRACE,
            env={},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _too_slow(timeout) from None
    try:
        answer = json.loads(done.stdout.decode("utf-8"))
    except ValueError:
        answer = {}
    if "spans" in answer:
        return [[(int(a), int(b)) for a, b in spans] for spans in answer["spans"]]
    if "invalid" in answer:
        raise PatternError(
            f"the regular expression {pattern!r} does not compile: {answer['invalid']}; "
            "fix it or clear the box"
        )
    if answer.get("timeout"):
        raise _too_slow(timeout)
    if b"MemoryError" in done.stderr:
        raise PatternError(
            f"the regular expression {pattern!r} needs more than {MEMORY_LIMIT >> 20:,} MB to "
            "run and was stopped; simplify it"
        )
    raise PatternError(
        f"the regular expression {pattern!r} could not be run (the matcher exited with code "
        f"{done.returncode}); simplify it"
    )
