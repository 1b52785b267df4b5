"""A classroom on Explore: N students open the app together, type a sentence and press Enter.

    python benchmarks/classroom_load.py [--sessions 30] [--rounds 2] [--think 0.5,2] [--warm]

Starts the app as tests/browser/conftest.py does (`python -m streamlit run app/streamlit_app.py`
on a free 127.0.0.1 port, its own process group, LSTM_VIZ_MODELS_DIR an empty temporary folder,
the shipped models of pretrained/ with the default `english-char-lstm`), then drives N sessions
over Streamlit's own websocket protocol (ws://127.0.0.1:PORT/_stcore/stream, BackMsg/ForwardMsg
protobufs from streamlit.proto) with the `websockets` asyncio client that Streamlit depends on
(the students: benchmarks/classroom_sessions.py).
No browser: the sessions cost the server what a browser's would, minus drawing.

Each session:
- opens (sessions start a few ms apart, as a class that follows the teacher's "open the page"),
  runs the page once and finds the Explore text box's widget id in the deltas;
- for each round: "thinks" 0.5-2 s (--think), then sends a rerun with its own sentence in the
  text box, as a browser does when the student presses Enter. Every session types different,
  realistic sentences (so the server cannot answer from a cache), 2 rounds by default.
Enter-to-drawn: from sending that rerun to the script-finished message, once the heatmap deltas
(plotly charts) of that run have arrived.

In parallel a thread asks /_stcore/health every 100 ms; the longest stall is the slowest answer
(a request unanswered for 30 s counts as 30 s). Every loop is bounded in count and time; the
server is stopped (SIGTERM to its process group) whatever happens.

Output: details (median, p95, max, opening times, server memory) on several lines, and exactly
one summary line:
    classroom 30 sessions: p95 enter-to-drawn seconds X; longest health stall Y
Timings depend on the machine's load: report `uptime` next to them.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from classroom_sessions import SESSION_TIMEOUT_S, classroom, percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root
from tests import app_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOST = app_server.HOST
HEALTH_EVERY_S = 0.1
HEALTH_TIMEOUT_S = 30.0

# ---- the server ---------------------------------------------------------------------------------


def health(port: int, timeout: float = HEALTH_TIMEOUT_S) -> tuple[bool, float]:
    """(answered ok, seconds taken) for one GET /_stcore/health on a fresh connection."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", "/_stcore/health")
        ok = connection.getresponse().read() == b"ok"
    except OSError:
        ok = False
    finally:
        connection.close()
    return ok, time.perf_counter() - start


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class HealthProbe(threading.Thread):
    """Asks /_stcore/health every 100 ms until stopped (at most ``limit_s``); keeps every time."""

    def __init__(self, port: int, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.port, self.limit_s = port, limit_s
        self.times: list[float] = []
        self.at: list[float] = []  # when each check started (time.perf_counter())
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        end = time.monotonic() + self.limit_s
        while not self.stop.is_set() and time.monotonic() < end:
            self.at.append(time.perf_counter())
            ok, seconds = health(self.port)
            self.times.append(seconds)
            self.failures += not ok
            self.stop.wait(max(0.0, HEALTH_EVERY_S - seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2, help="sentences each session types")
    parser.add_argument("--stagger-ms", type=float, default=5.0, help="between session starts")
    parser.add_argument("--warm", action="store_true", help="one untimed session first")
    parser.add_argument(
        "--think",
        default="0.5,2.0",
        help="seconds each student reads and types before each Enter: MIN,MAX (uniform); "
        "0,0 presses every Enter at the same moment",
    )
    parser.add_argument(
        "--py-spy",
        metavar="OUT",
        help="profile the server with py-spy (on PATH) during the classroom: collapsed stacks "
        "of every thread to OUT (OUT.gil: only stacks holding the GIL)",
    )
    args = parser.parse_args()
    think = tuple(float(x) for x in args.think.split(","))
    if not 1 <= args.sessions <= 200 or not 1 <= args.rounds <= 10:
        raise SystemExit("--sessions: 1-200; --rounds: 1-10")
    if len(think) != 2 or not 0 <= think[0] <= think[1] <= 30:
        raise SystemExit("--think: MIN,MAX seconds, 0 <= MIN <= MAX <= 30")

    with tempfile.TemporaryDirectory(prefix="classroom-load-") as tmp:
        models_dir, log_path = Path(tmp) / "models", Path(tmp) / "server.log"
        models_dir.mkdir()
        port = app_server.free_port()
        env = {**os.environ, "LSTM_VIZ_MODELS_DIR": str(models_dir)}
        server = app_server.launch(app_server.streamlit_command(port), env, log_path)
        try:
            if not app_server.wait_healthy(f"http://{HOST}:{port}", server, 90):
                raise SystemExit(f"Streamlit did not start:\n{log_path.read_text()[-3000:]}")
            if args.warm:
                asyncio.run(classroom(port, 1, 1, 0.0))
            rss_before = rss_mb(server.pid)
            spies = (
                []
                if not args.py_spy
                else [
                    subprocess.Popen(
                        [
                            "py-spy",
                            "record",
                            "--pid",
                            str(server.pid),
                            "--format",
                            "raw",
                            "--threads",
                            "--rate",
                            "50",
                            "--nonblocking",
                            *extra,
                            "--output",
                            args.py_spy + suffix,
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    for extra, suffix in (([], ""), (["--gil"], ".gil"))
                ]
            )
            probe = HealthProbe(port, limit_s=SESSION_TIMEOUT_S + 60)
            probe.start()
            started = time.perf_counter()
            results = asyncio.run(
                classroom(port, args.sessions, args.rounds, args.stagger_ms / 1e3, think)
            )
            wall = time.perf_counter() - started
            probe.stop.set()
            probe.join(timeout=HEALTH_TIMEOUT_S + 5)
            rss_after = rss_mb(server.pid)
            for spy in spies:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                spy.wait(timeout=30)
        finally:
            app_server.stop(server)
        if results["errors"]:
            print(
                f"{len(results['errors'])} session(s) failed:", *results["errors"][:5], sep="\n  "
            )
            print("server log tail:\n" + log_path.read_text()[-2000:])

    n, enter, opened = args.sessions, results["enter"], results["open"]
    load = os.getloadavg()
    print(
        f"load average before the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2-core machine)"
    )
    if opened:
        print(
            f"opening (connect to first page drawn), {len(opened)} sessions: median "
            f"{statistics.median(opened):.2f} s, p95 {percentile(opened, 95):.2f} s, "
            f"max {max(opened):.2f} s"
        )
    if enter:
        print(
            f"enter-to-drawn, {len(enter)} of {n * args.rounds} presses: median "
            f"{statistics.median(enter):.2f} s, p95 {percentile(enter, 95):.2f} s, "
            f"max {max(enter):.2f} s"
        )
        slowest = sorted(results["presses"], reverse=True)[:5]
        print(
            "slowest presses (seconds, session, round, pressed at s after the first press): "
            + "; ".join(
                f"{t:.2f} s #{n} r{r} @{at - min(p[3] for p in results['presses']):.1f}"
                for t, n, r, at in slowest
            )
        )
    stall = max(probe.times, default=float("nan"))
    opening = [t for a, t in zip(probe.at, probe.times, strict=True) if a < results["last_open"]]
    typing = probe.times[len(opening) :]
    print(
        f"health: {len(probe.times)} checks, {probe.failures} failed, median "
        f"{statistics.median(probe.times) * 1e3:.0f} ms, longest {stall:.2f} s (while sessions "
        f"opened: {max(opening, default=0):.2f} s; while they typed: "
        f"{max(typing, default=0):.2f} s)"
    )
    used = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)  # the server, once it has ended
    print(
        f"CPU seconds, less noisy than times on a shared machine: server "
        f"{server_cpu.ru_utime + server_cpu.ru_stime:.1f} s from start to stop; this benchmark "
        f"(on the same machine) {used.ru_utime + used.ru_stime:.1f} s"
    )
    print(
        f"server memory: {rss_before:.0f} MB before, {rss_after:.0f} MB after "
        f"({(rss_after - rss_before) / n:+.2f} MB per session); wall {wall:.1f} s"
    )
    p95 = percentile(enter, 95) if enter and not results["errors"] else float("nan")
    print(
        f"classroom {n} sessions: p95 enter-to-drawn seconds {p95:.2f}; "
        f"longest health stall {stall:.2f}"
    )


if __name__ == "__main__":
    main()
