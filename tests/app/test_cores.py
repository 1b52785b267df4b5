"""app/resources/cores.py: a long recording takes every core only when it runs alone."""

import contextlib
import time

import pytest
import torch

from app.resources import cores

OTHER_RUNNABLE = cores.other_runnable  # the real one (fixtures replace it)


@pytest.fixture
def one_thread(monkeypatch):
    """The server's setting (one torch thread) on a 2-core machine whose other cores are idle;
    torch's setting is put back after the test."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setattr(cores, "CORES", 2)
    monkeypatch.setattr(cores, "other_runnable", lambda samples=cores.SAMPLES: 0)
    yield
    torch.set_num_threads(before)


def test_recurrent_macs_counts_every_recurrent_weight_once_per_step():
    lstm = torch.nn.Sequential(torch.nn.Embedding(10, 32), torch.nn.LSTM(32, 64, 2))
    per_step = 4 * 64 * 32 + 4 * 64 * 64 + 4 * 64 * 64 + 4 * 64 * 64  # ih0, hh0, ih1, hh1
    assert cores.recurrent_macs(lstm, 100) == per_step * 100
    assert cores.recurrent_macs(torch.nn.GRU(8, 16), 10) == (3 * 16 * 8 + 3 * 16 * 16) * 10


def test_a_long_recording_alone_takes_every_core_and_gives_them_back(one_thread):
    with cores.page_run(), cores.all_cores_if_alone(cores.ALL_CORES_MACS) as threads:
        assert threads == torch.get_num_threads() == 2
        with cores.all_cores_if_alone(cores.ALL_CORES_MACS) as inner:  # already held: as is
            assert inner == 2
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("why", ["short", "another page run", "machine busy"])
def test_otherwise_the_threads_stay_as_they_are(one_thread, monkeypatch, why):
    macs = cores.ALL_CORES_MACS / 2 if why == "short" else cores.ALL_CORES_MACS
    if why == "machine busy":
        monkeypatch.setattr(cores, "other_runnable", lambda samples=cores.SAMPLES: 1)
    if why == "short":  # never measures the machine for a short one
        monkeypatch.setattr(cores, "other_runnable", lambda *a: pytest.fail("measured"))
    with contextlib.ExitStack() as runs:
        for _ in range(2 if why == "another page run" else 1):
            runs.enter_context(cores.page_run())
        with cores.all_cores_if_alone(macs) as threads:
            assert threads == torch.get_num_threads() == 1
    assert torch.get_num_threads() == 1


def test_other_runnable_sees_a_busy_process():
    """A CPU-bound child process is counted in every reading; none is counted after it ends."""
    import subprocess
    import sys

    if cores.other_runnable(1) is None:
        pytest.skip("no /proc/stat")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        assert cores.other_runnable(3, 0.01) >= 1
    finally:
        spinner.kill()
        spinner.wait()


def test_the_look_stops_at_the_first_idle_reading_and_grows_with_the_work(one_thread, monkeypatch):
    readings = iter([2, 1, 0, 3, 3])
    monkeypatch.setattr(cores.time, "sleep", lambda s: None)

    class Stat:
        def __init__(self, *a, **k):
            self.line = f"procs_running {next(readings) + 1}\n"

        def __enter__(self):
            return iter([self.line])

        def __exit__(self, *a):
            return False

    monkeypatch.setattr("builtins.open", Stat)
    assert OTHER_RUNNABLE(5) == 0
    assert next(readings) == 3  # the two readings after the idle one were never taken
    asked = []
    monkeypatch.setattr(cores, "other_runnable", lambda samples: asked.append(samples) or 1)
    for macs in (cores.ALL_CORES_MACS, 21.6e9, 1e12):  # 5,000 steps x 1,024 units: 21.6e9
        with cores.all_cores_if_alone(macs):
            pass
    assert asked == [cores.SAMPLES, 14, cores.MAX_SAMPLES]
