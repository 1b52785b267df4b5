"""Training in a real browser: the progress bar and the curves move while the model learns."""

from __future__ import annotations

import time

from lstm_viz.models.checkpoints import list_checkpoints

from .test_browser_pages import assert_clean, screenshot, wait_until_drawn

PROGRESS = '[data-testid="stProgress"] [role="progressbar"]'
TALL = {"width": 1440, "height": 1900}  # the form, the progress bar and the curves in one shot


def progress_value(page) -> float:
    return float(page.locator(PROGRESS).first.get_attribute("aria-valuenow") or 0)


def set_number(page, label: str, value: int) -> None:
    # The main form's field (the first form): the encoder-decoder and autoencoder forms further
    # down (in expanders) have fields of the same names. Then wait for the rerun the Tab starts,
    # so the next field is looked up on a settled page (a full-suite run once found the first
    # "Epochs" hidden for 30 s while the page was rerunning).
    field = page.locator('[data-testid="stForm"]').first.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Tab")
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def test_progress_and_curves_move_while_training(app_url, page, server_models_dir):
    page.set_viewport_size(TALL)
    page.goto(f"{app_url}/")
    wait_until_drawn(page, "Explore")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Train").click()
    wait_until_drawn(page, "Train")
    # Bracket depth (the default task), long enough to watch (a few seconds on an idle laptop).
    set_number(page, "Training examples", 3000)
    # Enter in a form field only confirms the value (enter_to_submit=False): nothing trains.
    before = sorted(server_models_dir.iterdir())
    epochs = page.locator('[data-testid="stForm"]').first.get_by_label("Epochs", exact=True)
    epochs.fill("2")
    epochs.press("Enter")
    page.wait_for_timeout(1000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    assert page.locator(PROGRESS).count() == 0
    assert sorted(server_models_dir.iterdir()) == before
    name = page.get_by_label("Save as", exact=True)  # outside the form: Enter reruns the page
    name.fill("browser-dyck")
    name.press("Enter")
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.get_by_test_id("stBaseButton-primaryFormSubmit").click()  # the main form's Train

    page.wait_for_selector(PROGRESS, timeout=60_000)
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
    first = progress_value(page)
    second, deadline = first, time.monotonic() + 60  # a loaded machine trains slowly: poll
    while second <= first and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        second = progress_value(page)
    screenshot(page, "train-during", readme="train.png")
    assert 0 < first < second < 100, (first, second)  # the bar moves while it trains
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 2  # loss and metric

    page.get_by_text("is saved and selected in the sidebar").wait_for(timeout=120_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    screenshot(page, "train-done")
    assert [p.name for p in list_checkpoints(server_models_dir)] == ["browser-dyck"]
    page.locator('[data-testid="stSidebar"]').get_by_text("1 trained").wait_for()
    assert_clean(page)


def test_stop_keeps_the_best_checkpoint_so_far(app_url, page, server_models_dir):
    page.set_viewport_size(TALL)
    page.goto(f"{app_url}/")
    wait_until_drawn(page, "Explore")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Train").click()
    wait_until_drawn(page, "Train")
    set_number(page, "Training examples", 4000)  # long: we stop it
    set_number(page, "Epochs", 50)
    set_number(page, "Validations per epoch", 10)  # the first checkpoint comes early
    name = page.get_by_label("Save as", exact=True)
    name.fill("stopped-dyck")
    name.press("Enter")
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.get_by_test_id("stBaseButton-primaryFormSubmit").click()  # the main form's Train
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
    while not (server_models_dir / "stopped-dyck").exists():  # a first validation saved it
        page.wait_for_timeout(200)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("the best checkpoint so far is kept").wait_for(timeout=60_000)
    screenshot(page, "train-stopped")
    assert "stopped-dyck" in [p.name for p in list_checkpoints(server_models_dir)]
    assert_clean(page)
