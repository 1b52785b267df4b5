"""Explore for an encoder-decoder in a real browser: the shipped dates model's attention matrix,
linked to the decoder's gates; picking another generated token moves the outline. One server."""

from __future__ import annotations

import shutil

import pytest

from lstm_viz.pretrained import PRETRAINED_DIR
from tests.browser.conftest import start_server
from tests.browser.test_browser_pages import APP_READY, SCRIPT_DONE, assert_clean, screenshot

HEATMAP_DRAWN = '[data-testid="stPlotlyChart"] .heatmaplayer image'
NAME = "dates-attention-lstm"


@pytest.fixture(scope="module")
def seq2seq_url(tmp_path_factory):
    shipped = tmp_path_factory.mktemp("seq2seq-shipped")
    shutil.copytree(PRETRAINED_DIR / NAME, shipped / NAME)
    models = tmp_path_factory.mktemp("seq2seq-models")
    with start_server(models, models.parent / "seq2seq-server.log", shipped) as url:
        yield url


def test_attention_view_of_the_dates_model(seq2seq_url, page):
    page.goto(f"{seq2seq_url}/?page=explore&model=shipped/{NAME}")
    page.wait_for_selector(APP_READY)
    page.wait_for_selector(SCRIPT_DONE)
    page.get_by_text("Output:", exact=False).first.wait_for(timeout=60_000)
    page.wait_for_function(
        f"document.querySelectorAll('{HEATMAP_DRAWN}').length >= 4", timeout=60_000
    )
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "2021-03-03" in body
    assert "Attention" in body and "Attribution (integrated gradients)" in body
    # the first month digit (step 5) is picked: its row is outlined and the decoder named
    assert "step 5: '0'" in body
    screenshot(page, "seq2seq-attention", readme="seq2seq-attention.png")

    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")  # step 6: the second month digit
    page.wait_for_selector(SCRIPT_DONE)
    page.get_by_text("step 6: '3'", exact=False).first.wait_for(timeout=30_000)
    page.wait_for_function(  # the rerun drew the bars of the newly picked token
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .gtitle')]
              .some(t => t.textContent.includes("What '3' used"))""",
        timeout=30_000,
    )
    page.wait_for_function(
        f"document.querySelectorAll('{HEATMAP_DRAWN}').length >= 4", timeout=30_000
    )
    page.locator('[data-testid="stPlotlyChart"]').last.scroll_into_view_if_needed()
    screenshot(page, "seq2seq-gates")
    assert_clean(page)
