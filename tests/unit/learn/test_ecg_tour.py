"""The ECG autoencoder tour: every number in its text is measured from the shipped model's
scores and recording (recomputed here independently of lstm_viz.learn.ecg_tour)."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_viz.analysis.anomaly import record_tiled, score_series
from lstm_viz.learn.ecg_tour import ECG_SECONDS, ECG_SEED, ecg_tour
from lstm_viz.models.autoencoder import load_autoencoder
from lstm_viz.pretrained import PRETRAINED_DIR
from lstm_viz.tasks.ecg import RATE, ecg_signal, inject_anomalies

FOLDER = PRETRAINED_DIR / "ecg-autoencoder-lstm"


@pytest.fixture(scope="module")
def tour():
    autoencoder = load_autoencoder(FOLDER)
    values, found = inject_anomalies(
        ecg_signal(int(ECG_SECONDS * RATE), ECG_SEED)[0], per_kind=1, seed=ECG_SEED
    )
    events = [(e.kind, e.start, e.stop) for e in found]
    scores = score_series(autoencoder.model, values, autoencoder.anomaly)
    tiled = record_tiled(autoencoder.model, values)
    return scores, tiled, events, ecg_tour(scores, tiled, events)


def test_the_normal_stop_states_the_measured_error_threshold_and_flags(tour):
    scores, _, events, stops = tour
    normal = np.ones(len(scores.value), dtype=bool)
    for _, a, b in events:
        normal[a:b] = False
    text = stops[0].text
    assert f"{scores.error[normal].mean():.3f} on average" in text
    assert f"threshold of {scores.threshold:.3f}" in text
    assert f"{int(scores.anomaly[normal].sum())} of them" in text
    assert f"{int(normal.sum()):,} normal steps" in text


def test_the_failure_stop_lists_every_event_with_its_largest_error(tour):
    scores, _, events, stops = tour
    text = stops[1].text
    found = sum(bool(scores.anomaly[a:b].any()) for _, a, b in events)
    assert text.startswith(f"{found} of {len(events)} injected anomalies are flagged")
    worst = max(float(scores.error[a:b].max()) for _, a, b in events)
    for _, a, b in events:
        assert f"at {a / RATE:.1f} s: largest error {scores.error[a:b].max():.3f}" in text
    assert f"The largest error, {worst:.3f}, is {worst / scores.threshold:.1f} times" in text
    assert scores.error[stops[1].selected] == pytest.approx(worst)


def test_the_missing_beat_stop_compares_input_and_reconstruction(tour):
    scores, _, events, stops = tour
    (a, b) = next((a, b) for k, a, b in events if k == "missing_beat")
    stop = next(s for s in stops if s.title == "The beat that did not come")
    median = np.median(scores.value[a:b])
    assert f"rises at most {scores.value[a:b].max() - median:.3f}" in stop.text
    assert f"reconstruction rises {scores.reconstruction[a:b].max() - median:.3f}" in stop.text
    assert f"should be is {scores.error[a:b].max():.3f}" in stop.text
    assert ("over the threshold" in stop.text) == bool(scores.anomaly[a:b].any())


def test_the_forget_gate_stop_is_read_from_the_recording(tour):
    scores, tiled, events, stops = tour
    kind, a, b = max(events, key=lambda e: scores.error[e[1] : e[2]].max())
    normal = np.ones(len(scores.value), dtype=bool)
    for _, lo, hi in events:
        normal[lo:hi] = False
    text = stops[-1].text
    for part, name in (("encoder", "encoder's forget gates"), ("decoder", "decoder's")):
        grid = tiled.grid(part, "forget_gate")
        inside, outside = grid[:, a:b].mean(1), grid[:, normal].mean(1)
        unit = int(np.argmax(np.abs(inside - outside)))
        assert f"{name} average {inside.mean():.3f}" in text
        assert f"unit {unit} changes most, {outside[unit]:.3f} → {inside[unit]:.3f}" in text
