"""The server process opens no socket to anywhere while a browser uploads an ONNX model (which
onnxruntime runs for the check): the server runs under ``strace -f`` (it and the reading child),
started without any telemetry opt-out in its environment, so the app must set it itself."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import time
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from tests import app_server
from tests.app_server import streamlit_command
from tests.unit.importers.test_network import WAIT_SECONDS, outside_calls

from .conftest import free_port
from .test_browser_pages import assert_clean, screenshot, wait_until_drawn

STRACE = shutil.which("strace")
SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@contextlib.contextmanager
def traced_server(tmp_path: Path):
    """The app on a free localhost port under strace; yields (url, strace log path)."""
    port = free_port()
    log = tmp_path / "server.strace"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORT_")}
    env["LSTM_VIZ_MODELS_DIR"] = str(tmp_path / "models")
    env["LSTM_VIZ_PRETRAINED_DIR"] = str(tmp_path / "no-shipped-models")
    command = [STRACE, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log)]
    server = app_server.launch(command + streamlit_command(port), env, tmp_path / "server.out")
    url = f"http://127.0.0.1:{port}"
    try:
        if not app_server.wait_healthy(url, server, 90):
            text = (tmp_path / "server.out").read_text()[-2000:]
            if "PTRACE" in text.upper() or "Operation not permitted" in text:
                pytest.skip(f"strace cannot trace here: {text[:200]}")
            pytest.fail(f"Streamlit did not start under strace:\n{text}", False)
        yield url, log
    finally:
        app_server.stop(server)


@pytest.mark.skipif(STRACE is None, reason="needs strace to see the server's native sockets")
def test_an_onnx_upload_opens_no_outside_socket(page, tmp_path):
    pytest.importorskip("onnxruntime")
    model = tmp_path / "gru.onnx"
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(nn.GRU(3, 4), (torch.randn(5, 1, 3),), buffer, dynamo=False)
    model.write_bytes(buffer.getvalue())

    with traced_server(tmp_path) as (url, log):
        page.goto(f"{url}/")
        wait_until_drawn(page, "Explore")
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Upload").click()
        wait_until_drawn(page, "Upload")
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
            model
        )
        success = page.locator('[data-testid="stAlertContentSuccess"]')
        success.filter(has_text="onnxruntime").wait_for(timeout=90_000)
        page.wait_for_selector(SCRIPT_DONE)
        screenshot(page, "upload-onnx")
        assert_clean(page)
        time.sleep(WAIT_SECONDS)  # onnxruntime's uploader would have looked up its host by now
    lines = log.read_text()
    assert "connect(" in lines or "sendto(" in lines or lines == "", "strace wrote no log"
    assert outside_calls(lines) == []
