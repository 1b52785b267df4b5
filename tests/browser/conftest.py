"""A real Streamlit server and Debian's Chromium, driven by Playwright.

With LSTM_VIZ_REQUIRE_BROWSER=1 (set by scripts/test.sh) a missing browser fails the tests
instead of skipping them, so the suite cannot pass without running them.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import app_server
from tests.app_server import free_port  # noqa: F401 (tests import it from here)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LSTM_VIZ_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("LSTM_VIZ_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1440, "height": 1100}  # tall: Streamlit scrolls inside its own container


def browser_unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (LSTM_VIZ_REQUIRE_BROWSER=1: browser tests must run)", False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server_models_dir(tmp_path_factory) -> Path:
    """The models folder the test server uses: empty at first, never the repository's ./models.
    A test may save checkpoints here; the app lists them on its next run."""
    return tmp_path_factory.mktemp("server-models")


@contextlib.contextmanager
def start_server(models_dir: Path, log_path: Path, pretrained_dir: Path | None = None):
    """`streamlit run app/streamlit_app.py` on a free localhost port, reading ``models_dir``;
    yields its URL once /_stcore/health answers ok; stops it (SIGTERM to its group) after.

    pretrained_dir: the shipped models it lists; None: none at all (a folder that does not exist).
    """
    if pretrained_dir is None:
        pretrained_dir = models_dir.parent / f"{models_dir.name}-no-shipped-models"
    port = free_port()
    env = {
        **os.environ,
        "LSTM_VIZ_MODELS_DIR": str(models_dir),
        "LSTM_VIZ_PRETRAINED_DIR": str(pretrained_dir),
    }
    server = app_server.launch(app_server.streamlit_command(port), env, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        if not app_server.wait_healthy(url, server, 60):
            pytest.fail(f"Streamlit did not start:\n{log_path.read_text()[-3000:]}", False)
        yield url
    finally:
        app_server.stop(server)


@contextlib.contextmanager
def serving(tmp_path_factory, name: str, save):
    """A server over a fresh models folder that ``save(folder)`` fills; yields its URL (for
    module-scoped fixtures: one server per test module)."""
    models = tmp_path_factory.mktemp(f"{name}-models")
    save(models)
    with start_server(models, models.parent / f"{name}-server.log") as url:
        yield url


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, server_models_dir):
    """The app on a free localhost port, with the session's private models folder."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with start_server(server_models_dir, log_path) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        browser_unavailable("playwright is not installed")
    if not Path(CHROMIUM).exists():
        browser_unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            browser_unavailable(f"Chromium at {CHROMIUM} did not start: {error}")
        yield chromium
        chromium.close()


@dataclass
class Recorded:
    """What a page did: every request URL, console messages, uncaught page errors."""

    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, url)
    page_errors: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser):
    """A fresh browser context and page; `page.recorded` collects what it did."""
    context = browser.new_context(viewport=VIEWPORT)
    new_page = context.new_page()
    recorded = Recorded()
    new_page.on("request", lambda request: recorded.requests.append(request.url))
    new_page.on(
        "console",
        lambda message: recorded.console.append(
            (message.type, message.text, message.location.get("url", ""))
        ),
    )
    new_page.on("pageerror", lambda error: recorded.page_errors.append(str(error)))
    new_page.recorded = recorded
    yield new_page
    context.close()
