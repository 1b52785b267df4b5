"""The ConvLSTM view in a real browser: the shipped moving-shapes model's frames and gate maps
draw, a pixel picks a unit, the animation plays in the browser, the unit and step-through views
draw; no request leaves the machine. Screenshot: docs/images/convlstm-explore.png."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.conftest import ROOT, start_server
from tests.browser.test_browser_pages import APP_READY, SCRIPT_DONE, assert_clean, screenshot
from tests.browser.test_explore_views_browser import VEGA_DRAWN, choose_view, wait_for_diagram

NAME = "moving-shapes-convlstm"
HEATMAPS_DRAWN = """(n) => document.querySelectorAll(
    '[data-testid="stPlotlyChart"] .heatmaplayer image').length >= n"""


@pytest.fixture(scope="module")
def convlstm_url(tmp_path_factory):
    shipped = tmp_path_factory.mktemp("convlstm-shipped")
    shutil.copytree(ROOT / "pretrained" / NAME, shipped / NAME)
    models = tmp_path_factory.mktemp("convlstm-models")
    with start_server(models, models.parent / "convlstm-server.log", shipped) as url:
        yield url


def wait_rerun(page) -> None:
    try:
        page.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="running"]', timeout=3_000
        )
    except Exception:  # a fast rerun can finish before we look
        pass
    page.wait_for_selector(SCRIPT_DONE, timeout=60_000)


def test_convlstm_frames_maps_unit_and_animation(convlstm_url, page):
    page.goto(f"{convlstm_url}/")
    page.wait_for_selector(APP_READY)
    page.wait_for_selector(SCRIPT_DONE, timeout=60_000)
    page.wait_for_function(HEATMAPS_DRAWN, arg=3 + 6, timeout=60_000)  # 3 frame rows, 6 maps
    for name, value in (("Channel", "2"), ("Row", "9"), ("Column", "14")):
        box = page.get_by_role("spinbutton", name=name)
        box.fill(value)
        box.press("Enter")
        wait_rerun(page)
    step = page.get_by_role("slider", name="Step")
    step.focus()
    for _ in range(5):
        step.press("ArrowRight")
    wait_rerun(page)
    page.get_by_text("Every gate and state at step 5").wait_for(timeout=60_000)
    page.wait_for_function(HEATMAPS_DRAWN, arg=9, timeout=60_000)
    page.set_viewport_size({"width": 1440, "height": 2300})  # the frames and every gate map
    page.wait_for_timeout(1_500)  # plotly redraws at the new size
    screenshot(page, "convlstm-explore", readme="convlstm-explore.png")
    page.set_viewport_size({"width": 1440, "height": 1100})

    # The animation plays in the browser: the slider's step label moves without a rerun.
    page.get_by_text("Animate over the steps").click()
    wait_rerun(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .slider-container', timeout=60_000)
    current = "() => document.querySelector('.slider-container .slider-label').textContent"
    before = page.evaluate(current)
    assert before == "step 5"
    page.locator(".updatemenu-button").filter(has_text="play").click()
    page.wait_for_function(f"() => ({current})() !== {before!r}", timeout=30_000)

    # The picked pixel's unit: channel 2, row 9, column 14 of 24 x 24 is unit 2*576 + 9*24 + 14.
    choose_view(page, "📈 Unit")
    page.get_by_text("Unit 1382: channel 2, row 9, column 14").wait_for()
    page.wait_for_selector(VEGA_DRAWN, timeout=60_000)
    choose_view(page, "⏯️ Step-through")
    wait_for_diagram(page, "1382")
    assert_clean(page)
