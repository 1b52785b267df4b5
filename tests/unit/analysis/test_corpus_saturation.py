"""Corpus recording, gate saturation and memory timescales, against brute-force references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lstm_viz import record
from lstm_viz.analysis import (
    half_life_figure,
    half_lives,
    record_corpus,
    saturation,
    saturation_figure,
)
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab
from lstm_viz.tasks import make_task
from lstm_viz.training import model_config_for


def small_model(task, cell="lstm", **settings):
    torch.manual_seed(0)
    return SequenceModel(
        model_config_for(task, cell=cell, hidden_size=6, embedding_size=4, **settings)
    )


@pytest.fixture(scope="module")
def task():
    return make_task("dyck", min_length=3, max_length=12, train_size=20, validation_size=30)


def test_corpus_equals_recording_each_sequence_alone(task):
    model = small_model(task, num_layers=2)
    corpus = record_corpus(model, task, batch_size=8)
    sequences = task.sequences("validation")
    assert corpus.trace.batch_size == len(sequences)
    assert corpus.tokens[3] == list(sequences[3])
    assert corpus.num_steps == sum(len(s) for s in sequences)
    for b in (0, 9, 29):
        ids = torch.tensor([task.vocab.encode(sequences[b])])
        _, alone = record(model, ids)
        n = len(sequences[b])
        for name in corpus.trace.names:
            got = corpus.trace[name][:, :, b, :n]
            torch.testing.assert_close(got, alone[name][:, :, 0], rtol=0, atol=1e-6)
            assert torch.isnan(corpus.trace[name][:, :, b, n:]).all()  # padding is NaN
        expected_depth = np.cumsum([1 if c in "([" else -1 for c in sequences[b]])
        np.testing.assert_array_equal(corpus.hidden[b, :n], expected_depth)
        assert np.isnan(corpus.hidden[b, n:]).all()
    assert corpus.hidden_name == "depth"


def test_corpus_keeps_whole_sequences_within_max_steps(task):
    model = small_model(task)
    lengths = [len(s) for s in task.sequences("validation")]
    budget = sum(lengths[:5]) + 1  # five fit, the sixth would not
    corpus = record_corpus(model, task, max_steps=budget, batch_size=4)
    assert corpus.trace.lengths.tolist() == lengths[:5]
    one = record_corpus(model, task, max_steps=2)  # the first sequence alone is cut
    assert one.trace.lengths.tolist() == [2]


def test_corpus_of_text_is_cut_into_chunks():
    vocab = Vocab(("<pad>", "<unk>", *"ab c"))
    model = SequenceModel(
        ModelConfig(vocab_size=len(vocab), hidden_size=3, embedding_size=2, num_outputs=6)
    )
    corpus = record_corpus(model, texts=["ab cab xa"], vocab=vocab, chunk=4)
    assert corpus.tokens == [["a", "b", " ", "c"], ["a", "b", " ", "<unk>"], ["a"]]
    assert corpus.hidden is None
    with pytest.raises(ValueError, match="type some text"):
        record_corpus(model, texts=[""], vocab=vocab)


def brute_saturation(trace, gate, layer, direction, unit):
    values = []
    for b in range(trace.batch_size):
        for t in range(int(trace.lengths[b])):
            values.append(float(trace[gate][layer, direction, b, t, unit]))
    values = np.array(values)
    return (values < 0.1).mean(), (values > 0.9).mean(), len(values)


def test_saturation_counts_every_real_step_once(task):
    model = small_model(task, num_layers=2)
    trace = record_corpus(model, task).trace
    table = saturation(trace)
    assert set(table["gate"]) == {"input_gate", "forget_gate", "output_gate"}
    assert len(table) == 3 * 2 * 6
    for _, row in table.sample(10, random_state=0).iterrows():
        left, right, steps = brute_saturation(
            trace, row["gate"], row["layer"], row["direction"], row["unit"]
        )
        assert row["left"] == pytest.approx(left)
        assert row["right"] == pytest.approx(right)
        assert row["steps"] == steps


def test_saturation_of_a_made_up_trace_is_exact():
    from lstm_viz import Trace

    names = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")
    values = {n: torch.full((1, 1, 1, 4, 2), 0.5) for n in names}
    values["forget_gate"][0, 0, 0, :, 0] = torch.tensor([0.05, 0.95, 0.99, 0.5])
    trace = Trace("lstm", values, torch.tensor([4]))
    table = saturation(trace).set_index(["gate", "unit"])
    assert table.loc[("forget_gate", 0), "left"] == 0.25
    assert table.loc[("forget_gate", 0), "right"] == 0.5
    assert table.loc[("forget_gate", 1), "left"] == 0.0
    figure = saturation_figure(saturation(trace))
    points = [t for t in figure.data if t.mode == "markers"]
    assert len(points) == 3  # one panel per gate, one layer
    assert [list(row) for row in points[1].customdata] == [[0, 0, 0], [0, 0, 1]]


def test_saturation_of_a_gru_uses_its_gates_and_rnn_has_none(task):
    gru = record_corpus(small_model(task, cell="gru"), task).trace
    assert set(saturation(gru)["gate"]) == {"reset_gate", "update_gate"}
    rnn = record_corpus(small_model(task, cell="rnn_tanh"), task).trace
    with pytest.raises(ValueError, match="no gates"):
        saturation(rnn)
    with pytest.raises(ValueError, match="no forget gate"):
        half_lives(rnn)


def test_half_life_is_ln_half_over_mean_log_forget(task):
    model = small_model(task, bidirectional=True)  # dyck is step_class: may look ahead
    trace = record_corpus(model, task).trace
    table = half_lives(trace)
    assert table["half_life"].is_monotonic_decreasing
    row = table.iloc[3]
    values = []
    for b in range(trace.batch_size):
        n = int(trace.lengths[b])
        values += (
            trace.forget_gate[0, int(row["direction"]), b, :n, int(row["unit"])].double().tolist()
        )
    mean_log = np.mean(np.log(values))
    assert row["keep"] == pytest.approx(math.exp(mean_log), rel=1e-9)
    assert row["half_life"] == pytest.approx(math.log(0.5) / mean_log, rel=1e-9)
    assert set(table["direction"]) == {0, 1}


def test_half_life_of_a_gate_at_one_is_infinite_and_at_zero_is_zero():
    from lstm_viz import Trace

    names = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")
    values = {n: torch.full((1, 1, 1, 3, 3), 0.5) for n in names}
    values["forget_gate"][0, 0, 0, :, 0] = 1.0
    values["forget_gate"][0, 0, 0, 1, 1] = 0.0
    trace = Trace("lstm", values, torch.tensor([3]))
    table = half_lives(trace).set_index("unit")
    assert table.loc[0, "half_life"] == math.inf
    assert table.loc[1, "half_life"] == 0.0
    assert table.loc[2, "half_life"] == pytest.approx(1.0)  # 0.5 per step: half after one
    figure = half_life_figure(half_lives(trace))
    assert figure.layout.meta["infinite"] == 1
    assert "never let go" in figure.layout.title.subtitle.text


def test_corpus_reports_progress_per_batch(task):
    seen = []
    record_corpus(small_model(task), task, batch_size=8, progress=seen.append)
    assert len(seen) == 4  # 30 sequences in batches of 8
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


def test_the_analysis_package_does_not_import_streamlit():
    import subprocess
    import sys

    code = "import lstm_viz.analysis, sys; assert 'streamlit' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
