"""Analyze in a real browser: every tool draws on a trained bracket model, a click on the
saturation scatter opens that unit in Explore, and nothing leaves 127.0.0.1.

This file starts its own server on a private models folder holding a bracket-depth LSTM trained
here (a few seconds), and a vanilla RNN and a GRU on the same task for the gradient-flow view.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from lstm_viz.models.checkpoints import save_checkpoint
from lstm_viz.models.sequence import SequenceModel
from lstm_viz.tasks import make_task
from lstm_viz.training import model_config_for
from tests.browser.conftest import serving
from tests.browser.test_browser_pages import assert_clean, screenshot, wait_until_drawn
from tests.unit.analysis.test_finder import train_bracket_model

TALL = {"width": 1440, "height": 1700}
PARAMS = dict(
    types=1, max_depth=4, min_length=10, max_length=30, train_size=512, validation_size=200
)
SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"]'


def save_models(root: Path) -> None:
    task = make_task("dyck", **PARAMS)
    info = {"task": {"name": "dyck", "title": task.title, "params": task.params}}
    for cell in ("rnn_tanh", "gru"):
        torch.manual_seed(0)
        model = SequenceModel(model_config_for(task, cell=cell, hidden_size=8, embedding_size=8))
        save_checkpoint(root / f"brackets-{cell.split('_')[0]}", model, task.vocab, info)
    model, _ = train_bracket_model(task)
    save_checkpoint(root / "brackets-lstm", model, task.vocab, info)  # newest: selected


@pytest.fixture(scope="module")
def analyze_url(tmp_path_factory):
    with serving(tmp_path_factory, "analyze", save_models) as url:
        yield url


def wait_for_charts(page, selector: str, count: int = 1) -> None:
    page.wait_for_selector(SCRIPT_DONE)
    page.wait_for_function(
        f"document.querySelectorAll('{CHART} {selector}').length >= {count}", timeout=30_000
    )


def settle(page) -> None:
    """Tables draw on canvases after the script finished: wait for every one, then a beat."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
              .every(frame => frame.querySelector('canvas') !== null)""",
        timeout=30_000,
    )
    page.wait_for_timeout(500)


def open_tool(page, name: str) -> None:
    page.locator('[data-testid="stRadio"] label').filter(has_text=name).click()
    page.wait_for_timeout(300)
    page.wait_for_selector(SCRIPT_DONE)


def test_every_tool_draws_and_a_click_opens_explore(analyze_url, page):
    page.set_viewport_size(TALL)
    page.goto(f"{analyze_url}/")
    wait_until_drawn(page, "Explore")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Analyze").click()
    wait_until_drawn(page, "Analyze")
    page.get_by_text("known hidden variable: depth").wait_for(timeout=60_000)
    wait_for_charts(page, ".scatterlayer .point", 8 * 3)
    settle(page)
    screenshot(page, "analyze-saturation")

    open_tool(page, "Timescales")
    wait_for_charts(page, ".barlayer .point")
    settle(page)
    screenshot(page, "analyze-timescales")

    open_tool(page, "Unit finder")
    page.get_by_text("Top units for depth").wait_for(timeout=30_000)
    settle(page)
    screenshot(page, "analyze-finder", readme="analyze.png")
    box = page.get_by_label("Your feature", exact=False)
    box.fill(r"\(\(")
    box.press("Enter")
    page.wait_for_timeout(300)
    page.get_by_text("Top units for regex").wait_for(timeout=30_000)
    settle(page)
    screenshot(page, "analyze-finder-regex")

    open_tool(page, "Cell ledger")
    wait_for_charts(page, ".barlayer .point")
    page.get_by_text("Sum of the contributions").wait_for()
    settle(page)
    screenshot(page, "analyze-ledger", readme="analyze-ledger.png")

    open_tool(page, "Interventions")
    wait_for_charts(page, ".scatterlayer .trace", 4)
    page.get_by_text("Largest change at step").wait_for()
    settle(page)
    screenshot(page, "analyze-interventions")

    open_tool(page, "Gradient flow")
    wait_for_charts(page, ".scatterlayer .trace", 3)
    settle(page)
    screenshot(page, "analyze-gradients")

    open_tool(page, "Pattern search")
    page.get_by_text(re.compile(r"spans\s+in")).first.wait_for(timeout=30_000)
    settle(page)
    screenshot(page, "analyze-patterns")
    page.locator('[data-testid="stRadio"] label').filter(has_text="a span you select").click()
    page.wait_for_timeout(300)
    page.wait_for_selector(SCRIPT_DONE)
    page.get_by_text(re.compile("Units on throughout|No unit stays")).first.wait_for()
    settle(page)
    screenshot(page, "analyze-patterns-span")
    assert_clean(page)

    # Back to saturation: a click on a unit's point opens it in Explore.
    open_tool(page, "Saturation")
    wait_for_charts(page, ".scatterlayer .point", 8 * 3)
    box = page.locator(f"{CHART} .scatterlayer .point").nth(5).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)  # plotly finds the point under the mouse on hover
    page.mouse.down()
    page.mouse.up()
    page.get_by_role("heading", level=1, name=re.compile("Explore")).wait_for(timeout=30_000)
    page.wait_for_selector(SCRIPT_DONE)
    settle(page)
    screenshot(page, "analyze-opened-in-explore")
    assert_clean(page)
