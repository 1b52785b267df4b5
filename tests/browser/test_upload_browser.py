"""Upload in a real browser: a state dict goes in through the file input, the mapping table and
the heatmaps appear, and the model opens in Explore."""

from __future__ import annotations

import json

import torch
from torch import nn

from tests.toy_models import Classifier as TextClassifier

from .test_browser_pages import assert_clean, screenshot, wait_until_drawn

TALL = {"width": 1440, "height": 2600}  # the table, the check and the heatmaps in one shot
HEATMAP = '[data-testid="stPlotlyChart"] .heatmaplayer image'
SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


class Classifier(nn.Module):
    """The standard example inside a typical classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(30, 10)
        self.lstm = nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
        self.fc = nn.Linear(20, 3)


def test_upload_a_state_dict_see_the_table_and_heatmaps(app_url, page, tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "classifier.pt"
    torch.save(Classifier().state_dict(), path)

    page.set_viewport_size(TALL)
    page.goto(f"{app_url}/")
    wait_until_drawn(page, "Explore")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Upload").click()
    wait_until_drawn(page, "Upload")
    page.get_by_text("Limit: 200 MB per file").wait_for()

    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(path)
    page.get_by_text("2 recurrent layers found in 1 module").wait_for(timeout=60_000)
    page.wait_for_selector(SCRIPT_DONE)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for()
    page.get_by_text("largest difference").first.wait_for(timeout=60_000)
    page.wait_for_function(
        f"() => document.querySelectorAll('{HEATMAP}').length >= 6", timeout=60_000
    )
    page.wait_for_timeout(500)
    screenshot(page, "upload-ids")
    assert page.locator('[data-testid="stAlertContentSuccess"]').count() >= 1
    assert (
        "torch.nn.LSTM" in page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    )
    assert_clean(page)

    page.get_by_role("button", name="Open in Explore").click()
    page.get_by_role("heading", level=1, name="🔍 Explore").wait_for(timeout=60_000)
    page.wait_for_selector(SCRIPT_DONE)
    page.wait_for_function(
        f"() => document.querySelectorAll('{HEATMAP}').length >= 6", timeout=60_000
    )
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("1 uploaded").wait_for()
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "classifier-lstm" in main and "uploaded: classifier.pt · lstm" in main
    assert "As the model reads it: 5 tokens" in main  # the ids recorded on the Upload page
    assert "not in the vocabulary" not in main
    screenshot(page, "upload-explore")
    assert_clean(page)


def test_upload_a_model_and_its_vocabulary_and_record_typed_text(app_url, page, tmp_path):
    text = "The cat sat on the mat."
    vocab = {c: i for i, c in enumerate(sorted(set(text)))}  # {token: id}, one per embedding row
    torch.manual_seed(0)
    model, vocab_path = tmp_path / "classifier.pt", tmp_path / "vocab.json"
    torch.save(TextClassifier(vocab_size=len(vocab), hidden=12).state_dict(), model)
    vocab_path.write_text(json.dumps(vocab))

    page.set_viewport_size(TALL)
    page.goto(f"{app_url}/")
    wait_until_drawn(page, "Explore")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Upload").click()
    wait_until_drawn(page, "Upload")
    files = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    files.first.set_input_files(model)
    page.get_by_text("2 recurrent layers found in 1 module").wait_for(timeout=60_000)
    page.wait_for_selector(SCRIPT_DONE)
    files.nth(1).set_input_files(vocab_path)
    box = page.get_by_label("Text (at most", exact=False)
    box.wait_for(timeout=60_000)
    box.fill("the mat sat on the cat.")
    box.press("Enter")
    page.get_by_text("As the model reads it: 23 tokens").wait_for(timeout=60_000)
    page.wait_for_selector(SCRIPT_DONE)
    page.wait_for_function(
        f"() => document.querySelectorAll('{HEATMAP}').length >= 6", timeout=60_000
    )
    page.wait_for_timeout(500)
    screenshot(page, "upload", readme="upload.png")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "our recording vs our reading" in main and "agrees" in main
    assert "No runtime could confirm this mapping" in main
    assert "not in the vocabulary" not in main
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert_clean(page)
