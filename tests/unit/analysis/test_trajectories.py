"""State trajectories: the PCA projection against numpy's SVD, and nearest corpus states."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz import record
from lstm_viz.analysis.trajectories import TrajectoryError, trajectories
from lstm_viz.models.sequence import ModelConfig, SequenceModel


def recorded(model, texts):
    ids = torch.tensor([[2 + ord(c) % 7 for c in text] for text in texts])
    _, trace = record(model, ids, tokens=[list(t) for t in texts])
    return trace


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=9, embedding_size=4, hidden_size=6, num_outputs=9)
    return SequenceModel(config).eval()


def test_two_inputs_share_one_projection_equal_to_numpy_pca(model):
    a, b = recorded(model, ["abcabcab"]), recorded(model, ["bbbbaaaa"])
    paths = trajectories([a, b], ["first", "second"], quantity="cell")
    assert [p.name for p in paths] == ["first", "second"]
    assert paths[0].tokens == list("abcabcab") and paths[1].points.shape == (8, 2)
    states = np.concatenate([a.cell[0, 0, 0].double().numpy(), b.cell[0, 0, 0].double().numpy()])
    centred = states - states.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    want = centred @ vt[:2].T
    got = np.concatenate([p.points for p in paths])
    np.testing.assert_allclose(np.abs(got), np.abs(want), atol=1e-6)  # signs are arbitrary
    ratio = singular[:2] ** 2 / (singular**2).sum()
    np.testing.assert_allclose(paths[0].explained, ratio, atol=1e-6)
    assert paths[0].neighbours is None


def test_nearest_corpus_states_include_the_same_context(model):
    corpus = recorded(model, ["the cat sat", "a dog ran!!", "the cat ran"])
    query = recorded(model, ["the cat sat"])
    (path,) = trajectories([query], corpus=corpus, neighbours=2, context=5)
    # The corpus holds the query itself: each step's nearest state is the same context.
    for step, found in enumerate(path.neighbours):
        assert len(found) == 2
        assert found[0] == "the cat sat"[max(0, step - 4) : step + 1]


def test_trajectory_errors_are_one_line(model):
    trace = recorded(model, ["abc"])
    with pytest.raises(TrajectoryError, match="not 'reset_gate'"):
        trajectories([trace], quantity="reset_gate")
    with pytest.raises(TrajectoryError, match="2 inputs but 1 names"):
        trajectories([trace, trace], ["one"])
    with pytest.raises(TrajectoryError, match="at least one"):
        trajectories([])
