"""Explore's views in a real browser: order units, pick a unit, step through, predictions,
compare two inputs, export, and open a shared link. Screenshots in tests/browser/screenshots/.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.links import query_string
from tests.browser.conftest import serving
from tests.browser.test_browser_pages import APP_READY, SCRIPT_DONE, assert_clean, screenshot
from tests.browser.test_explore_browser import HEATMAP_DRAWN, save_model, wait_for_heatmaps

VEGA_DRAWN = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
MODEL = "trained/char-lstm"


@pytest.fixture(scope="module")
def explore_url(tmp_path_factory):
    with serving(tmp_path_factory, "explore-views", save_model) as url:
        yield url


def choose_view(page, label: str) -> None:
    page.locator('[data-testid="stRadio"]').get_by_text(label, exact=True).click()
    page.wait_for_selector(SCRIPT_DONE)


def wait_rerun(page) -> None:
    """Wait for the script to start and finish again after an interaction."""
    try:
        page.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="running"]', timeout=3_000
        )
    except Exception:  # a fast rerun can finish before we look
        pass
    page.wait_for_selector(SCRIPT_DONE, timeout=30_000)


def wait_for_diagram(page, text: str) -> None:
    """Wait until a chart title (the step diagram's) contains ``text``."""
    page.wait_for_function(
        """(text) => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .gtitle')]
              .some(t => t.textContent.includes(text))""",
        arg=text,
        timeout=30_000,
    )


def test_order_pick_a_unit_step_predict_compare_export(explore_url, page):
    page.goto(f"{explore_url}/")
    page.wait_for_selector(APP_READY)
    wait_for_heatmaps(page)

    # Order units by variance, top 8: every heatmap shows 8 rows labelled with unit numbers.
    page.get_by_role("combobox", name="Order units").click()
    page.get_by_role("option", name="by variance", exact=False).click()
    wait_rerun(page)
    top = page.get_by_role("spinbutton", name="Show the top k (0: all)")
    top.fill("8")
    top.press("Enter")
    wait_rerun(page)
    wait_for_heatmaps(page)
    page.wait_for_function(
        """() => document.querySelectorAll('[data-testid="stPlotlyChart"]')[0]
              .querySelectorAll('.ytick text').length === 8"""
    )
    screenshot(page, "explore-ordered")

    # Pick a unit, open its view: lines and the coloured text draw.
    unit = page.get_by_role("spinbutton", name="Unit (0-23)")
    unit.fill("5")
    unit.press("Enter")
    wait_rerun(page)
    choose_view(page, "📈 Unit")
    page.wait_for_selector(VEGA_DRAWN, timeout=30_000)
    page.wait_for_selector(".lv-coloured .lv-char")
    assert page.locator(".lv-coloured .lv-char").count() == len("The cat sat on the mat.")
    # The lines really have height (Streamlit fits title and legend into the chart's height).
    plot = page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()
    assert plot["height"] > 200, plot
    screenshot(page, "explore-unit")

    # Step-through: the slider moves with the keyboard, the diagram follows; Step ▶ too.
    choose_view(page, "⏯️ Step-through")
    wait_for_diagram(page, "Unit 5 at step 0")
    thumb = page.locator('input[type="range"][aria-label="Step t"]')
    thumb.focus()
    for _ in range(4):
        thumb.press("ArrowRight")
    wait_for_diagram(page, "Unit 5 at step 4")
    page.get_by_text("At step 4 the model reads 'c'.").wait_for()
    assert (
        "keeps"
        in page.locator('[data-testid="stMarkdown"]')
        .filter(has_text="forget gate keeps")
        .first.inner_text()
    )
    page.get_by_role("button", name="Step ▶").click()
    wait_for_diagram(page, "Unit 5 at step 5")
    page.get_by_text("At step 5 the model reads 'a'.").wait_for()
    screenshot(page, "explore-step", readme="explore-step.png")
    # The Share link follows the step: Step ▶ reruns only the player, which draws the link.
    page.get_by_text("🔗 Share this view").click()
    page.locator('[data-testid="stCode"]').filter(has_text="step=5").wait_for()
    page.get_by_role("button", name="Step ▶").click()
    page.locator('[data-testid="stCode"]').filter(has_text="step=6").wait_for()

    # Predictions: the table and the bars for one step.
    choose_view(page, "🔮 Predictions")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=30_000)
    page.wait_for_selector(VEGA_DRAWN, timeout=30_000)
    page.locator('[data-testid="stVegaLiteChart"]').first.scroll_into_view_if_needed()
    screenshot(page, "explore-predictions")

    # Compare two inputs: a, b and the difference draw.
    choose_view(page, "⚖️ Compare")
    other = page.get_by_role("textbox", name="Second input (b), then press Enter")
    other.fill("The dog sat on the log.")
    other.press("Enter")
    wait_rerun(page)
    page.wait_for_function(
        f"document.querySelectorAll('{HEATMAP_DRAWN}').length >= 3", timeout=30_000
    )
    page.get_by_text("Difference b − a").wait_for()
    page.locator('[data-testid="stPlotlyChart"]').nth(2).scroll_into_view_if_needed()
    screenshot(page, "explore-compare")

    # Export: three downloads; a CSV download really arrives.
    choose_view(page, "💾 Export")
    with page.expect_download() as download:
        page.get_by_role("button", name="⬇️ .csv").click()
    path = download.value.path()
    head = open(path, encoding="utf-8").readline()
    assert head.startswith("quantity,layer,direction,batch,time,unit,token,value")
    page.locator('[data-testid="stExpander"]').get_by_text("Share this view").click()
    link = page.locator('[data-testid="stCode"]').last.inner_text()
    assert (
        "page=explore" in link
        and "view=export" in link
        and link.startswith(f"{explore_url}/?page=explore")
    )
    screenshot(page, "explore-export")

    # Charts save as SVG from their own toolbar, in the browser (nothing leaves the machine).
    page.locator('[data-testid="stRadio"]').get_by_text("SVG", exact=True).click()
    wait_rerun(page)
    choose_view(page, "🌡️ Heatmaps")
    wait_for_heatmaps(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.hover()
    with page.expect_download() as download:
        chart.locator('.modebar-btn[data-title^="Download plot"]').click()
    assert download.value.suggested_filename == "lstm-viz.svg"
    assert open(download.value.path(), encoding="utf-8").read(200).lstrip().startswith("<svg")
    assert_clean(page)


def test_a_shared_link_opens_the_same_view(explore_url, page):
    text = "The mat sat on the cat."
    query = query_string(
        page="explore", model=MODEL, text=text, layer=1, view="step", unit=7, step=3
    )
    page.goto(f"{explore_url}/{query}")
    page.wait_for_selector(APP_READY)
    page.wait_for_selector(SCRIPT_DONE)
    wait_for_diagram(page, "Unit 7 at step 3")
    from playwright.sync_api import expect  # here: without playwright the fixtures skip

    expect(page.get_by_role("textbox").first).to_have_value(text)
    expect(page.get_by_role("spinbutton", name="Unit (0-23)")).to_have_value("7")
    # The page's own share link says the same layer, view, unit and step.
    page.locator('[data-testid="stExpander"]').get_by_text("Share this view").click()
    link = page.locator('[data-testid="stCode"]').last.inner_text()
    assert link.endswith(query), link
    screenshot(page, "explore-shared-link")
    assert_clean(page)
    assert quote(MODEL, safe="") in query


def test_a_classroom_link_hides_the_pickers_and_keeps_them_hidden(explore_url, page):
    query = query_string(
        page="explore", model=MODEL, text="The cat sat.", layer=1, view="step", unit=7, step=2,
        hide=True,
    )  # fmt: skip
    page.goto(f"{explore_url}/{query}")
    page.wait_for_selector(APP_READY)
    page.wait_for_selector(SCRIPT_DONE)
    wait_for_diagram(page, "Unit 7 at step 2")
    from playwright.sync_api import expect

    # The prepared input shows as the tokens read; no input box, picker, sidebar or share link.
    expect(page.locator(".lv-tokens")).to_contain_text("cat")
    pickers = page.locator(
        '[data-testid="stSidebar"], [data-testid="stTextInput"], [data-testid="stRadio"], '
        '[data-testid="stNumberInput"], [data-testid="stSelectbox"], [data-testid="stExpander"]'
    )
    assert pickers.count() == 0
    page.get_by_role("button", name="Step ▶").click()  # the view's own controls still work
    wait_for_diagram(page, "Unit 7 at step 3")
    assert pickers.count() == 0
    screenshot(page, "explore-classroom")
    assert_clean(page)


BOXES_FIT = """() => {
  const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .find(c => c.querySelector('.gtitle')?.textContent.includes('at step'));
  const rects = [...chart.querySelectorAll('.shapelayer path')].map(p => p.getBoundingClientRect());
  return [...chart.querySelectorAll('.annotation-text')].filter(t => t.textContent.trim())
    .map(t => {
      const b = t.getBoundingClientRect(), x = (b.left + b.right) / 2, y = (b.top + b.bottom) / 2;
      const r = rects.find(r => r.left <= x && x <= r.right && r.top <= y && y <= r.bottom);
      return {text: t.textContent, fits: !!r && b.left >= r.left - 1 && b.right <= r.right + 1
        && b.top >= r.top - 1 && b.bottom <= r.bottom + 1};
    });
}"""


def test_step_diagram_labels_fit_their_boxes(explore_url, browser):
    """At 1024x768 "candidate g" and "+ memory c" overflowed their boxes (the diagram shared the
    row with the words), also with present=1 (type 1.5x larger); every box's label and number
    now lie inside it at 1024x768, presenter view or not (a wider window gives wider boxes;
    1300x900 was looked at too)."""
    for width, height, present in ((1024, 768, True), (1024, 768, False)):  # 1300 px: wider
        query = query_string(
            page="explore", model=MODEL, text="The cat sat.", view="step", unit=3, step=2,
            present=present,
        )  # fmt: skip
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        page.goto(f"{explore_url}/{query}")
        page.wait_for_selector(APP_READY)
        page.wait_for_selector(SCRIPT_DONE)
        wait_for_diagram(page, "Unit 3 at step 2")
        labels = page.evaluate(BOXES_FIT)
        assert len(labels) == 10 and any("candidate g" in x["text"] for x in labels), labels
        assert all(x["fits"] for x in labels), (
            width,
            present,
            [x for x in labels if not x["fits"]],
        )
        if width == 1024 and present:
            page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
            screenshot(page, "explore-step-presenter")
        page.context.close()
