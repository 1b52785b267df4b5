"""AppTest: Explore's anomaly view for an LSTM autoencoder and Forecast view for a numeric
forecaster show the library's numbers; pages that read other models say so instead of crashing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from app import state
from lstm_viz.analysis.anomaly import record_tiled, score_series
from lstm_viz.analysis.forecast import free_run
from lstm_viz.models.autoencoder import load_autoencoder
from lstm_viz.models.checkpoints import load_checkpoint, models_dir
from lstm_viz.tasks.ecg import ecg_signal, inject_anomalies
from tests.app.test_app_pages import ENTRYPOINT
from tests.app.test_explore_page import decode
from tests.series_models import save_autoencoder_folder, save_forecaster

PANEL = "explore.anomaly.trained/ae"


def open_app(model: str) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
    at.session_state[state.SELECT_MODEL] = model
    at.run()
    assert not at.exception, at.exception
    return at


def spec(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def test_anomaly_view_shows_scores_heatmaps_and_the_cell_at_a_flagged_step():
    path = save_autoencoder_folder(models_dir() / "ae")
    at = open_app("trained/ae")
    assert at.session_state[state.CHOICES]["model"] == "trained/ae"
    figure = spec(at)
    by_name = {t.get("name"): t for t in figure["data"]}
    # what the page shows is the library's score of the same generated input
    autoencoder = load_autoencoder(path)
    values, events = inject_anomalies(ecg_signal(1500, 7)[0], per_kind=1, seed=7)
    scores = score_series(autoencoder.model, values, autoencoder.anomaly)
    np.testing.assert_allclose(decode(by_name["input"]["y"]), values, atol=1e-6)
    np.testing.assert_allclose(decode(by_name["error"]["y"]), scores.error, atol=1e-5)
    flagged = decode(by_name["anomalous step"]["x"])
    assert list(flagged) == list(np.flatnonzero(scores.anomaly))
    heatmaps = [t for t in figure["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 2  # encoder and decoder, on the input's step axis
    assert all(decode(h["z"]).shape == (6, 1500) for h in heatmaps)
    assert len(figure["layout"]["shapes"]) >= len(events)  # the injected events are shaded
    # pick a flagged step: the step-through opens the cell there, in the window that holds it
    step = int(flagged[-1])  # the last flagged step starts a run of its own or ends one
    runs = [int(s) for s in flagged if s - 1 not in set(flagged.tolist())]
    at.selectbox(key=f"{PANEL}.selected").set_value(runs[-1]).run()
    assert not at.exception, at.exception
    assert any(f"The cell at step {runs[-1]}" in h.value for h in at.subheader)
    _, position = record_tiled(autoencoder.model, values).window_of(runs[-1])
    assert at.slider(key=f"{PANEL}.encoder.step").value == position
    del step
    at.radio(key=f"{PANEL}.part").set_value("decoder").run()
    assert not at.exception, at.exception
    # Analyze reads one-network models: it says so instead of crashing
    at.switch_page("views/analyze.py").run()
    assert not at.exception, at.exception
    assert "LSTM autoencoder" in at.main.info[0].value


def test_forecast_view_draws_truth_predictions_and_the_free_run():
    path = save_forecaster(models_dir() / "fc")
    at = open_app("trained/fc")
    at.radio(key="explore.trained/fc.view").set_value("forecast").run()
    assert not at.exception, at.exception
    at.slider(key="explore.trained/fc.start").set_value(5).run()
    at.number_input(key="explore.trained/fc.k").set_value(7).run()
    assert not at.exception, at.exception
    figure = next(s for s in map(json.loads, (c.proto.spec for c in at.get("plotly_chart"))))
    traces = {t.get("name"): t for t in figure["data"]}
    run_ = traces["forecast, 7 steps"]
    model = load_checkpoint(path).model
    values = decode(traces["truth"]["y"])
    want = free_run(model, values, 5, 7)
    np.testing.assert_allclose(decode(run_["y"]), want.forecast, atol=1e-6)
    assert list(decode(run_["x"])) == list(range(6, 13))
    heat = next(t for t in figure["data"] if t["type"] == "heatmap")
    grid = want.trace.forget_gate[0, 0, 0].numpy().T  # [unit, step], steps 0 .. 11
    np.testing.assert_allclose(decode(heat["z"]), grid, atol=1e-6)


@pytest.mark.parametrize("page", ["views/analyze.py"])
def test_autoencoders_are_not_offered_where_they_cannot_be_read(page):
    from app.catalogue import all_models

    save_autoencoder_folder(models_dir() / "ae")
    with torch.no_grad():
        assert all(ref.kind == "sequence" for ref in all_models(unreadable=True))


def test_the_ecg_tour_walks_to_the_forget_gates(shipped_models):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.run()
    at.switch_page("views/learn.py")
    at.session_state[state.LEARN_SECTION] = "tours"
    at.session_state[state.LEARN_TOUR] = "ecg"
    at.run()
    assert not at.exception, at.exception
    assert any("Normal beats come back" in m.value for m in at.markdown)
    for _ in range(4):
        if at.button(key="learn.tour.ecg.next").disabled:
            break
        at.button(key="learn.tour.ecg.next").click().run()
    assert not at.exception, at.exception
    assert any("What the forget gates did" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 1


def test_the_anomaly_views_heatmaps_share_the_models_fixed_cell_scale():
    from lstm_viz.analysis.scales import measure_autoencoder_scales, read_scales, write_scales

    path = save_autoencoder_folder(models_dir() / "ae")
    model = load_autoencoder(path).model
    write_scales(path, measure_autoencoder_scales(model, ecg_signal(640, 3)[0]))
    scales = read_scales(path)
    bound = max(scales.part(p).bound("cell", 0) for p in ("encoder", "decoder"))
    at = open_app("trained/ae")
    at.selectbox(key=f"{PANEL}.quantity").set_value("cell").run()
    assert not at.exception, at.exception
    heatmaps = [t for t in spec(at)["data"] if t["type"] == "heatmap"]
    assert [(h["zmin"], h["zmax"]) for h in heatmaps] == [(-bound, bound)] * 2
    assert any("Colours of c are fixed for this model" in c.value for c in at.caption)
    assert not any("no fixed scale" in c.value for c in at.caption)  # the step-through too
