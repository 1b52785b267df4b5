"""Both cores for one long recording, when the machine has nothing else to run.

The server computes with one torch thread (``serve_torch_threads``): sessions run side by side in
their own threads, and two OpenMP threads per operation on a busy 2-core machine wait on each
other (benchmarks/classroom_load.py). A long recording alone on the server is the opposite case:
5,000 steps of a 1,024-unit LSTM take 1.9-2.2 s on one thread and 0.8 s on two (measured on this
2-core machine). So a recording of at least ``ALL_CORES_MACS`` multiply-adds takes every core,
but only while its page run is the only one in flight and the machine's cores are otherwise idle
(``busy_cores``: measured, with two training runs at nice 19 beside it, two threads took 2.3-7.8 s
where one took 2.2-2.4 s: each step's threads wait for one the scheduler has parked). Any other
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

ALL_CORES_MACS = 1e9  # multiply-adds: ~50 ms on one thread here; below, one thread is as good
IDLE_WINDOW = 0.1  # seconds over which the machine's use is measured (/proc/stat: 100 Hz ticks)
MAX_BUSY_CORES = 0.3  # other work allowed meanwhile, in cores' worth of CPU time
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


def busy_cores(window: float = IDLE_WINDOW) -> float | None:
    """Cores' worth of CPU time the whole machine spent working (not idle, not waiting on disk)
    over ``window`` seconds while this thread slept, from /proc/stat's first line (proc(5));
    None where there is no /proc/stat."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle, iowait
        return sum(ticks[:8]), idle  # user nice system idle iowait irq softirq steal

    try:
        total0, idle0 = sample()
        time.sleep(window)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    elapsed = total1 - total0
    if elapsed <= 0:
        return None
    return CORES * (elapsed - (idle1 - idle0)) / elapsed


@contextlib.contextmanager
def all_cores_if_alone(macs: float) -> Iterator[int]:
    """Every core's torch thread for the block when ``macs`` >= ALL_CORES_MACS, no other page run
    is in flight, no other block holds them and the machine is otherwise idle (``busy_cores`` at
    most MAX_BUSY_CORES); otherwise the threads as they are. Yields the number of threads the
    block starts with; restores the setting after it."""
    threads = torch.get_num_threads()
    if macs < ALL_CORES_MACS or CORES <= threads:
        yield threads
        return
    busy = busy_cores()
    with _LOCK:
        take = (
            busy is not None
            and busy <= MAX_BUSY_CORES
            and _STATE["runs"] <= 1
            and not _STATE["held"]
        )
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
