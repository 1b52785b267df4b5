"""Both cores for one long recording, when the machine has nothing else to run.

The server computes with one torch thread (``serve_torch_threads``): sessions run side by side in
their own threads, and two OpenMP threads per operation on a busy 2-core machine wait on each
other (benchmarks/classroom_load.py). A long recording alone on the server is the opposite case:
5,000 steps of a 1,024-unit LSTM take 1.9-2.2 s on one thread and 0.8 s on two (measured on this
2-core machine). So a recording of at least ``ALL_CORES_MACS`` multiply-adds takes every core,
but only while its page run is the only one in flight and nothing else on the machine is running
(``other_runnable``). Measured here: with two training runs at nice 19 beside it, two threads
took 2.3-7.8 s where one took 2.2-2.4 s, and in Explore 7.5-22 s: every step, each thread waits
for the other, which the scheduler may have parked behind another process. Any other
page run that starts meanwhile sets one thread again (``serve_torch_threads``), so the long one
finishes on one thread, exactly as before, only slower.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

import torch

ALL_CORES_MACS = 4e9  # multiply-adds, ~0.2 s on one thread: less does not repay the look
SAMPLES, SAMPLE_GAP = 5, 0.02  # readings of the machine's runnable tasks, seconds apart
# A longer recording may look longer for an idle moment: one more reading per this many
# multiply-adds, up to MAX_SAMPLES (5,000 steps x 1,024 units, 1.6-2.1 s on one thread: 14
# readings, at most 0.26 s, and only while something else is running).
MACS_PER_SAMPLE, MAX_SAMPLES = 1.5e9, 15
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

_LOCK = threading.Lock()
_STATE = {"runs": 0, "held": False}  # page runs in flight; whether a recording holds every core


@contextlib.contextmanager
def page_run() -> Iterator[None]:
    """Counts the page runs in flight (app/streamlit_app.py wraps every run in it)."""
    with _LOCK:
        _STATE["runs"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["runs"] -= 1


def recurrent_macs(model: torch.nn.Module, steps: int) -> float:
    """Multiply-adds of the recurrent layers' matrix products over ``steps`` steps (batch 1):
    every input-to-hidden and hidden-to-hidden weight is used once per step."""
    per_step = sum(
        p.numel()
        for name, p in model.named_parameters()
        if name.rsplit(".", 1)[-1].startswith(("weight_ih", "weight_hh"))
    )
    return float(per_step) * steps


def other_runnable(samples: int = SAMPLES, gap: float = SAMPLE_GAP) -> int | None:
    """The fewest tasks the kernel counted as running or ready to run besides the one reading,
    over up to ``samples`` readings ``gap`` seconds apart, stopping at the first that counts
    none (/proc/stat's procs_running, proc(5)); None where there is no /proc/stat. A CPU-bound
    process (a training run, even at nice 19) is in every reading; a browser's bursts are not
    always (a browser on this machine handling Enter kept one thread in 1 to 3 rounds of 5 in
    explore_speed.py's longest case with 5 readings)."""
    fewest = None
    for k in range(samples):
        if fewest == 0:
            break
        if k:
            time.sleep(gap)
        try:
            with open("/proc/stat", encoding="ascii") as f:
                line = next(line for line in f if line.startswith("procs_running "))
            running = int(line.split()[1]) - 1  # this thread, reading
        except (OSError, ValueError, StopIteration):
            return None
        fewest = running if fewest is None else min(fewest, running)
    return fewest


@contextlib.contextmanager
def all_cores_if_alone(macs: float) -> Iterator[int]:
    """Every core's torch thread for the block when ``macs`` >= ALL_CORES_MACS, no other page run
    is in flight, no other block holds them and no other task on the machine is running
    (``other_runnable`` is 0); otherwise the threads as they are. Yields the number of threads the
    block starts with; restores the setting after it."""
    threads = torch.get_num_threads()
    if macs < ALL_CORES_MACS or CORES <= threads:
        yield threads
        return
    others = other_runnable(min(MAX_SAMPLES, max(SAMPLES, int(macs // MACS_PER_SAMPLE))))
    with _LOCK:
        take = others == 0 and _STATE["runs"] <= 1 and not _STATE["held"]
        if take:
            _STATE["held"] = True
    if not take:
        yield threads
        return
    torch.set_num_threads(CORES)
    try:
        yield CORES
    finally:
        torch.set_num_threads(threads)
        with _LOCK:
            _STATE["held"] = False
