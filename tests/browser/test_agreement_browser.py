"""Analyze > Agreement in a real browser on the shipped agreement-word-lstm: the condition table,
the ablation table and Lakretz et al.'s figure draw, nothing leaves 127.0.0.1; the screenshot is
docs/images/agreement.png (README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import start_server
from tests.browser.test_analyze_browser import CHART, open_tool, settle, wait_for_charts
from tests.browser.test_browser_pages import assert_clean, screenshot, wait_until_drawn

SHIPPED = Path(__file__).resolve().parents[2] / "pretrained" / "agreement-word-lstm"
TALL = {"width": 1440, "height": 1620}


@pytest.fixture(scope="module")
def agreement_url(tmp_path_factory):
    shipped = tmp_path_factory.mktemp("agreement-shipped")
    (shipped / "agreement-word-lstm").symlink_to(SHIPPED)
    models = tmp_path_factory.mktemp("agreement-models")
    with start_server(models, models.parent / "agreement-server.log", shipped) as url:
        yield url


def test_agreement_section_draws(agreement_url, page):
    page.set_viewport_size(TALL)
    page.goto(f"{agreement_url}/?page=analyze&model=shipped/agreement-word-lstm")
    wait_until_drawn(page, "Analyze")
    page.get_by_text("known hidden variable").wait_for(timeout=60_000)
    open_tool(page, "🔢 Agreement")
    page.get_by_text("Number unit: layer 0 unit").first.wait_for(timeout=60_000)
    wait_for_charts(page, ".scatterlayer .trace", 4)
    settle(page)
    text = page.locator('[data-testid="stMarkdown"]').all_inner_texts()
    assert any("Zeroing unit" in t and "median unit drops it by" in t for t in text)
    assert page.locator(f"{CHART}").count() == 1
    screenshot(page, "analyze-agreement", readme="agreement.png")
    assert_clean(page)
