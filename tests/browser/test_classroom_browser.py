"""A locked classroom link in a real browser (issue 16): ``hide=1&present=1`` shows no control at
any moment from the first paint through three interactions and a reload, keeps its address when
a tour opens Explore, and draws plotly type at least 1.5x the normal view's.

"At any moment": a script installed before the page loads checks for a visible control on every
animation frame and keeps what it saw; screenshots are taken early during the load, after each
interaction and after the reload (tests/browser/screenshots/classroom-*.png).
One server, a private models folder with one small character model (the cat tour uses it).
"""

from __future__ import annotations

import statistics
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import serving
from tests.browser.test_browser_pages import APP_READY, SCRIPT_DONE, assert_clean, screenshot
from tests.lesson_models import save_char

# What counts as a control: the sidebar and its toggles, every picker and input, the share
# expander, the app menu. The tour's Back/Next and "Open in Explore" are the lesson's own
# buttons (the class moves through it), so plain buttons are not listed.
CONTROLS = [
    '[data-testid="stSidebar"]',
    '[data-testid="stSidebarCollapsedControl"]',
    '[data-testid="stExpandSidebarButton"]',
    '[data-testid="stSidebarNav"]',
    '[data-testid="stSelectbox"]',
    '[data-testid="stMultiSelect"]',
    '[data-testid="stRadio"]',
    '[data-testid="stNumberInput"]',
    '[data-testid="stSlider"]',
    '[data-testid="stTextInput"]',
    '[data-testid="stTextArea"]',
    '[data-testid="stCheckbox"]',
    '[data-testid="stButtonGroup"]',
    '[data-testid="stFileUploader"]',
    '[data-testid="stExpander"]',
    '[data-testid="stMainMenu"]',
]
WATCH = """(() => {
  const selectors = %s;
  window.__controls = [];
  const t0 = performance.now();
  const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const look = () => {
    for (const s of selectors) for (const e of document.querySelectorAll(s)) if (visible(e))
      window.__controls.push([Math.round(performance.now() - t0), s,
                              (e.innerText || '').slice(0, 40)]);
    window.__frames = (window.__frames || 0) + 1;
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})()"""
PLOT_TEXT = """() => {
  const sizes = {};
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    for (const [name, sel] of [['ticks', '.xtick text, .ytick text'], ['title', '.gtitle'],
                               ['axis titles', '.xtitle, .ytitle'],
                               ['legend', '.legendtext'], ['colour bar', '.cbaxis text']])
      for (const t of chart.querySelectorAll(sel))
        (sizes[name] = sizes[name] || []).push(parseFloat(getComputedStyle(t).fontSize));
  return sizes;
}"""
HEATMAP = '[data-testid="stPlotlyChart"] .heatmaplayer image'
LINK = "/?page=learn&view=tour-cat&hide=1&present=1"


@pytest.fixture(scope="module")
def classroom_url(tmp_path_factory):
    with serving(tmp_path_factory, "classroom", lambda m: save_char(m, "english-char-lstm")) as url:
        yield url


def settle(page) -> None:
    page.wait_for_selector(APP_READY, timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(SCRIPT_DONE, timeout=60_000)


def seen(page) -> list:
    return page.evaluate("() => window.__controls")


def plot_text(page) -> dict[str, list[float]]:
    page.locator(HEATMAP).first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    return page.evaluate(PLOT_TEXT)


def test_a_locked_presenter_link_never_shows_a_control_and_keeps_its_address(
    classroom_url, browser
):
    # The normal view of the same tour stop: the sizes to beat.
    normal = browser.new_context(viewport={"width": 1440, "height": 1400}).new_page()
    normal.goto(f"{classroom_url}/?page=learn&view=tour-cat")
    settle(normal)
    normal.get_by_text("Stop 1 of").wait_for(timeout=60_000)
    normal_sizes = plot_text(normal)
    normal.context.close()

    context = browser.new_context(viewport={"width": 1440, "height": 1400})
    context.add_init_script(WATCH % CONTROLS)
    page = context.new_page()
    page.recorded = _recorder(page)
    page.goto(classroom_url + LINK, wait_until="commit")
    for k in range(3):  # early in the load, before the script has drawn anything much
        page.wait_for_timeout(400)
        screenshot(page, f"classroom-0-load-{k}")
    settle(page)
    page.get_by_text("Stop 1 of").wait_for(timeout=60_000)
    present_sizes = plot_text(page)
    screenshot(page, "classroom-1-loaded")
    assert page.evaluate("() => window.__frames") > 20  # the watcher ran through the load
    assert seen(page) == []

    # Plotly's own text, read from the DOM: every kind at least 1.5x the normal view's.
    for kind in ("ticks", "title", "axis titles"):
        assert normal_sizes.get(kind) and present_sizes.get(kind), (kind, present_sizes)
        ratio = min(present_sizes[kind]) / statistics.median(normal_sizes[kind])
        assert ratio >= 1.5, (kind, normal_sizes[kind], present_sizes[kind])

    page.get_by_role("button", name="Next ▶").click()  # interaction 1
    page.get_by_text("Stop 2 of").wait_for(timeout=30_000)
    settle(page)
    screenshot(page, "classroom-2-next")
    page.get_by_role("button", name="Next ▶").click()  # interaction 2
    page.get_by_text("Stop 3 of").wait_for(timeout=30_000)
    settle(page)
    screenshot(page, "classroom-3-next")
    assert seen(page) == []

    page.get_by_role("button", name="Open in Explore").click()  # interaction 3: another page
    page.get_by_role("heading", level=1, name="🔍 Explore").wait_for(timeout=60_000)
    settle(page)
    page.wait_for_timeout(1500)  # charts draw after the script
    screenshot(page, "classroom-4-explore")
    assert seen(page) == []
    address = parse_qs(urlsplit(page.url).query)
    assert address["hide"] == ["1"] and address["present"] == ["1"], page.url
    assert address["page"] == ["explore"] and address["model"] == ["trained/english-char-lstm"]
    assert address["text"] == ["The cat sat on the mat."]

    page.reload(wait_until="commit")  # a fresh session from the address: still in class
    page.wait_for_timeout(400)
    screenshot(page, "classroom-5-reload-early")
    page.get_by_role("heading", level=1, name="🔍 Explore").wait_for(timeout=60_000)
    settle(page)
    page.wait_for_timeout(1500)
    screenshot(page, "classroom-6-reloaded")
    assert seen(page) == []
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1  # the unit's lines
    assert_clean(page)
    context.close()


def _recorder(page):
    from tests.browser.conftest import Recorded

    recorded = Recorded()
    page.on("request", lambda request: recorded.requests.append(request.url))
    page.on(
        "console",
        lambda m: recorded.console.append((m.type, m.text, m.location.get("url", ""))),
    )
    page.on("pageerror", lambda error: recorded.page_errors.append(str(error)))
    return recorded


THUMBS = """() => [...document.querySelectorAll('[data-testid="stSliderThumbValue"]')].map(v => {
  const value = v.getBoundingClientRect(), handle = v.parentElement.getBoundingClientRect();
  return [v.innerText, value.height, value.bottom, handle.top];
})"""


def test_a_presenter_sliders_value_sits_above_its_handle(classroom_url, browser):
    """present=1 enlarges a slider's value (Markdown type): it stays above the handle, as in the
    normal view (it grew down over the handle: Explore's Predictions, k and Step)."""
    page = browser.new_context(viewport={"width": 1440, "height": 1400}).new_page()
    page.goto(f"{classroom_url}/?page=explore&hide=1&present=1&view=predictions")
    settle(page)
    page.get_by_text("How many guesses per step").wait_for(timeout=60_000)
    thumbs = page.evaluate(THUMBS)
    screenshot(page, "classroom-present-sliders")
    assert len(thumbs) == 2, thumbs  # k and Step
    for text, height, bottom, top in thumbs:
        assert height > 30, thumbs  # the presenter's larger type
        assert bottom <= top + 0.5, (text, bottom, top)
    page.context.close()
