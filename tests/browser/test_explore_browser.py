"""Explore in a real browser: type, press Enter, the heatmaps draw; change layer; all local.

The shared server fixture inherits whatever models folder the first test had, so this file starts
its own server on a private models folder holding a small checkpoint saved here.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from lstm_viz.models.checkpoints import save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab
from tests.browser.conftest import serving
from tests.browser.test_browser_pages import APP_READY, SCRIPT_DONE, assert_clean, screenshot

HEATMAP_DRAWN = '[data-testid="stPlotlyChart"] .heatmaplayer image'
TEXT = "The cat sat on the mat, and the dog sat on the log."


def save_model(root: Path) -> Path:
    """A 2-layer char LSTM over English letters (random weights, seeded)."""
    torch.manual_seed(0)
    vocab = Vocab.build(["The quick brown fox jumps over the lazy dog. Thé, cat!"])
    model = SequenceModel(
        ModelConfig(
            vocab_size=len(vocab),
            embedding_size=8,
            hidden_size=24,
            num_layers=2,
            num_outputs=len(vocab),
        )
    )
    task = {"name": "text-english", "title": "English prose", "params": {}}
    return save_checkpoint(root / "char-lstm", model, vocab, {"task": task})


@pytest.fixture(scope="module")
def explore_url(tmp_path_factory):
    with serving(tmp_path_factory, "explore", save_model) as url:
        yield url


def wait_for_heatmaps(page, count: int = 6) -> None:
    page.wait_for_selector(SCRIPT_DONE)
    page.wait_for_function(
        f"document.querySelectorAll('{HEATMAP_DRAWN}').length >= {count}", timeout=30_000
    )


def tick_labels(page, chart: int = 0) -> list[str]:
    return (
        page.locator('[data-testid="stPlotlyChart"]')
        .nth(chart)
        .locator(".xtick text")
        .all_inner_texts()
    )


def test_type_enter_and_change_layer(explore_url, page):
    page.goto(f"{explore_url}/")
    page.wait_for_selector(APP_READY)
    wait_for_heatmaps(page)
    assert "The cat sat on the mat." in page.get_by_role("textbox").first.input_value()
    screenshot(page, "explore-default")

    box = page.get_by_label("Text the model reads", exact=False)
    box.fill(TEXT + " 🐟")
    started = time.monotonic()
    box.press("Enter")
    page.wait_for_function(
        "[...document.querySelectorAll('.lv-token')].length > 50", timeout=30_000
    )
    wait_for_heatmaps(page)
    # The chart drew the new tokens, and the fish (not in the vocabulary) is marked.
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .xtick text')]
              .some(t => t.textContent === 'g')""",
        timeout=30_000,
    )
    seconds = time.monotonic() - started
    unknown = page.locator(".lv-unknown")
    assert unknown.count() == 1 and unknown.inner_text() == "🐟"
    assert "<unk>" in unknown.get_attribute("title")
    screenshot(page, "explore-typed", readme="explore.png")

    page.locator('[data-testid="stRadio"]').get_by_text("Layer 1").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .gtitle, '
              + '[data-testid="stPlotlyChart"] .g-gtitle text')]
              .some(t => t.textContent.includes('layer 1'))""",
        timeout=30_000,
    )
    wait_for_heatmaps(page)
    page.locator('[data-testid="stPlotlyChart"]').first.hover()
    screenshot(page, "explore-layer1")
    page.locator('[data-testid="stPlotlyChart"]').nth(5).scroll_into_view_if_needed()
    screenshot(page, "explore-states")

    # A long input: averaged over windows of steps, and the page says so.
    box.fill("the cat sat on the mat. " * 60)
    box.press("Enter")
    page.get_by_text("mean over windows of", exact=False).first.wait_for(timeout=30_000)
    wait_for_heatmaps(page)
    page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    screenshot(page, "explore-long")
    assert_clean(page)
    assert seconds < 20, f"typing to drawn took {seconds:.1f} s"
