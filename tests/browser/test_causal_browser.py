"""Analyze's causal tools and the training scrubber in a real browser, on the shipped
agreement-word-lstm (whose build keeps its probe.npz): attribution, patching, the gate split and
two state trajectories draw; Explore's Training view moves through training time; nothing
leaves 127.0.0.1. Screenshots: docs/images/causal-*.png (README)."""

from __future__ import annotations

import re
import shutil

import pytest

from lstm_viz.pretrained import PRETRAINED_DIR
from tests.browser.conftest import start_server
from tests.browser.test_browser_pages import assert_clean, screenshot

MODEL = "agreement-word-lstm"
TALL = {"width": 1440, "height": 1500}
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"]'


@pytest.fixture(scope="module")
def causal_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("causal")
    shutil.copytree(PRETRAINED_DIR / MODEL, root / "shipped" / MODEL)  # this model only
    (root / "models").mkdir()
    with start_server(root / "models", root / "server.log", pretrained_dir=root / "shipped") as url:
        yield url


def tool(page, name: str, drawn: str | None) -> None:
    """Pick an Analyze tool and wait until its figure has drawn (``drawn``: a CSS selector;
    None: no figure yet)."""
    page.locator('[data-testid="stRadio"] label').filter(has_text=name).click()
    page.wait_for_timeout(300)
    page.wait_for_selector(DONE, timeout=60_000)
    if drawn is not None:
        page.wait_for_selector(f"{CHART} {drawn}", timeout=60_000)
        page.wait_for_timeout(700)


def test_causal_tools_draw_and_the_training_scrubber_moves(causal_url, page):
    page.set_viewport_size(TALL)
    page.goto(f"{causal_url}/?page=analyze&model=shipped/{MODEL}")
    page.wait_for_selector(DONE, timeout=90_000)
    page.get_by_text("known hidden variable").wait_for(timeout=90_000)

    tool(page, "Trajectories", ".scatterlayer .trace")
    assert page.locator(f"{CHART} .scatterlayer .trace").count() == 2  # inputs A and B
    assert page.locator(f"{CHART} .legendtext").all_text_contents() == ["A", "B"]
    screenshot(page, "causal-trajectories", readme="causal-trajectories.png")

    tool(page, "Attribution", ".barlayer .point")
    assert page.get_by_text(re.compile(r"Completeness: error 0\.\d\d%")).count() == 1
    screenshot(page, "causal-attribution", readme="causal-attribution.png")

    tool(page, "Patching", None)  # the sweep waits for its button
    page.get_by_role("button", name=re.compile("Patch every unit")).click()
    page.wait_for_selector(f"{CHART} .heatmaplayer image", timeout=60_000)
    page.wait_for_timeout(700)
    assert "Activation patching: layer 0" in page.locator(CHART).first.inner_text()
    screenshot(page, "causal-patching", readme="causal-patching.png")

    page.goto(f"{causal_url}/?page=explore&model=shipped/{MODEL}&view=training&unit=57")
    page.wait_for_selector(DONE, timeout=60_000)
    title = page.locator(f"{CHART} .gtitle").first
    title.wait_for(timeout=60_000)
    last = title.text_content()
    assert re.fullmatch(r"Unit 57 after [\d,]+ training steps", last), last
    thumb = page.get_by_role("slider").first  # the only slider: Training time
    thumb.focus()
    page.keyboard.press("Home")  # to the first evaluation
    page.wait_for_function(
        f"""() => {{
            const t = document.querySelector('{CHART} .gtitle');
            return t && t.textContent !== {last!r};
        }}""",
        timeout=30_000,
    )
    page.wait_for_selector(DONE)
    first = title.text_content()
    first_steps = int(re.search(r"after ([\d,]+)", first).group(1).replace(",", ""))
    last_steps = int(re.search(r"after ([\d,]+)", last).group(1).replace(",", ""))
    assert first_steps < last_steps
    for _ in range(8):  # part way through training: the picture for the README
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(1500)
    page.wait_for_selector(DONE)
    screenshot(page, "causal-emergence", readme="causal-emergence.png")
    assert_clean(page)
