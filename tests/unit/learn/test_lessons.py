"""Exercises: unit correlations against a brute-force computation, and the checks' feedback."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz import record
from lstm_viz.learn.lessons import (
    check_keeps_memory,
    check_tracking_unit,
    correlations,
    hidden_values,
    unit_correlations,
)
from lstm_viz.tasks import make_task
from lstm_viz.tasks.dyck import depths
from tests.lesson_models import COUNTER_UNIT, DYCK, counter_model


def test_correlations_equal_numpy_corrcoef():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2, 1, 50, 4))
    values[1, 0, :, 2] = 3.0  # a constant unit: r = 0, not NaN
    target = rng.normal(size=50)
    values[0, 0, :, 1] = 2 * target + 0.1 * rng.normal(size=50)
    r = correlations(values, target)
    assert r.shape == (2, 1, 4)
    for layer in range(2):
        for unit in range(4):
            column = values[layer, 0, :, unit]
            want = 0.0 if column.std() == 0 else np.corrcoef(column, target)[0, 1]
            assert r[layer, 0, unit] == pytest.approx(want, abs=1e-12)
    assert r[0, 0, 1] > 0.99


def test_the_counter_unit_tracks_the_depth():
    model, _ = counter_model()
    task = make_task("dyck", **DYCK)
    values, target = hidden_values(model, task)
    # Brute force: one sequence at a time, the depth from the text itself.
    texts = task.sequences("validation")
    want_values, want_depth = [], []
    for text in texts:
        _, trace = record(model, torch.tensor([task.vocab.encode(text)]))
        want_values.append(trace.cell[:, :, 0].numpy())  # [L, D, T, U]
        want_depth += depths(text)
    np.testing.assert_allclose(values, np.concatenate(want_values, axis=2), atol=1e-6, rtol=2e-6)
    np.testing.assert_array_equal(target, want_depth)

    r = unit_correlations(model, task)
    assert r.shape == (1, 1, 5)
    assert r[0, 0, COUNTER_UNIT] > 0.99
    assert np.abs(np.delete(r[0, 0], COUNTER_UNIT)).max() < 0.8


def test_tracking_feedback_right_and_wrong():
    r = np.array([[[0.1, -0.3, 0.95, 0.5]], [[0.2, -0.85, 0.0, 0.1]]])
    right = check_tracking_unit(r, layer=0, unit=2)
    assert right.correct and right.value == 0.95 and "Yes" in right.message
    assert "strongest" not in right.message  # it is the best one
    negative = check_tracking_unit(r, layer=1, unit=1)
    assert negative.correct and "r = -0.85" in negative.message and "falls" in negative.message
    assert "The strongest one has |r| = 0.95" in negative.message
    wrong = check_tracking_unit(r, layer=0, unit=3)
    assert not wrong.correct and "r = +0.50" in wrong.message
    # The hint counts what passes, as measured: 1 of layer 0's 4 units, 2 in the model.
    assert "1 of the 4 units of layer 0 pass (2 in the whole model)" in wrong.message
    assert "unit 2" not in wrong.message  # a hint, not the answer
    elsewhere = check_tracking_unit(r[:, :, [0, 1, 3]], layer=0, unit=0)
    assert not elsewhere.correct and "none of layer 0's units pass; 1 in other" in elsewhere.message
    none = check_tracking_unit(r * 0.5, layer=0, unit=2)
    assert not none.correct and "No unit of this model reaches" in none.message
    with pytest.raises(ValueError, match="no unit 9"):
        check_tracking_unit(r, layer=0, unit=9)


def test_task_without_hidden_variable_is_refused():
    model, _ = counter_model()
    task = make_task("text-user", text="hello world " * 200)
    with pytest.raises(ValueError, match="no known hidden variable"):
        unit_correlations(model, task)


def test_keeps_memory_check():
    assert check_keeps_memory(0.93).correct
    wrong = check_keeps_memory(0.6)
    assert not wrong.correct and "60.0%" in wrong.message and "above 2.2" in wrong.message


def test_a_bidirectional_model_is_measured_per_sequence():
    from lstm_viz.models.sequence import ModelConfig, SequenceModel

    torch.manual_seed(0)
    task = make_task("dyck", **DYCK)
    model = SequenceModel(
        ModelConfig(
            vocab_size=len(task.vocab),
            embedding_size=4,
            hidden_size=3,
            bidirectional=True,
            objective="step_class",
            num_outputs=task.num_outputs,
        )
    ).eval()
    values, _ = hidden_values(model, task, batch_size=16)  # ragged batches
    want = []
    for text in task.sequences("validation"):
        _, trace = record(model, torch.tensor([task.vocab.encode(text)]))
        want.append(trace.cell[:, :, 0].numpy())
    np.testing.assert_allclose(values, np.concatenate(want, axis=2), atol=1e-5)
