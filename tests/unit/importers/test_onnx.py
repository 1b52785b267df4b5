"""ONNX files from torch.onnx.export load, record, and match onnxruntime on the same graph."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported anywhere

import numpy as np
import pytest
import torch
from torch import nn

import lstm_viz
from lstm_viz.importers import (
    build,
    checks,
    default_choice,
    inspect_file,
)

from ._common import TOL, Classifier, assert_matches_module, onnx_export

# ---- ONNX ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(4, 6, num_layers=2, batch_first=True),
        lambda: nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True),
        lambda: nn.GRU(4, 6, num_layers=2, bidirectional=True, batch_first=True),
        lambda: nn.RNN(4, 6, batch_first=True, nonlinearity="relu"),
    ],
    ids=["lstm", "bi-lstm", "bi-gru", "relu-rnn"],
)
def test_onnx_matches_onnxruntime(make):
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(4)
    module = make().eval()
    x = torch.randn(3, 5, 4)
    lstm = isinstance(module, nn.LSTM)
    names = ["y", "h"] + (["c"] if lstm else [])
    data = onnx_export(module, x, names)
    imported = inspect_file(data, "model.onnx")
    [layer] = imported.layers
    assert layer.num_layers == module.num_layers and layer.bidirectional == module.bidirectional
    _, trace = lstm_viz.record(build(layer), x)

    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    results = dict(zip(names, session.run(names, {"x": x.numpy()}), strict=True))
    y = torch.from_numpy(results["y"])  # [B, T, D*H]
    h = torch.from_numpy(results["h"])  # [L*D, B, H]
    dirs = layer.directions
    for d in range(dirs):
        torch.testing.assert_close(
            trace.hidden[-1, d], y[..., d * 6 : (d + 1) * 6], atol=TOL, rtol=0
        )
        last = 0 if d else 4
        for k in range(layer.num_layers):
            torch.testing.assert_close(
                trace.hidden[k, d, :, last], h[k * dirs + d], atol=TOL, rtol=0
            )
            if lstm:
                c = torch.from_numpy(results["c"])[k * dirs + d]
                torch.testing.assert_close(trace.cell[k, d, :, last], c, atol=TOL, rtol=0)
    found = checks(layer, x, trace)
    assert [c.reference.split()[0] for c in found][-1] == "onnxruntime"
    assert all(c.max_difference < TOL for c in found), found


def test_onnx_classifier_with_embedding_and_head():
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(5)

    class PerStep(Classifier):
        def forward(self, ids):
            out, _ = self.lstm(self.embedding(ids))
            return self.fc(out)

    model = PerStep().eval()
    ids = torch.randint(0, 50, (2, 6))
    data = onnx_export(model, ids, ["logits"])
    layer = inspect_file(data, "clf.onnx").layer()
    assert layer.embeddings and layer.heads
    module = build(layer, default_choice(layer))
    (logits, _), trace = lstm_viz.record(module, ids)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    expected = torch.from_numpy(session.run(["logits"], {"x": ids.numpy()})[0])
    torch.testing.assert_close(logits, expected, atol=TOL, rtol=0)
    assert_matches_module(trace, model.lstm, model.embedding(ids))


def test_onnx_gate_order_reaches_every_gate():
    """A gate-order mistake would still give plausible numbers; compare every gate with a
    step-by-step computation from PyTorch's weights."""
    torch.manual_seed(6)
    lstm = nn.LSTM(3, 4, batch_first=True).eval()
    x = torch.randn(1, 5, 3)
    layer = inspect_file(onnx_export(lstm, x, ["y", "h", "c"]), "m.onnx").layer()
    for key, value in lstm.state_dict().items():
        torch.testing.assert_close(layer.weights[key], value, atol=0, rtol=0)


def test_onnx_peepholes_match_onnxruntime():
    """A hand-built ONNX LSTM node with peepholes (P, order i, o, f): our PeepholeLSTM recording
    equals onnxruntime's Y (which runs only layout 0: [T, B, I])."""
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(11)
    hidden, features = 4, 3
    arrays = {
        "W": rng.normal(size=(1, 4 * hidden, features)),
        "R": rng.normal(size=(1, 4 * hidden, hidden)),
        "B": rng.normal(size=(1, 8 * hidden)),
        "P": rng.normal(size=(1, 3 * hidden)),
    }
    initializers = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in arrays.items()]
    node = helper.make_node(
        "LSTM", ["X", "W", "R", "B", "", "", "", "P"], ["Y"], hidden_size=hidden
    )
    graph = helper.make_graph(
        [node],
        "peephole",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, None, features])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
        initializers,
    )
    data = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8
    ).SerializeToString()
    layer = inspect_file(data, "peephole.onnx").layer()
    assert layer.kind == "peephole_lstm"
    x = torch.randn(2, 6, features)
    _, trace = lstm_viz.record(build(layer), x)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    y = session.run(["Y"], {"X": x.transpose(0, 1).numpy()})[0]  # [T, D, B, H]
    np.testing.assert_allclose(trace.hidden[0, 0].numpy(), y[:, 0].transpose(1, 0, 2), atol=TOL)
    assert all(c.max_difference < TOL for c in checks(layer, x, trace))
