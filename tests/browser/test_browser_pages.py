"""Every page in a real browser: it draws, raises nothing, logs no error, stays on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
README_SCREENSHOT = ROOT / "docs" / "images" / "app.png"

# url path -> page title. Explore is the default page, served at "/".
PAGES = {
    "learn": "Learn",
    "": "Explore",
    "train": "Train",
    "analyze": "Analyze",
    "upload": "Upload",
}
LOCAL_SCHEMES = {"data", "blob", "about"}

APP_READY = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
DEVICE_PICKER_DRAWN = """() => {
    const picker = document.querySelector('[data-testid="stSidebar"] input[aria-label="Device"]');
    return picker !== null && picker.value !== "";
}"""


def wait_until_drawn(page, title: str) -> None:
    page.wait_for_selector('[data-testid="stAppViewContainer"]')
    page.wait_for_selector(APP_READY)
    page.get_by_role("heading", level=1, name=re.compile(title)).wait_for()
    page.wait_for_selector(SCRIPT_DONE)
    # Widgets draw lazily after the script has finished: screenshots wait for the sidebar's
    # device picker to show its value (it is on every page).
    page.wait_for_function(DEVICE_PICKER_DRAWN)


def leaves_localhost(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme not in LOCAL_SCHEMES and parsed.hostname != "127.0.0.1"


def assert_clean(page, allowed_console_urls: tuple[str, ...] = ()) -> None:
    recorded = page.recorded
    assert recorded.requests, "no request was recorded: the recorder is broken"
    outbound = [url for url in recorded.requests if leaves_localhost(url)]
    assert outbound == [], f"requests left 127.0.0.1: {outbound}"
    assert page.locator('[data-testid="stException"]').count() == 0
    errors = [
        (text, url)
        for kind, text, url in recorded.console
        if kind == "error" and url not in allowed_console_urls
    ]
    assert errors == [], f"console errors: {errors}"
    assert recorded.page_errors == [], f"uncaught errors: {recorded.page_errors}"


def screenshot(page, name: str, readme: str | None = None) -> Path:
    """Save tests/browser/screenshots/<name>.png; with ``readme``, also docs/images/<readme>."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if readme:
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_SCREENSHOT.parent / readme)
    return path


@pytest.mark.parametrize("path", PAGES, ids=[t.lower() for t in PAGES.values()])
def test_page_through_the_sidebar(app_url, page, path):
    """Open the app, click the page in the sidebar's navigation: it draws cleanly."""
    title = PAGES[path]
    page.goto(f"{app_url}/")
    wait_until_drawn(page, "Explore")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).click()
    page.wait_for_url(f"{app_url}/{path}")
    wait_until_drawn(page, title)
    assert page.title() == "lstm-viz"
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Device").count() > 0
    assert_clean(page)
    shot = screenshot(page, title.lower())
    if title == "Explore":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOT)


@pytest.mark.parametrize("path", PAGES, ids=[t.lower() for t in PAGES.values()])
def test_page_by_its_url(app_url, page, path):
    """Open each page's own URL directly, as a bookmark or a shared link would."""
    title = PAGES[path]
    page.goto(f"{app_url}/{path}")
    wait_until_drawn(page, title)
    # Streamlit's frontend probes for its base path under a page's URL before falling back to
    # "/": two expected 404s on a deep link. Anything else is an error.
    probes = tuple(f"{app_url}/{path}/_stcore/{name}" for name in ("health", "host-config"))
    assert_clean(page, allowed_console_urls=probes if path else ())


def test_the_request_check_can_fail():
    assert leaves_localhost("https://fonts.googleapis.com/css2?family=Material+Symbols")
    assert leaves_localhost("http://localhost:8501/")  # only 127.0.0.1 counts as local
    assert not leaves_localhost("http://127.0.0.1:8501/_stcore/health")
    assert not leaves_localhost("data:image/png;base64,AAAA")
