"""Upload folders do not pile up: the folder "Open in Explore" writes into goes when Streamlit
drops the session (its disconnectedSessionTTL after the browser left, at the next session
change), and every one goes when the server stops."""

from __future__ import annotations

import time
from pathlib import Path

import torch
from torch import nn

from .conftest import VIEWPORT, start_server


def session_folders(tmp: Path) -> list[str]:
    return sorted(p.name for p in (tmp / "lstm-viz-uploads").glob("session-*"))


def test_a_session_folder_goes_with_its_session(browser, tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # the server's temporary folders, seen here
    monkeypatch.setenv("STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL", "1")
    model = tmp_path / "gru.pt"
    torch.save(nn.GRU(3, 4).state_dict(), model)
    models = tmp_path / "models"
    models.mkdir()
    with start_server(models, tmp_path / "server.log") as url:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(f"{url}/")
        page.get_by_role("heading", level=1).first.wait_for(timeout=60_000)
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Upload").click()
        page.get_by_text("Limit: 200 MB per file").wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
            model
        )
        page.get_by_role("button", name="Open in Explore").click(timeout=60_000)
        page.get_by_role("heading", level=1, name="🔍 Explore").wait_for(timeout=60_000)
        [folder] = session_folders(tmp)
        assert list((tmp / "lstm-viz-uploads" / folder).glob("gru-*/config.json"))
        context.close()  # the student leaves

        deadline = time.monotonic() + 60
        while session_folders(tmp) and time.monotonic() < deadline:
            time.sleep(2)  # past the TTL; another session coming and going lets Streamlit drop it
            other = browser.new_context()
            visitor = other.new_page()
            visitor.goto(f"{url}/")
            visitor.get_by_role("heading", level=1).first.wait_for(timeout=60_000)
            other.close()
        assert session_folders(tmp) == []
