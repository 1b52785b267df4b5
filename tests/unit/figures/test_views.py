"""lstm_viz.figures.step, unit_view, predictions, compare, export: every number against a reference
(nn.LSTM's own outputs, the LSTM equations, a brute-force softmax)."""

from __future__ import annotations

import html
import io

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from lstm_viz import Trace, record
from lstm_viz.figures.compare import difference, mismatch
from lstm_viz.figures.export import trace_bytes
from lstm_viz.figures.predictions import (
    is_language_model,
    next_token_probabilities,
    top_k_chart,
    top_k_table,
)
from lstm_viz.figures.step import step_diagram, step_equations, step_numbers, step_sentences
from lstm_viz.figures.unit import coloured_text_html, unit_frame, unit_lines
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab


def lstm_trace(steps=6, hidden=4, bidirectional=True, seed=0, tokens=None):
    torch.manual_seed(seed)
    module = nn.LSTM(3, hidden, 2, batch_first=True, bidirectional=bidirectional)
    inputs = torch.randn(1, steps, 3)
    (out, _), trace = record(module, inputs, tokens=[tokens or [f"w{i}" for i in range(steps)]])
    return module, inputs, out, trace


# ---- step view ----------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", [0, 1])
def test_step_numbers_follow_the_equations_and_the_reading_direction(direction):
    module, inputs, out, trace = lstm_trace()
    hidden = out[0, :, direction * 4 : (direction + 1) * 4]  # nn.LSTM's own h, top layer
    for step in range(6):
        n = step_numbers(trace, 1, direction, 2, step)
        assert n["hidden"] == pytest.approx(float(hidden[step, 2]), abs=1e-6)
        before = step + 1 if direction else step - 1
        first = before in (-1, 6)
        assert n.first == first
        want_c0 = 0.0 if first else float(trace.cell[1, direction, 0, before, 2])
        assert n["cell_before"] == want_c0
        c = n["forget_gate"] * n["cell_before"] + n["input_gate"] * n["candidate"]
        assert n["cell"] == pytest.approx(c, abs=1e-5)
        assert n["hidden"] == pytest.approx(n["output_gate"] * np.tanh(n["cell"]), abs=1e-5)


def test_equations_and_words_show_the_numbers():
    _, _, _, trace = lstm_trace()
    n = step_numbers(trace, 0, 0, 1, 3)
    lines = step_equations(n)
    assert f"{n['forget_gate']:.3f} × {n['cell_before']:.3f}" in lines[0]
    assert lines[0].endswith(f" {n['cell']:.3f}") and lines[1].endswith(f" {n['hidden']:.3f}")
    # Every "=" holds for the numbers as written; a rounded one is "≈" (0.750 + 0.736 next to
    # 1.485 told a student the sum was wrong).
    kept = float(f"{n['forget_gate'] * n['cell_before']:.3f}")
    written = float(f"{n['input_gate'] * n['candidate']:.3f}")
    sign = "=" if f"{kept + written:.3f}" == f"{n['cell']:.3f}" else "≈"
    plus = f"+ {written:.3f}" if written >= 0 else f"− {-written:.3f}"
    assert f"{kept:.3f} {plus} {sign} {n['cell']:.3f}" in lines[0]
    from lstm_viz.figures.step import _eq, _sum

    assert (_eq(0.750 + 0.736, 1.4854), _eq(0.750 + 0.736, 1.486)) == ("≈", "=")
    assert (_sum(0.0, -0.104), _sum(0.25, 0.1)) == ("0.000 − 0.104", "0.250 + 0.100")
    words = " ".join(step_sentences(n))
    assert f"keeps {100 * n['forget_gate']:.0f}% of the old memory" in words
    assert f"writes {100 * n['input_gate']:.0f}% of the candidate" in words
    assert f"exposes {100 * n['output_gate']:.0f}%" in words
    assert "'w3'" in words
    first = " ".join(step_sentences(step_numbers(trace, 0, 0, 1, 0)))
    assert "first step" in first and "memory before it is 0" in first
    figure = step_diagram(n)
    texts = " ".join(a.text for a in figure.layout.annotations)
    assert f"{n['cell']:.3f}" in texts and f"{n['output_gate']:.3f}" in texts
    assert figure.layout.meta["step"] == 3
    with pytest.raises(ValueError, match="outside the input"):
        step_numbers(trace, 0, 0, 1, 6)


@pytest.mark.parametrize("kind", ["gru", "rnn_tanh"])
def test_gru_and_rnn_steps(kind):
    torch.manual_seed(0)
    module = nn.GRU(2, 3, batch_first=True) if kind == "gru" else nn.RNN(2, 3, batch_first=True)
    (out, _), trace = record(module, torch.randn(1, 4, 2))
    n = step_numbers(trace, 0, 0, 1, 2)
    assert n["hidden"] == pytest.approx(float(out[0, 2, 1]), abs=1e-6)
    if kind == "gru":
        h = (1 - n["update_gate"]) * n["new_gate"] + n["update_gate"] * n["hidden_before"]
        assert h == pytest.approx(n["hidden"], abs=1e-5)
    else:
        assert np.tanh(n["pre_activation"]) == pytest.approx(n["hidden"], abs=1e-5)
    assert step_equations(n) and step_sentences(n) and step_diagram(n).layout.annotations


# ---- one unit -----------------------------------------------------------------------------------


def test_unit_frame_and_lines_hold_the_units_values():
    _, _, _, trace = lstm_trace()
    frame = unit_frame(trace, 1, 1, 3)
    for name in trace.names:
        got = frame[frame["quantity"] == name]["value"].to_numpy()
        np.testing.assert_allclose(got, trace[name][1, 1, 0, :, 3].numpy(), atol=0)
    assert set(frame["panel"]) == {"gates (0 to 1)", "states"}
    gates, states = (chart.to_dict() for chart in unit_lines(trace, 1, 1, 3, step=2))
    assert gates["title"] == "Gates of unit 3, layer 1, backward"
    assert states["title"] == "States of unit 3, layer 1, backward"
    assert len(gates["layer"]) == 2  # the lines and the step's rule


def test_coloured_text_is_escaped_and_coloured_on_the_house_scale():
    tokens = ["<", "b", ">", " ", "\n", "&"]
    values = np.array([-1.0, 0.0, 1.0, 0.5, np.nan, 0.2])
    page = coloured_text_html(tokens, values, "hidden")
    assert "<b>" not in page and "&lt;" in page and "&amp;" in page
    assert page.count('class="lv-char"') == 6
    assert "rgb(33, 102, 172)" in page or "#2166ac" in page  # -1: the diverging scale's blue end
    assert "⏎<br>" in page
    assert html.escape("step 2 · '>' · 1.000") in page
    gates = coloured_text_html(["a", "b"], [0.0, 1.0], "forget_gate")
    assert "rgb(68, 1, 84)" in gates or "#440154" in gates  # Viridis at 0


# ---- predictions --------------------------------------------------------------------------------


def language_model():
    torch.manual_seed(0)
    vocab = Vocab(("<pad>", "<unk>", *"abc "))
    model = SequenceModel(
        ModelConfig(vocab_size=len(vocab), embedding_size=3, hidden_size=4, num_outputs=len(vocab))
    ).eval()
    return model, vocab


def test_top_k_against_a_brute_force_softmax():
    model, vocab = language_model()
    assert is_language_model(model, vocab)
    tokens = list("ab ca!")
    inputs = torch.tensor([vocab.encode(tokens)])
    probabilities = next_token_probabilities(model, inputs)
    with torch.no_grad():
        logits = model(inputs)[0][0].double()
    want = torch.exp(logits) / torch.exp(logits).sum(-1, keepdim=True)
    np.testing.assert_allclose(probabilities, want.numpy(), atol=1e-12)
    table = top_k_table(probabilities, tokens, vocab, k=3)
    assert list(table["reads"]) == ["a", "b", "␣", "c", "a", "!"]
    assert list(table["next"][:5]) == ["b", "␣", "c", "a", "!"] and table["next"][5] == ""
    for t in range(5):
        target = vocab.id(tokens[t + 1])  # '!' is unknown: the model should say <unk>
        ranked = np.argsort(-probabilities[t], kind="stable")
        assert table["top_tokens"][t] == [vocab.tokens[i] for i in ranked[:3]]
        assert table["p(next)"][t] == pytest.approx(probabilities[t, target])
        assert table["rank of next"][t] == list(ranked).index(target) + 1
        marked = [c for c in ("top 1", "top 2", "top 3") if table[c][t].endswith("✓")]
        assert len(marked) == (1 if table["rank of next"][t] <= 3 else 0)
    assert table["next_token"][4] == "<unk>"
    spec = top_k_chart(table, 2).to_dict()
    assert "next is 'c'" in spec["title"]
    model.config = ModelConfig(
        vocab_size=len(vocab),
        embedding_size=3,
        hidden_size=4,
        num_outputs=2,
        objective="sequence_class",
    )
    assert not is_language_model(model, vocab)


# ---- compare ------------------------------------------------------------------------------------


def test_difference_is_b_minus_a_aligned_by_step():
    _, _, _, a = lstm_trace(steps=6, seed=0)
    _, _, _, b = lstm_trace(steps=4, seed=1, tokens=["w0", "x", "w2", "w3"])
    comparison = difference(a, b)
    assert comparison.steps == 4 and "6 and 4 steps" in comparison.note
    for name in a.names:
        np.testing.assert_allclose(
            comparison.trace[name].numpy(), (b[name][..., :4, :] - a[name][..., :4, :]).numpy()
        )
    assert comparison.trace.tokens == [["w0", "w1→x", "w2", "w3"]]
    same = difference(a, a)
    assert same.note == "" and float(same.trace.cell.abs().max()) == 0.0


def test_unlike_shapes_are_refused_with_the_reason():
    _, _, _, a = lstm_trace(hidden=4)
    _, _, _, b = lstm_trace(hidden=5)
    assert mismatch(a, b) == "4 vs 5 units"
    with pytest.raises(ValueError, match="4 vs 5 units"):
        difference(a, b)
    _, gru = record(nn.GRU(3, 4, batch_first=True), torch.randn(1, 3, 3))
    assert "GRU" in mismatch(a, gru)


# ---- export -------------------------------------------------------------------------------------


def test_trace_bytes_load_back(tmp_path):
    _, _, _, trace = lstm_trace()
    for fmt in ("npz", "parquet"):
        path = tmp_path / f"t.{fmt}"
        path.write_bytes(trace_bytes(trace, fmt))
        loaded = Trace.load(path)
        for name in trace.names:
            np.testing.assert_array_equal(loaded[name].numpy(), trace[name].numpy())
    frame = pd.read_csv(io.BytesIO(trace_bytes(trace, "csv")))
    assert len(frame) == sum(v.numel() for v in trace.values.values())
    row = frame[(frame.quantity == "cell") & (frame.layer == 1) & (frame.direction == 1)]
    row = row[(row.time == 2) & (row.unit == 3)]
    assert row["value"].item() == pytest.approx(float(trace.cell[1, 1, 0, 2, 3]), abs=1e-6)
    assert row["token"].item() == "w2"
    with pytest.raises(ValueError, match="format"):
        trace_bytes(trace, "xlsx")
