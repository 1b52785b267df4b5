"""Starting and stopping the app as a real server, for browser tests and benchmarks.

One command line (NOTES.md: headless, bound to 127.0.0.1, no usage statistics), started in its
own process group so that stopping it stops everything it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def streamlit_command(port: int) -> list[str]:
    """``python -m streamlit run app/streamlit_app.py`` on ``port`` of 127.0.0.1, headless."""
    return [
        *(sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py"),
        *("--server.headless", "true", "--server.port", str(port)),
        *("--server.address", HOST, "--browser.gatherUsageStats", "false"),
    ]


def launch(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``command`` in the repository root, in a new process group, output to log_path."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(url: str, server: subprocess.Popen, seconds: float) -> bool:
    """True once ``url``/_stcore/health answers ok; False if the server exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return True
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to the server's process group; SIGKILL if it has not ended after 15 s."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
