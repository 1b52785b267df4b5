"""Reading and checking an uploaded ONNX model opens no socket to anywhere.

onnxruntime's telemetry is native code (its 1DS uploader resolves an outside events host some
seconds after the first session), so patching Python's socket module cannot see it: these tests
run the ONNX path in a child process under ``strace -f`` and read every connect/sendto it made.
A control run with the opt-out explicitly off shows the probe does see the telemetry.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[3]
STRACE = shutil.which("strace")
WAIT_SECONDS = 15  # onnxruntime 1.32's uploader looked up its host about 9 s after a session

CHILD = """
import sys, time
import torch
import lstm_viz
from lstm_viz.importers import build, checks, inspect_file

data = open(sys.argv[1], "rb").read()
layer = inspect_file(data, "gru.onnx").layer()
module = build(layer)
x = torch.randn(1, 6, 3)
_, trace = lstm_viz.record(module, x)
found = checks(layer, x, trace)
assert found[-1].reference.startswith("onnxruntime") and found[-1].ok, found
print("checked", flush=True)
time.sleep(float(sys.argv[2]))
"""

_CALL = re.compile(r"\b(connect|sendto|sendmsg)\((.*)")


def outside_calls(log: str) -> list[str]:
    """The strace lines that reach past this machine: an IPv4/IPv6 address that is not loopback,
    anything to port 53, or a name lookup through nscd."""
    found = []
    for line in log.splitlines():
        call = _CALL.search(line)
        if not call:
            continue
        args = call.group(2)
        if "nscd" in args or "htons(53)" in args:
            found.append(line)
            continue
        v4 = re.search(r'inet_addr\("([^"]+)"\)', args)
        v6 = re.search(r'inet_pton\(AF_INET6, "([^"]+)"', args)
        if v4 and not v4.group(1).startswith("127."):
            found.append(line)
        elif v6 and v6.group(1) not in ("::1", "::ffff:127.0.0.1"):
            found.append(line)
    return found


def gru_onnx(path: Path) -> Path:
    pytest.importorskip("onnx")
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(nn.GRU(3, 4), (torch.randn(5, 1, 3),), buffer, dynamo=False)
    path.write_bytes(buffer.getvalue())
    return path


def traced(tmp_path: Path, name: str, model: Path, extra: dict[str, str]) -> subprocess.Popen:
    home = tmp_path / f"home-{name}"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(home)}
    command = [STRACE, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg"]
    command += ["-o", str(tmp_path / f"{name}.strace"), sys.executable, "-c", CHILD]
    return subprocess.Popen(
        [*command, str(model), str(WAIT_SECONDS)],
        cwd=tmp_path,
        env={**env, **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(STRACE is None, reason="needs strace to see native sockets")
def test_the_onnx_check_opens_no_outside_socket(tmp_path):
    """lstm_viz.importers itself switches the telemetry off: the child's environment has no
    opt-out set, and onnxruntime runs the uploaded graph."""
    pytest.importorskip("onnxruntime")
    model = gru_onnx(tmp_path / "gru.onnx")
    ours = traced(tmp_path, "ours", model, {})
    control = traced(
        tmp_path, "control", model, {"ORT_DISABLE_TELEMETRY": "0", "ORT_TELEMETRY_DISABLED": "0"}
    )
    results = {}
    for name, process in (("ours", ours), ("control", control)):
        out, err = process.communicate(timeout=WAIT_SECONDS + 120)
        if process.returncode != 0 and "PTRACE" in err.upper():
            pytest.skip(f"strace cannot trace here: {err.strip()[:200]}")
        assert process.returncode == 0 and "checked" in out, err[-2000:]
        results[name] = outside_calls((tmp_path / f"{name}.strace").read_text())
    assert results["ours"] == []
    if not results["control"]:
        pytest.skip("this onnxruntime build sent no telemetry even when allowed: nothing to see")


def test_the_probe_reads_strace_lines():
    """The parser flags what the control run showed, and leaves loopback and local sockets."""
    lines = [
        '9 connect(8, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
        '9 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}',
        '9 connect(8, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("20.1.2.3")}',
        '9 connect(8, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "2a01::1"',
        '9 connect(8, {sa_family=AF_INET, sin_port=htons(8501), sin_addr=inet_addr("127.0.0.1")}',
        '9 connect(8, {sa_family=AF_INET6, sin6_port=htons(80), inet_pton(AF_INET6, "::1", &x)',
        '9 connect(8, {sa_family=AF_UNIX, sun_path="/tmp/x.sock"}, 110) = 0',
    ]
    assert outside_calls("\n".join(lines)) == lines[:4]


def test_importing_the_importers_sets_the_opt_out_before_onnxruntime():
    code = (
        "import os, sys; import lstm_viz.importers; import onnxruntime;"
        "print(os.environ.get('ORT_DISABLE_TELEMETRY'), os.environ.get('ORT_TELEMETRY_DISABLED'))"
    )
    pytest.importorskip("onnxruntime")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["1", "1"], result.stderr[-1000:]
