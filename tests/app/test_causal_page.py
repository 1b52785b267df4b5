"""AppTest: Analyze's causal tools (attribution, patching, gate split, trajectories) show
exactly what lstm_viz.analysis computes; patching works for every one-direction core."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz.analysis import (
    attribute,
    logit_diff,
    patching_sweep,
    split_model,
    trajectories,
)
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.recording.recorder import record
from tests.app.test_analyze_page import W, corpus_of, figures, open_analyze, save_dyck
from tests.app.test_explore_page import decode

SAMPLE = "(([])[()])"  # the dyck task's sample: each tool's first input


def ids(checkpoint, text):
    return torch.tensor([checkpoint.vocab.encode(text)])


def test_attribution_bars_equal_the_library_and_ig_is_complete():
    path = save_dyck()
    at = open_analyze("attribution")
    checkpoint = load_checkpoint(path)
    inputs = ids(checkpoint, SAMPLE)
    with torch.no_grad():
        top = int(checkpoint.model(inputs)[0][0, -1].argmax())
    assert at.selectbox(key=f"{W}.attribution.target").value == top
    want = attribute(checkpoint.model, inputs, top, "integrated-gradients", n_steps=128)
    shown = figures(at)
    np.testing.assert_allclose(decode(shown["attribution"]["data"][0]["y"]), want.scores, atol=1e-9)
    assert "completeness" in shown
    assert "(integrated gradients)" in shown["attribution"]["layout"]["title"]["text"]  # not an id
    assert shown["attribution"]["layout"]["yaxis2"]["autorange"] == "reversed"  # unit 0 on top
    note = next(c.value for c in at.caption if c.value.startswith("Completeness"))
    assert "within 1%" in note and "all-zero input embedding" in note
    # The heatmap under the bars is the recording of the same input (cell of the last layer).
    _, trace = record(checkpoint.model, inputs)
    np.testing.assert_allclose(
        decode(shown["attribution"]["data"][1]["z"]), trace.cell[0, 0, 0].numpy().T, atol=1e-6
    )

    at.radio(key=f"{W}.attribution.method").set_value("occlusion").run()
    assert not at.exception, at.exception
    want = attribute(checkpoint.model, inputs, top, "occlusion")
    shown = figures(at)
    np.testing.assert_allclose(decode(shown["attribution"]["data"][0]["y"]), want.scores, atol=1e-9)
    assert "completeness" not in shown


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "peephole_lstm"])
def test_patching_sweep_equals_the_library_for_every_core(cell):
    path = save_dyck(cell=cell, num_layers=2)
    at = open_analyze("patching")
    place = f"{W}.patching"
    at.text_input(key=f"{place}.clean").set_value("(()(").run()
    at.text_input(key=f"{place}.corrupt").set_value("))()()").run()
    assert "must have the same length" in at.warning[0].value  # lengths differ: said, no sweep
    at.text_input(key=f"{place}.clean").set_value("(" * 160).run()
    at.text_input(key=f"{place}.corrupt").set_value(")" * 160).run()
    assert "needs 154,560 unit-steps (160 steps); the limit is 150,000" in at.error[0].value
    assert not at.button  # too long: no sweep offered
    at.text_input(key=f"{place}.clean").set_value("(()(").run()
    at.text_input(key=f"{place}.corrupt").set_value("))()").run()
    at.selectbox(key=f"{place}.good").set_value(2).run()
    at.selectbox(key=f"{place}.bad").set_value(0).run()
    assert any(
        "2 layer(s) × 6 units × 4 steps = **48** patched runs in 4 batches, re-running **120**"
        in c.value
        for c in at.caption
    )
    at.button(key=f"{place}.run").click().run()
    assert not at.exception, at.exception
    checkpoint = load_checkpoint(path)
    want = patching_sweep(
        checkpoint.model, ids(checkpoint, "(()("), ids(checkpoint, "))()"), logit_diff(2, 0)
    )
    spec = figures(at)["patching"]
    np.testing.assert_allclose(decode(spec["data"][0]["z"]), want.effects[0].T, atol=1e-5)
    at.radio(key=f"{place}.layer").set_value(1).run()
    spec = figures(at)["patching"]
    np.testing.assert_allclose(decode(spec["data"][0]["z"]), want.effects[1].T, atol=1e-5)
    table = at.dataframe[0].value
    totals = np.abs(want.effects.sum(axis=1))  # [L, U]
    layer, unit = np.unravel_index(np.argmax(totals), totals.shape)
    assert (int(table.iloc[0]["layer"]), int(table.iloc[0]["unit"])) == (layer, unit)


def test_gate_split_bars_sum_to_the_recorded_gate():
    path = save_dyck(num_layers=2)
    at = open_analyze("preactivation")
    place = f"{W}.preactivation"
    at.selectbox(key=f"{place}.gate").set_value("forget_gate").run()
    at.number_input(key=f"{place}.layer").set_value(1).run()
    at.number_input(key=f"{place}.unit").set_value(3).run()
    assert not at.exception, at.exception
    checkpoint = load_checkpoint(path)
    want = split_model(checkpoint.model, ids(checkpoint, SAMPLE)).unit("forget_gate", 3, 1)
    bars = {t["name"]: decode(t["y"]) for t in figures(at)["preactivation_split"]["data"]}
    np.testing.assert_allclose(bars["input W·xₜ"], want["input"], atol=1e-9)
    np.testing.assert_allclose(bars["recurrent W·hₜ₋₁"], want["recurrent"], atol=1e-9)
    np.testing.assert_allclose(bars["pre-activation (sum)"], want["total"], atol=1e-9)
    check = next(c.value for c in at.caption if c.value.startswith("Check"))
    assert float(check.split("at most ")[1].split(" ")[0]) < 1e-5


def test_trajectories_draw_two_inputs_on_the_corpus_projection():
    path = save_dyck()
    at = open_analyze("trajectories")
    assert not at.exception, at.exception
    checkpoint, corpus = corpus_of(path)
    second = corpus.tokens[1][: int(corpus.lengths[1])]
    traces = [
        record(checkpoint.model, ids(checkpoint, t), tokens=[list(t)])[1]
        for t in (SAMPLE, "".join(second))
    ]
    want = trajectories(traces, ["A", "B"], "hidden", 0, corpus=corpus.trace)
    lines = figures(at)["state_trajectories"]["data"]
    assert [line["name"] for line in lines] == ["A", "B"]
    for line, path_ in zip(lines, want, strict=True):
        np.testing.assert_allclose(decode(line["x"]), path_.points[:, 0], atol=1e-6)
        np.testing.assert_allclose(decode(line["y"]), path_.points[:, 1], atol=1e-6)
    assert "nearest in the corpus" in lines[0]["customdata"][0]


def test_explore_step_through_splits_each_gate_at_the_step():
    from streamlit.testing.v1 import AppTest

    from app import state
    from tests.app.test_analyze_page import ENTRYPOINT

    path = save_dyck(cell="gru")
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.session_state[state.SELECT_MODEL] = "trained/dyck"
    at.run()
    at.switch_page("views/explore.py").run()
    panel = "explore.trained/dyck"
    at.number_input(key=f"{panel}.unit").set_value(2).run()
    at.radio(key=f"{panel}.view").set_value("step").run()
    at.slider(key=f"{panel}.step").set_value(3).run()
    assert not at.exception, at.exception
    checkpoint = load_checkpoint(path)
    split = split_model(checkpoint.model, ids(checkpoint, SAMPLE))
    table = at.dataframe[0].value
    assert len(table) == 3  # reset, update, new gate
    for row, gate in zip(table.itertuples(index=False), split.gates, strict=True):
        want = split.unit(gate, 2)
        assert row[-1] == pytest.approx(float(want["total"][3]), abs=1e-9)
        assert row[1] == pytest.approx(float(want["input"][3]), abs=1e-9)


def test_interventions_run_on_a_gru_core():
    from lstm_viz.analysis import Intervention, intervene

    path = save_dyck(cell="gru")
    at = open_analyze("interventions")
    place = f"{W}.interventions"
    assert at.selectbox(key=f"{place}.quantity").options == [
        "Reset gate r",
        "Update gate z",
        "New gate n",
        "Hidden state h",
    ]
    at.selectbox(key=f"{place}.quantity").set_value("update_gate").run()
    at.number_input(key=f"{place}.unit").set_value(2).run()
    assert not at.exception, at.exception
    checkpoint, corpus = corpus_of(path)
    n = int(corpus.lengths[0])
    forced = Intervention("update_gate", 2, 0.0, 5, 8)
    want = intervene(checkpoint.model, corpus.inputs[:1, :n], [forced])
    data = {
        (t["name"], k // 2): decode(t["y"])
        for k, t in enumerate(figures(at)["intervention"]["data"][:4])
    }
    np.testing.assert_array_equal(data[("intervened", 0)][5:8], 0.0)  # the forced update gate
    np.testing.assert_allclose(
        data[("intervened", 1)], want.intervened.hidden[0, 0, 0, :, 2], atol=1e-6
    )


def test_step_through_split_table_reads_f_i_g_o_in_plain_unicode():
    """The split table lists an LSTM's gates as the page does (f, i, g, o), not in PyTorch's
    i, f, g, o, and its term headers are plain Unicode (no raw TeX such as h_{t-1})."""
    from app.components.explore.step import split_table
    from lstm_viz.analysis import split_preactivations

    torch.manual_seed(0)
    rnn = torch.nn.LSTM(3, 4, batch_first=True)
    split = split_preactivations(rnn, torch.randn(1, 5, 3))
    assert split.gates[:2] == ("input_gate", "forget_gate")  # the library's order
    table = split_table(split, 0, 0, 1, 2)
    assert list(table["gate"]) == ["Forget gate f", "Input gate i", "Candidate g", "Output gate o"]
    assert list(table.columns) == [
        "gate",
        "input W·xₜ",
        "recurrent W·hₜ₋₁",
        "bias",
        "pre-activation",
    ]
    want = split.unit("forget_gate", 1)
    assert table.loc[0, "pre-activation"] == pytest.approx(float(want["total"][2]), abs=1e-9)
    assert not any("_{" in c or "_t" in c for c in table.columns)
