"""Explore for time series in a real browser (one server): the anomaly view of the shipped ECG
autoencoder (scores, heatmaps, the cell at a flagged step) and the forecast view of sines-lstm.
Screenshots: docs/images/anomalies.png and docs/images/forecast.png (shown in the README)."""

from __future__ import annotations

import shutil

import pytest

from lstm_viz.pretrained import PRETRAINED_DIR
from tests.browser.conftest import start_server
from tests.browser.test_browser_pages import APP_READY, SCRIPT_DONE, assert_clean, screenshot
from tests.browser.test_explore_views_browser import wait_rerun
from tests.series_models import save_autoencoder_folder, save_forecaster

AUTOENCODER, FORECASTER = "ecg-autoencoder-lstm", "sines-lstm"
PLOT_DRAWN = '[data-testid="stPlotlyChart"] .heatmaplayer image'


@pytest.fixture(scope="module")
def series_url(tmp_path_factory):
    """A server whose shipped models are the real ECG autoencoder and sines forecaster (tiny
    random stand-ins where they have not been built)."""
    shipped = tmp_path_factory.mktemp("series-shipped")
    for name, stand_in in ((AUTOENCODER, save_autoencoder_folder), (FORECASTER, save_forecaster)):
        if (PRETRAINED_DIR / name / "config.json").is_file():
            shutil.copytree(PRETRAINED_DIR / name, shipped / name)
        else:
            stand_in(shipped / name)
    models = tmp_path_factory.mktemp("series-models")
    with start_server(models, models.parent / "series-server.log", pretrained_dir=shipped) as url:
        yield url


def pick_model(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=name, exact=False).click()
    wait_long(page)


def wait_long(page) -> None:
    """wait_rerun, with time for a first scoring and recording on a loaded machine."""
    try:
        wait_rerun(page)
    except Exception:  # still running after wait_rerun's 30 s
        page.wait_for_selector(SCRIPT_DONE, timeout=120_000)


def test_anomaly_view_and_forecast_view(series_url, page):
    page.goto(f"{series_url}/")
    page.wait_for_selector(APP_READY)
    page.wait_for_selector(SCRIPT_DONE)
    pick_model(page, AUTOENCODER)
    page.wait_for_selector(PLOT_DRAWN, timeout=60_000)
    assert page.get_by_text("injected anomalies found").count() >= 1
    # two heatmaps (encoder, decoder) under the signal and error, in one figure
    assert (
        page.locator('[data-testid="stPlotlyChart"]').first.locator(".heatmaplayer image").count()
        == 2
    )
    page.get_by_text("The cell at step").first.wait_for()
    page.wait_for_function(
        """() => document.querySelectorAll('[data-testid="stPlotlyChart"]').length >= 2"""
    )
    page.set_viewport_size({"width": 1440, "height": 2300})  # the figure and the cell below it
    screenshot(page, "anomalies", readme="anomalies.png")
    page.set_viewport_size({"width": 1440, "height": 1100})
    assert_clean(page)

    pick_model(page, FORECASTER)
    page.locator('[data-testid="stRadio"]').get_by_text("🔭 Forecast", exact=True).click()
    wait_long(page)
    page.wait_for_selector(PLOT_DRAWN, timeout=60_000)
    assert page.get_by_text("reads its own forecasts").count() >= 1
    page.set_viewport_size({"width": 1440, "height": 1900})
    screenshot(page, "forecast", readme="forecast.png")
    assert_clean(page)
