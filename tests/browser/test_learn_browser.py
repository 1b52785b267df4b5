"""Learn in a real browser: sliders move the cell's numbers, a classroom link hides the controls
and they stay hidden, an exercise answered wrong and right, a presenter view with larger type.

This file starts its own server on a private models folder holding small checkpoints saved here
(a hand-built bracket counter, a character model, a word model): the shipped models are not
needed, the tours fall back to a model that fits.
"""

from __future__ import annotations

import math

import pytest

from tests.browser.conftest import start_server
from tests.browser.test_browser_pages import (
    APP_READY,
    SCRIPT_DONE,
    assert_clean,
    screenshot,
    wait_until_drawn,
)
from tests.lesson_models import COUNTER_UNIT, save_char, save_counter, save_word

TALL = {"width": 1440, "height": 2300}
NODE = '.lv-playground .lv-node[data-name="{name}"]'


@pytest.fixture(scope="module")
def learn_url(tmp_path_factory):
    models = tmp_path_factory.mktemp("learn-models")
    save_counter(models, "dyck-counter")
    save_char(models, "english-char-lstm")
    save_word(models, "agreement-word-lstm")
    with start_server(models, models.parent / "learn-server.log") as url:
        yield url


def node_value(page, name: str) -> float:
    return float(page.locator(NODE.format(name=name)).get_attribute("data-value"))


def wait_done(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(SCRIPT_DONE)


def slider(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")


def keyed(key_prefix: str) -> str:
    """A selector for the element whose Streamlit key starts with ``key_prefix`` (Streamlit
    writes the key as a class, with '.' and '/' as '-')."""
    return f'[class*="st-key-{key_prefix.replace(".", "-").replace("/", "-")}"]'


def open_learn(page, url: str) -> None:
    page.set_viewport_size(TALL)
    page.goto(f"{url}/")
    wait_until_drawn(page, "Explore")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Learn").click()
    wait_until_drawn(page, "Learn")


def test_sliders_move_the_cell(learn_url, page):
    open_learn(page, learn_url)
    page.locator(".lv-playground svg").wait_for()
    slider(page, "f: bias").wait_for()
    forget, cell = node_value(page, "forget_gate"), node_value(page, "cell")
    assert forget == pytest.approx(1 / (1 + math.exp(-1.5)), abs=1e-4)  # the default bias 1.5

    thumb = slider(page, "f: bias")
    thumb.focus()
    for _ in range(10):  # +1.0 in steps of 0.1
        thumb.press("ArrowRight")
    page.wait_for_function(
        f"""() => Math.abs(parseFloat(document.querySelector('{NODE.format(name="forget_gate")}')
              .dataset.value) - {1 / (1 + math.exp(-2.5))}) < 1e-4""",
        timeout=30_000,
    )
    wait_done(page)
    assert node_value(page, "cell") > cell  # more old memory kept (c_prev = 0.5 > 0)
    assert page.get_by_text(f"keeps {100 / (1 + math.exp(-2.5)):.0f}% of its old memory").count()
    page.locator('[data-testid="stPlotlyChart"] .scatterlayer').first.wait_for(timeout=30_000)
    screenshot(page, "learn-cell", readme="learn.png")

    play = page.get_by_role("button", name="▶ Play")
    play.scroll_into_view_if_needed()
    play.click()
    page.get_by_text("Step 30.").wait_for(timeout=30_000)
    wait_done(page)
    page.get_by_text("Step 30.").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    screenshot(page, "learn-story")
    assert_clean(page)


def test_classroom_link_hides_controls_across_reruns(learn_url, page):
    page.set_viewport_size(TALL)
    page.goto(f"{learn_url}/?page=learn&view=tour-cat&hide=1")
    page.wait_for_selector(APP_READY)
    page.get_by_role("heading", level=1, name="🎓 Learn").wait_for(timeout=30_000)
    wait_done(page)
    page.get_by_text("Stop 1 of").wait_for()
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.count() == 0 or not sidebar.is_visible()
    assert page.locator('[data-testid="stSidebarCollapsedControl"]:visible').count() == 0
    assert page.get_by_role("radio", name="🐈 The cat sat on the mat.").count() == 0

    page.get_by_role("button", name="Next ▶").click()  # an interaction reruns the script
    page.get_by_text("Stop 2 of").wait_for(timeout=30_000)
    wait_done(page)
    page.locator('[data-testid="stPlotlyChart"] .heatmaplayer image').first.wait_for()
    assert sidebar.count() == 0 or not sidebar.is_visible()  # still hidden
    assert page.get_by_role("radio", name="🐈 The cat sat on the mat.").count() == 0
    screenshot(page, "learn-classroom-tour")
    assert_clean(page)


def test_classroom_cell_view_has_no_sliders_and_presents_large(learn_url, page):
    page.set_viewport_size(TALL)
    page.goto(f"{learn_url}/?page=learn&view=cell&hide=1&present=1")
    page.wait_for_selector(APP_READY)
    page.get_by_role("heading", level=1, name="🎓 Learn").wait_for(timeout=30_000)
    wait_done(page)
    page.locator(".lv-playground svg").wait_for()
    assert slider(page, "f: bias").count() == 0
    # The presenter style arrives with the script's output: wait for it rather than race it.
    page.wait_for_function(
        """() => {
            const p = document.querySelector(
                '[data-testid="stMain"] [data-testid="stMarkdownContainer"] p');
            return p !== null && parseFloat(getComputedStyle(p).fontSize) > 20;
        }""",
        timeout=15_000,
    )
    step = slider(page, "step")  # the story's step still works, and nothing reappears
    step.focus()
    step.press("Home")
    page.get_by_text("Step 0.").wait_for(timeout=30_000)
    wait_done(page)
    assert slider(page, "f: bias").count() == 0
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    screenshot(page, "learn-classroom-present")
    assert_clean(page)


def test_depth_exercise_wrong_then_right(learn_url, page):
    open_learn(page, learn_url)
    page.locator('[data-testid="stButtonGroup"]').get_by_text("Exercises").click()
    page.get_by_text("Find the bracket counter").wait_for(timeout=30_000)
    wait_done(page)
    unit = page.get_by_label("Unit", exact=True)
    unit.fill(str((COUNTER_UNIT + 1) % 5))
    unit.press("Enter")
    wait_done(page)
    check = page.locator(f"{keyed('learn.exercise.depth.check')} button")
    check.click()
    error = page.locator('[data-testid="stAlert"]').filter(has_text="Hint")
    error.wait_for(timeout=60_000)
    assert "❌" in error.inner_text()

    unit.fill(str(COUNTER_UNIT))
    unit.press("Enter")
    wait_done(page)
    check.click()
    right = page.locator('[data-testid="stAlert"]').filter(has_text="Yes!")
    right.wait_for(timeout=30_000)
    assert f"Unit {COUNTER_UNIT} of layer 0" in right.inner_text()
    page.locator('[data-testid="stPlotlyChart"] .heatmaplayer image').first.wait_for()
    screenshot(page, "learn-exercise")
    assert_clean(page)


def test_link_builder_shows_the_full_address_and_the_link_works(learn_url, page):
    open_learn(page, learn_url)
    page.locator('[data-testid="stButtonGroup"]').get_by_text("Classroom link").click()
    page.get_by_text("A link for your class").wait_for(timeout=30_000)
    wait_done(page)
    page.locator('[data-testid="stCheckbox"]').filter(has_text="Hide controls").click()
    wait_done(page)
    code = page.locator('[data-testid="stCode"]').first
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stCode\"]').innerText.includes('hide=1')"
    )
    url = code.inner_text().strip()
    assert url == f"{learn_url}/?page=learn&view=cell&hide=1"
    screenshot(page, "learn-link")
    assert_clean(page)

    page.goto(url)  # a fresh session from that link: the cell, without sliders or sidebar
    page.wait_for_selector(APP_READY)
    page.get_by_role("heading", level=1, name="🎓 Learn").wait_for(timeout=30_000)
    wait_done(page)
    page.locator(".lv-playground svg").wait_for()
    assert slider(page, "f: bias").count() == 0
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
