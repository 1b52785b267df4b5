"""The unit finder: features by hand, r against numpy, and a trained bracket model's depth unit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz import Trace
from lstm_viz.analysis import (
    correlate,
    feature_set,
    find_units,
    record_corpus,
    regex_feature,
    split_rows,
    token_features,
    top_units,
)
from lstm_viz.models.sequence import SequenceModel
from lstm_viz.tasks import make_task
from lstm_viz.training import loss_and_score, model_config_for


def test_built_in_features_by_hand():
    tokens = [list('Ab "c(d)"\ne')]
    f = token_features(tokens, steps=12)
    # A  b  ␣  "  c  (  d  )  "  ⏎  e  pad
    assert f["position_in_word"][0, :11].tolist() == [1, 2, 0, 0, 1, 0, 1, 0, 0, 0, 1]
    assert f["position_in_line"][0, :11].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert f["inside_quotes"][0, :11].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0]
    assert f["bracket_depth"][0, :11].tolist() == [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]
    assert f["capital_letter"][0, :11].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert f["whitespace"][0, :11].tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert f["punctuation"][0, :11].tolist() == [0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0]
    assert all(np.isnan(v[0, 11]) for v in f.values())  # padding


def test_regex_marks_the_tokens_a_match_covers():
    chars = [list("the cat, the hat")]
    flags = regex_feature(chars, r"\bthe\b")
    assert flags[0].tolist() == [1, 1, 1] + [0] * 6 + [1, 1, 1] + [0] * 4
    words = [["the", "cat", ",", "a", "hat"]]
    assert regex_feature(words, r"t\s+a", joiner=" ")[0].tolist() == [0, 0, 0, 0, 0]
    assert regex_feature(words, r"at", joiner=" ")[0].tolist() == [0, 1, 0, 0, 1]
    assert regex_feature(words, r"x*", joiner=" ")[0].tolist() == [0] * 5  # empty matches
    with pytest.raises(ValueError, match="does not compile"):
        regex_feature(words, "(unclosed")


def made_up_trace(batch=6, steps=40, units=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    names = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")
    values = {n: torch.randn(2, 1, batch, steps, units, generator=generator) for n in names}
    lengths = torch.randint(steps // 2, steps + 1, (batch,), generator=generator)
    lengths[0] = steps
    for v in values.values():
        v[:, :, torch.arange(steps)[None, :] >= lengths[:, None]] = float("nan")
    return Trace("lstm", values, lengths)


def test_correlation_equals_numpy_on_real_steps_only():
    trace = made_up_trace()
    feature = np.random.default_rng(0).normal(size=(6, 40)).astype(np.float32)
    feature[1, 3] = np.nan  # an unknown value: that step is left out for this feature
    table = correlate(trace, {"x": feature})
    assert len(table) == 6 * 2 * 5
    mask = (np.arange(40)[None] < trace.lengths.numpy()[:, None]) & np.isfinite(feature)
    for quantity, layer, unit in (("cell", 1, 3), ("forget_gate", 0, 0)):
        x = trace[quantity][layer, 0].numpy()[..., unit][mask]
        want = np.corrcoef(x, feature[mask])[0, 1]
        row = table.query("quantity == @quantity and layer == @layer and unit == @unit")
        assert row["r"].item() == pytest.approx(want, abs=1e-9)
        assert row["n"].item() == mask.sum()


def test_a_constant_feature_has_no_r():
    trace = made_up_trace()
    table = correlate(trace, {"flat": np.ones((6, 40), dtype=np.float32)})
    assert table["r"].isna().all()


def test_held_out_split_is_by_sequence_or_by_time():
    trace = made_up_trace(batch=6)
    rows = split_rows(trace, 0.5)
    assert rows[:3].all() and not rows[3:].any()
    single = made_up_trace(batch=1, steps=10)
    rows = split_rows(single, 0.3)
    assert rows[0].tolist() == [True] * 3 + [False] * 7


def test_a_planted_unit_is_found_and_holds_on_held_out_data():
    trace = made_up_trace(batch=8, steps=50)
    feature = np.random.default_rng(1).normal(size=(8, 50)).astype(np.float32)
    noise = torch.randn(8, 50, generator=torch.Generator().manual_seed(2)) * 0.1
    trace.cell[1, 0, :, :, 2] = torch.from_numpy(-feature) + noise  # layer 1, unit 2 follows it
    trace.cell[1, 0][torch.arange(50)[None, :] >= trace.lengths[:, None]] = float("nan")
    table = find_units(trace, {"planted": feature})
    best = top_units(table, "planted", 1).iloc[0]
    assert (best["quantity"], best["layer"], best["unit"]) == ("cell", 1, 2)
    assert best["r"] < -0.99 and best["r_heldout"] < -0.99
    others = top_units(table, "planted", 2).iloc[1]
    assert abs(others["r_heldout"]) < 0.3


def train_bracket_model(task, epochs=6):
    """A small LSTM trained on bracket depth with a plain loop (seconds on a CPU)."""
    torch.manual_seed(0)
    model = SequenceModel(model_config_for(task, hidden_size=8, embedding_size=8))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    batches = list(task.batches("train", 32, shuffle=False))
    for _ in range(epochs):
        for batch in batches:
            output, _ = model(batch.inputs, batch.lengths)
            loss, _, _ = loss_and_score(output, batch, task.objective)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for batch in task.batches("validation", 256):
            output, _ = model(batch.inputs, batch.lengths)
            _, right, scored = loss_and_score(output, batch, task.objective)
            correct, total = correct + right, total + scored
    return model, correct / total


def test_finder_ranks_a_depth_unit_first_on_a_trained_bracket_model():
    """Acceptance: trained on bracket depth, the finder's first unit for the task's hidden
    variable (depth) has |r| >= 0.9 on held-out sequences that played no part in ranking."""
    task = make_task(
        "dyck",
        types=1,
        max_depth=4,
        min_length=10,
        max_length=30,
        train_size=512,
        validation_size=200,
    )
    model, accuracy = train_bracket_model(task)
    assert accuracy >= 0.95, f"the model did not learn bracket depth (accuracy {accuracy:.3f})"
    corpus = record_corpus(model, task)
    features = feature_set(corpus.tokens, corpus.trace.num_steps, corpus.hidden, "depth")
    table = find_units(corpus.trace, features)
    best = top_units(table, "depth", 1).iloc[0]
    assert abs(best["r_heldout"]) >= 0.9, best
    assert best["n_heldout"] > 1000
    # The built-in bracket depth is the same variable, computed from the text alone.
    np.testing.assert_array_equal(features["bracket_depth"], features["depth"])


def test_held_out_r_lines_up_when_a_feature_has_gaps_in_one_part_only():
    trace = made_up_trace(batch=6)
    rng = np.random.default_rng(3)
    full = rng.normal(size=(6, 40)).astype(np.float32)
    gappy = rng.normal(size=(6, 40)).astype(np.float32)
    gappy[5, :10] = np.nan  # only in the held-out half (sequences 3-5)
    table = find_units(trace, {"full": full, "gappy": gappy})
    held = correlate(trace, {"full": full, "gappy": gappy}, rows=~split_rows(trace))
    keys = ["feature", "quantity", "layer", "direction", "unit"]
    merged = table.merge(held, on=keys, suffixes=("", "_check"))
    assert len(merged) == len(table) == 2 * 6 * 2 * 5
    np.testing.assert_allclose(merged["r_heldout"], merged["r_check"], atol=1e-12)
    assert (merged.loc[merged["feature"] == "gappy", "n_heldout"] < merged["n"].max()).all()


def test_span_text_and_task_from_info():
    from lstm_viz.analysis import span_text
    from lstm_viz.models.task_info import TaskInfo
    from lstm_viz.tasks import from_info

    assert span_text(list("hello world"), 6, 9, context=3) == "lo «wor»ld"
    assert span_text(["the", "cat", "sat"], 1, 2) == "the «cat» sat"
    task = from_info({"task": {"name": "dyck", "params": {"max_depth": 3}}})
    assert task.name == "dyck" and task.params["max_depth"] == 3
    assert from_info({"task": {"name": "nope"}}) is None
    assert from_info({"task": {"name": "dyck", "params": {"bogus": 1}}}) is None
    assert from_info({}) is None
    # The typed info rebuilds the same task; strict says why it cannot.
    info = TaskInfo.from_info({"task": {"name": "dyck", "title": "B", "params": {"max_depth": 3}}})
    assert info.label == "B" and from_info(info).params["max_depth"] == 3
    assert TaskInfo.from_info({"task": {"name": 3, "params": [1]}}) == TaskInfo()
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        from_info({"task": {"name": "nope"}}, strict=True)
    with pytest.raises(ValueError, match="bogus"):
        from_info({"task": {"name": "dyck", "params": {"bogus": 1}}}, strict=True)


def test_constant_features_are_the_ones_with_no_held_out_r():
    """constant_features names exactly the features whose every r_heldout is NaN, with the
    value each takes there (NaN when it is known at no held-out step)."""
    from lstm_viz.analysis import constant_features

    trace = made_up_trace(batch=6)
    rng = np.random.default_rng(4)
    matches = np.zeros((6, 40), dtype=np.float32)
    matches[:3] = rng.integers(0, 2, size=(3, 40))  # a pattern that matches in the first half
    ones = rng.normal(size=(6, 40)).astype(np.float32)
    ones[3:] = 1.0  # one value on the held-out half
    gone = rng.normal(size=(6, 40)).astype(np.float32)
    gone[3:] = np.nan  # no held-out step at all
    varies = rng.normal(size=(6, 40)).astype(np.float32)
    features = {"matches": matches, "ones": ones, "gone": gone, "varies": varies}
    held = constant_features(trace, features, ~split_rows(trace))
    assert set(held) == {"matches", "ones", "gone"}
    assert held["matches"] == 0.0 and held["ones"] == 1.0 and np.isnan(held["gone"])
    assert constant_features(trace, features, split_rows(trace)) == {}
    table = find_units(trace, features)
    no_r = table.groupby("feature")["r_heldout"].apply(lambda r: r.isna().all())
    assert set(no_r[no_r].index) == set(held)
    with pytest.raises(ValueError, match="shape"):
        constant_features(trace, {"short": matches[:, :5]})
