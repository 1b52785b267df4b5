"""Anomaly scores: each step keeps its best window, the threshold is calibrated on normal signal,
detection counts events and normal steps as documented; the forecast helpers agree with a
step loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz.analysis.anomaly import (
    calibrate,
    detection,
    reconstruct_series,
    record_tiled,
    score_series,
    window_starts,
)
from lstm_viz.analysis.forecast import free_run, one_step
from lstm_viz.models.autoencoder import AutoencoderConfig, LSTMAutoencoder
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.tasks.ecg import Event


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return LSTMAutoencoder(AutoencoderConfig(hidden_size=4, window=8)).eval()


def test_window_starts_cover_every_step():
    assert window_starts(20, 8, 5) == [0, 5, 10, 12]
    assert window_starts(8, 8, 3) == [0]
    with pytest.raises(ValueError, match="at least 8 steps"):
        window_starts(7, 8, 1)


def test_each_step_keeps_the_smallest_error_of_its_windows(model):
    values = np.sin(np.arange(30) / 3).astype(np.float32)
    reconstruction, error = reconstruct_series(model, values, stride=3)
    x = torch.from_numpy(values)
    best = np.full(30, np.inf)
    for s in window_starts(30, 8, 3):
        err = (model.reconstruct(x[s : s + 8][None])[0] - x[s : s + 8]).abs().numpy()
        best[s : s + 8] = np.minimum(best[s : s + 8], err)
    np.testing.assert_allclose(error, best, atol=1e-6)
    np.testing.assert_allclose(np.abs(reconstruction - values), error, atol=1e-6)
    with pytest.raises(ValueError, match="step 4"):
        reconstruct_series(model, np.where(np.arange(30) == 4, np.nan, values), 3)


def test_mean_combine_averages_the_windows_and_is_kept_by_calibration(model):
    values = np.sin(np.arange(30) / 3).astype(np.float32)
    reconstruction, error = reconstruct_series(model, values, stride=3, combine="mean")
    x = torch.from_numpy(values)
    total, outs, count = np.zeros(30), np.zeros(30), np.zeros(30)
    for s in window_starts(30, 8, 3):
        out = model.reconstruct(x[s : s + 8][None])[0].numpy()
        total[s : s + 8] += np.abs(out - values[s : s + 8])
        outs[s : s + 8] += out
        count[s : s + 8] += 1
    np.testing.assert_allclose(error, total / count, atol=1e-6)
    np.testing.assert_allclose(reconstruction, outs / count, atol=1e-6)
    rule = calibrate(model, values, stride=3, quantile=0.9, margin=1.5, combine="mean")
    assert rule["combine"] == "mean"
    assert rule["threshold"] == pytest.approx(1.5 * np.quantile(error, 0.9), abs=1e-6)
    np.testing.assert_allclose(score_series(model, values, rule).error, error, atol=1e-7)
    with pytest.raises(ValueError, match="combine must be one of"):
        reconstruct_series(model, values, 3, combine="max")


def test_calibration_sets_the_threshold_from_normal_errors(model):
    normal = np.sin(np.arange(200) / 4).astype(np.float32)
    rule = calibrate(model, normal, stride=2, quantile=0.9, margin=1.0)
    _, error = reconstruct_series(model, normal, 2)
    assert rule["threshold"] == pytest.approx(np.quantile(error, 0.9), abs=1e-6)
    assert rule["normal_flagged"] == pytest.approx(0.1, abs=0.01)
    scores = score_series(model, normal, rule)
    assert (scores.anomaly == (scores.error > rule["threshold"])).all()
    with pytest.raises(ValueError, match="no calibrated threshold"):
        score_series(model, normal, {})


def test_detection_counts_events_and_normal_steps():
    flags = np.zeros(100, dtype=bool)
    flags[[5, 50, 90]] = True
    events = [Event("spike", 5, 6), Event("flat_line", 20, 30), Event("flat_line", 88, 95)]
    found = detection(flags, events)
    assert (found.detected, found.events) == (2, 3)
    assert found.by_kind == {"flat_line": (1, 2), "spike": (1, 1)}
    assert (found.false_positives, found.normal_steps) == (1, 100 - 1 - 10 - 7)


def test_tiled_grids_lay_windows_end_to_end(model):
    values = np.cos(np.arange(20) / 2).astype(np.float32)
    tiled = record_tiled(model, values)
    assert tiled.starts == [0, 8, 12]
    grid = tiled.grid("encoder", "forget_gate")  # [unit, step]
    f = tiled.recording.encoder.forget_gate[0, 0].numpy()  # [window, T, unit]
    np.testing.assert_array_equal(grid[:, 9], f[1, 1])
    np.testing.assert_array_equal(grid[:, 17], f[2, 5])  # steps 16.. from the last window
    assert tiled.window_of(17) == (2, 5) and tiled.window_of(9) == (1, 1)


def test_forecasts_equal_a_step_loop():
    torch.manual_seed(0)
    config = ModelConfig(
        input_size=1, embedding_size=3, hidden_size=4, objective="step_value", num_outputs=1
    )
    model = SequenceModel(config).eval()
    values = np.sin(np.arange(12) / 2).astype(np.float32)
    with torch.no_grad():
        out, _ = model(torch.from_numpy(values).reshape(1, -1, 1))
    np.testing.assert_allclose(one_step(model, values), out[0, :, 0].numpy(), atol=1e-6)
    run = free_run(model, values, start=6, k=4)
    inputs = list(values[:7])
    for _ in range(4):  # the loop: re-read everything, append the last forecast
        with torch.no_grad():
            y = model(torch.tensor(inputs).reshape(1, -1, 1))[0][0, -1, 0]
        inputs.append(float(y))
    np.testing.assert_allclose(run.forecast, inputs[7:], atol=1e-5)
    assert run.trace.num_steps == 6 + 4
    with pytest.raises(ValueError, match="forecast"):
        free_run(model, values, start=12, k=1)
