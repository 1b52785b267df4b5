"""The app as it opens for a new user: the shipped English model, "The cat sat on the mat.", every
heatmap drawn, and nothing trained first."""

from __future__ import annotations

import pytest

from lstm_viz.pretrained import PRETRAINED_DIR
from tests.browser.conftest import start_server
from tests.browser.test_browser_pages import APP_READY, assert_clean, screenshot
from tests.browser.test_explore_browser import wait_for_heatmaps


@pytest.fixture(scope="module")
def shipped_url(tmp_path_factory):
    models = tmp_path_factory.mktemp("empty-models")  # nothing trained: only what ships
    log = models.parent / "shipped-server.log"
    with start_server(models, log, pretrained_dir=PRETRAINED_DIR) as url:
        yield url


def test_app_opens_on_the_english_model_with_the_cat_sentence(shipped_url, page):
    page.goto(f"{shipped_url}/")
    page.wait_for_selector(APP_READY)
    wait_for_heatmaps(page)
    picker = page.locator('[data-testid="stSidebar"] input[aria-label="Model"]')
    assert "english-char-lstm" in picker.input_value()
    box = page.get_by_label("Text the model reads", exact=False)
    assert box.input_value() == "The cat sat on the mat."
    assert page.get_by_text("23 tokens").count() >= 1  # every character, none unknown
    assert page.locator(".lv-unknown").count() == 0
    screenshot(page, "default-model", readme="opening.png")
    assert_clean(page)


# Each chart's margins as plotly laid it out, beside the ones the figure asked for.
MARGINS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
    .map(d => [['l', 'r', 't', 'b'].map(k => Math.round(d._fullLayout._size[k])),
               ['l', 'r', 't', 'b'].map(k => d.layout.margin[k])])"""


def test_heatmaps_are_drawn_once_in_the_margins_they_ask_for(shipped_url, page):
    """lstm_viz.figures.heatmap.MARGIN: where plotly's automatic margins settle, so that plotly
    never draws a chart a second time with wider margins (a third of its time in Explore); on
    the character model and the word model (token labels turned -60 degrees)."""
    for model in ("english-char-lstm", "agreement-word-lstm"):
        page.goto(f"{shipped_url}/?model=shipped/{model}")
        page.wait_for_selector(APP_READY)
        wait_for_heatmaps(page)
        charts = page.evaluate(MARGINS)
        assert len(charts) == 6
        for laid_out, asked in charts:
            assert laid_out == asked, (model, laid_out, asked)
