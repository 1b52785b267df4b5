"""The generated ECG: deterministic, heart rate in range, the beat phase right at the R peaks,
anomalies where the events say; the ecg task trains like sines."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_viz.tasks import make_task
from lstm_viz.tasks.ecg import (
    ANOMALY_KINDS,
    MAX_BPM,
    MIN_BPM,
    RATE,
    ecg_signal,
    heart_rate,
    inject_anomalies,
)


def test_signal_is_seeded_and_shaped():
    a, phase = ecg_signal(3000, seed=4)
    b, _ = ecg_signal(3000, seed=4)
    c, _ = ecg_signal(3000, seed=5)
    assert a.shape == phase.shape == (3000,) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert ((phase >= 0) & (phase < 1)).all()


def test_r_peaks_sit_where_the_phase_wraps_and_the_rate_stays_in_range():
    values, phase = ecg_signal(30_000, seed=0, noise=0.0, wander=0.0)
    wraps = np.flatnonzero(np.diff(phase) < 0) + 1  # phase 0: an R peak
    for w in wraps[1:-1]:
        assert np.argmax(values[w - 3 : w + 4]) in (2, 3, 4)  # the R peak, within a step
    beats_per_minute = 60 * RATE / np.diff(wraps)
    assert MIN_BPM - 3 <= beats_per_minute.min() and beats_per_minute.max() <= MAX_BPM + 3
    assert beats_per_minute.max() - beats_per_minute.min() > 15  # it drifts
    bpm = heart_rate(100_000, np.random.default_rng(0))
    assert MIN_BPM <= bpm.min() and bpm.max() <= MAX_BPM


def test_anomalies_change_the_signal_inside_their_events_only():
    values, _ = ecg_signal(12_000, seed=2)
    broken, events = inject_anomalies(values, per_kind=2, seed=1)
    assert sorted(e.kind for e in events) == sorted(ANOMALY_KINDS * 2)
    inside = np.zeros(len(values), dtype=bool)
    for e in events:
        inside[e.start : e.stop] = True
        assert not np.array_equal(broken[e.start : e.stop], values[e.start : e.stop]), e
    assert np.array_equal(broken[~inside], values[~inside])
    flat = next(e for e in events if e.kind == "flat_line")
    assert np.ptp(broken[flat.start : flat.stop]) == 0 and flat.stop - flat.start >= 1.2 * RATE
    missing = next(e for e in events if e.kind == "missing_beat")
    assert (
        broken[missing.start : missing.stop].max()
        < 0.6
        < values[missing.start : missing.stop].max()
    )
    with pytest.raises(ValueError, match="unknown anomaly"):
        inject_anomalies(values, kinds=["nope"])
    with pytest.raises(ValueError, match="need at least"):
        inject_anomalies(values[:500])


def test_ecg_task_forecasts_the_next_value_with_the_phase_as_hidden_variable():
    task = make_task("ecg", length=32, train_seconds=20, validation_seconds=10)
    batch = next(task.batches("train", batch_size=4))
    assert batch.inputs.shape == (4, 32, 1) and batch.targets.shape == (4, 32, 1)
    assert np.allclose(batch.inputs[:, 1:, 0], batch.targets[:, :-1, 0])
    assert batch.hidden.shape == (4, 32)
    assert task.hidden_variable == "phase" and task.sample().shape == (32, 1)
    with pytest.raises(ValueError, match="train_seconds"):
        make_task("ecg", train_seconds=1)
