"""Issue 15 beyond the shared cases: variants of each kind of fault, built here (tiny models)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from safetensors.torch import save
from torch import nn

from lstm_viz.importers import (
    ModelFileError,
    inspect_file,
    inspect_isolated,
    read_vocab,
    record_imported,
)
from lstm_viz.numbers import read_csv_table
from tests.unit.importers.test_importers import torch_bytes

TOL = 1e-5


# ---- weight drop, pairing ------------------------------------------------------------------------


def test_a_weight_dropped_stack_uses_every_raw_matrix():
    torch.manual_seed(1)
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    state = {}
    for key, value in lstm.state_dict().items():
        if key.startswith("weight_hh"):
            state[f"rnn.{key}_raw"] = value  # fastai: raw on the wrapper
            state[f"rnn.module.{key}"] = torch.randn_like(value)  # a dropped-out copy
        else:
            state[f"rnn.module.{key}"] = value
    x = torch.randn(1, 7, 3)
    result = record_imported(save(state), "awd.safetensors", input="csv", csv=_csv(x[0]))
    expected, _ = lstm(x)
    last = torch.cat([result.trace.hidden[-1, d] for d in range(2)], dim=-1)
    torch.testing.assert_close(last, expected, atol=TOL, rtol=0)
    dropped = [n for n in result.notes if n.startswith("weight-dropped")]
    assert len(dropped) == 4 and all("a different matrix" in n for n in dropped)
    assert result.layer.name == "rnn"


def _csv(rows: torch.Tensor) -> bytes:
    header = ",".join(f"f{i}" for i in range(rows.shape[1]))
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in rows.tolist())
    return (header + "\n" + body + "\n").encode()


def test_each_layer_pairs_with_its_own_parent_s_embedding_and_head():
    torch.manual_seed(2)
    parts = {
        "encoder.embedding": nn.Embedding(9, 4),
        "encoder.lstm": nn.LSTM(4, 4, batch_first=True),
        "decoder.embedding": nn.Embedding(7, 4),
        "decoder.lstm": nn.LSTM(4, 4, batch_first=True),
        "decoder.fc": nn.Linear(4, 7),
    }
    state = {f"{n}.{k}": v for n, m in parts.items() for k, v in m.state_dict().items()}
    imported = inspect_file(torch_bytes(state), "s2s.pt")
    decoder, encoder = imported.layer("decoder.lstm"), imported.layer("encoder.lstm")
    assert [e.name for e in decoder.embeddings] == ["decoder.embedding", "encoder.embedding"]
    assert encoder.embeddings[0].name == "encoder.embedding"
    assert [h.name for h in decoder.heads] == ["decoder.fc"]
    assert [h.name for h in encoder.heads] == ["decoder.fc"]  # no embedding offered as a head
    result = record_imported(imported, layer="decoder.lstm", input="ids:1 6 3", head="decoder.fc")
    module = parts["decoder.lstm"]
    expected, _ = module(parts["decoder.embedding"](torch.tensor([[1, 6, 3]])))
    torch.testing.assert_close(result.trace.hidden[0, 0], expected, atol=TOL, rtol=0)
    other = record_imported(
        imported, layer="decoder.lstm", input="ids:1 6 3", embedding="encoder.embedding"
    )
    assert not torch.allclose(other.trace.hidden, result.trace.hidden)  # the choice changes it
    assert "no runtime can check" in " ".join(result.notes)


# ---- recognised formats --------------------------------------------------------------------------


def test_a_quantized_state_dict_and_a_torchscript_archive_are_named():
    model = nn.Sequential(nn.LSTM(3, 4))
    quantized = torch.ao.quantization.quantize_dynamic(model, {nn.LSTM}, dtype=torch.qint8)
    with pytest.raises(ModelFileError, match="dynamically quantized.*before quantizing"):
        inspect_file(torch_bytes(quantized.state_dict()), "q.pt")
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.GRU(3, 4)), buffer)
    with pytest.raises(ModelFileError, match="TorchScript archive") as error:
        inspect_file(buffer.getvalue(), "gru.pt")
    assert 'torch.jit.load("gru.pt").state_dict()' in str(error.value)


# ---- ONNX ----------------------------------------------------------------------------------------


def _onnx_lstm(hidden=4, inputs=3, initial=None, gather=None, extra_input=False, lengths=False):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto as TP
    from onnx import helper as h
    from onnx import numpy_helper as nh

    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.6, (1, 4 * hidden, inputs)).astype("float32")
    r = rng.normal(0, 0.6, (1, 4 * hidden, hidden)).astype("float32")
    b = rng.normal(0, 0.3, (1, 8 * hidden)).astype("float32")
    inits = [nh.from_array(w, "W"), nh.from_array(r, "R"), nh.from_array(b, "B")]
    graph_inputs = []
    nodes = []
    x = "X"
    if gather is not None:
        inits.append(nh.from_array(rng.normal(size=(gather, inputs)).astype("float32"), "E"))
        nodes.append(h.make_node("Gather", ["E", "ids"], ["emb"]))  # ids [T, 1]
        x = "emb"
        graph_inputs.append(h.make_tensor_value_info("ids", TP.INT64, [None, 1]))
    else:
        graph_inputs.append(h.make_tensor_value_info("X", TP.FLOAT, [None, 1, inputs]))
    state = ""
    if initial is not None:
        inits.append(nh.from_array(initial.astype("float32"), "h0"))
        state = "h0"
    if extra_input:
        graph_inputs.append(h.make_tensor_value_info("h0", TP.FLOAT, [1, 1, hidden]))
        state = "h0"
    if lengths:
        graph_inputs.append(h.make_tensor_value_info("L", TP.INT32, [1]))
    lens = "L" if lengths else ""
    nodes.append(h.make_node("LSTM", [x, "W", "R", "B", lens, state], ["Y"], hidden_size=hidden))
    graph = h.make_graph(
        nodes, "g", graph_inputs, [h.make_tensor_value_info("Y", TP.FLOAT, None)], inits
    )
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 14)])
    model.ir_version = 8
    return model.SerializeToString()


def _onnx_y(data: bytes, feeds: dict) -> np.ndarray:
    import onnxruntime

    return onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"]).run(["Y"], feeds)[
        0
    ]


def test_a_wrong_reading_of_an_onnx_file_is_never_called_agreement():
    data = _onnx_lstm()
    imported = inspect_file(data, "m.onnx")
    good = record_imported(imported, input="random:6")
    runtime = [c for c in good.checks if c.role == "runtime"]
    assert runtime and runtime[0].ok and not good.disagrees
    imported.layer().weights["weight_hh_l0"][0, 0] += 0.5  # a reading that is wrong
    bad = record_imported(imported, input="random:6")
    replay, runtime = bad.checks
    assert replay.ok  # our recording matches our (wrong) reading ...
    assert runtime.status == "DIFFERS" and bad.disagrees  # ... and the file's own graph says so
    assert "DIFFERS" in " ".join(bad.lines())


def test_onnx_initial_states_constant_used_and_graph_inputs_said():
    initial = np.random.default_rng(3).normal(size=(1, 1, 4))
    data = _onnx_lstm(initial=initial)
    x = np.random.default_rng(4).normal(size=(5, 1, 3)).astype("float32")
    result = record_imported(data, "s.onnx", input="csv", csv=_csv(torch.from_numpy(x[:, 0])))
    expected = _onnx_y(data, {"X": x})[:, 0, 0]
    np.testing.assert_allclose(result.trace.hidden[0, 0, 0].numpy(), expected, atol=TOL)
    assert any("initial_h" in n for n in result.notes)
    free = record_imported(_onnx_lstm(extra_input=True), "g.onnx", input="random:4")
    assert any("Zeros are used" in n and "a graph input" in n for n in free.notes)
    # The note names a way that exists (the CLI has no --initial-state flag): the Python API.
    assert not any("--initial-state" in n for n in free.notes)
    assert any("initial_state=" in n for n in free.notes)
    assert [c for c in free.checks if c.role == "runtime"][0].ok
    given = record_imported(
        _onnx_lstm(extra_input=True), "g.onnx", input="random:4", initial_state=initial[0]
    )
    assert not torch.equal(given.trace.hidden, free.trace.hidden)


def test_onnx_initial_states_made_in_the_graph_are_not_called_inputs():
    """torch.onnx.export writes a module's zero h0 and c0 as Expand nodes over the batch: the note
    says they are computed in the graph (they are not graph inputs)."""
    import io
    import warnings

    pytest.importorskip("onnx")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(3, 4, batch_first=True)

        def forward(self, x):
            return self.rnn(x)[0]

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Net(), (torch.randn(1, 5, 3),), buffer, dynamo=False)
    [note] = [n for n in inspect_file(buffer.getvalue(), "m.onnx").layer().notes if "initial" in n]
    assert "initial_h of node '/rnn/LSTM'" in note and "initial_c" in note
    assert note.count("computed in the graph (Expand node)") == 2
    assert "graph input" not in note and "Zeros are used" in note
    notes = inspect_file(_onnx_lstm(lengths=True), "l.onnx").layer().notes
    assert "sequence_lens ('L') is not used: every step of the input is read" in notes


def test_onnx_runtime_check_starts_from_the_token_ids():
    data = _onnx_lstm(gather=11)
    result = record_imported(data, "e.onnx", input="ids:3 9 0 4")
    runtime = [c for c in result.checks if c.role == "runtime"][0]
    assert runtime.ok and "token ids" in runtime.compared
    expected = _onnx_y(data, {"ids": np.array([[3], [9], [0], [4]])})[:, 0, 0]
    np.testing.assert_allclose(result.trace.hidden[0, 0, 0].numpy(), expected, atol=TOL)


def test_a_loop_graph_is_named():
    pytest.importorskip("onnx")
    from onnx import TensorProto as TP
    from onnx import helper as h

    body = h.make_graph(
        [h.make_node("Identity", ["c"], ["c_out"]), h.make_node("Identity", ["v"], ["v_out"])],
        "body",
        [
            h.make_tensor_value_info(n, t, None)
            for n, t in (("i", TP.INT64), ("c", TP.BOOL), ("v", TP.FLOAT))
        ],  # fmt: skip
        [
            h.make_tensor_value_info("c_out", TP.BOOL, None),
            h.make_tensor_value_info("v_out", TP.FLOAT, None),
        ],  # fmt: skip
    )
    node = h.make_node("Loop", ["n", "", "v0"], ["v"], body=body)
    graph = h.make_graph(
        [node],
        "g",
        [h.make_tensor_value_info(n, t, None) for n, t in (("n", TP.INT64), ("v0", TP.FLOAT))],
        [h.make_tensor_value_info("v", TP.FLOAT, None)],
    )
    data = h.make_model(graph, opset_imports=[h.make_opsetid("", 14)]).SerializeToString()
    with pytest.raises(ModelFileError, match="Loop subgraph.*export the layer as one node"):
        inspect_file(data, "loop.onnx")


def test_the_isolated_reader_keeps_what_the_checks_need():
    data = _onnx_lstm()
    imported = inspect_isolated(data, "m.onnx")
    layer = imported.layer()
    assert layer.reference["model"] == data and layer.reference["nodes"]
    result = record_imported(imported, input="random:5")
    assert [c.role for c in result.checks] == ["replay", "runtime"]
    assert all(c.ok for c in result.checks)


# ---- CSV and vocabularies ------------------------------------------------------------------------


def test_csv_written_every_way_reads_the_same_rows_or_says_what_is_wrong():
    expected = [[1.5, 2.0], [3.0, 4.25]]
    for text in (
        ",a,b\n0,1.5,2\n1,3,4.25\n",  # df.to_csv() with its index
        "a\tb\n1.5\t2\n3\t4.25\n",
        "when;a;b\n2021-01-01;1,5;2\n2021-01-02;3;4,25\n",
        "1.5,2\n3,4.25\n",
    ):
        values, read = read_csv_table(text.encode(), 2, 100)
        assert values.tolist() == expected, text
        assert read.rows == (1, 2)
    with pytest.raises(ValueError, match=r"row 2 \(file line 3\), column 'b' is empty"):
        read_csv_table(b"a,b\n1,2\n3,\n5,6\n", 2, 100)
    with pytest.raises(ValueError, match="not numbers"):
        read_csv_table(b"a,b\n1,x\n", 2, 100)
    values, read = read_csv_table(b"a,b\n" + b"1,2\n" * 5, 2, 3)
    assert len(values) == 3 and "not read" in str(read)


def test_vocabulary_conventions():
    for unknown in ("<unk>", "<UNK>", "[UNK]", "<OOV>", "UNK"):
        vocab = read_vocab(json.dumps({"<pad>": 0, unknown: 1, "a": 2, "b": 3}))
        layer = inspect_file(save(nn.LSTM(4, 3).state_dict()), "m.safetensors").layer()
        result = record_imported(layer_file(layer), input="text:abz", vocab=vocab)
        assert result.prepared.inputs[0].argmax(-1).tolist() == [2, 3, 1]
        assert any(repr(unknown) in n for n in result.notes)
    tokenizer = {
        "class_name": "Tokenizer",
        "config": {
            "num_words": 3,
            "oov_token": "<OOV>",
            "lower": True,
            "word_index": json.dumps({"<OOV>": 1, "the": 2, "cat": 3}),
        },
    }
    vocab = read_vocab(json.dumps(tokenizer))
    result = record_imported(
        layer_file(inspect_file(save(nn.LSTM(4, 3).state_dict()), "m.safetensors").layer()),
        input="text:The cat sat",
        vocab=vocab,
        level="word",
    )
    assert result.prepared.inputs[0].argmax(-1).tolist() == [2, 1, 1]  # cat: beyond num_words
    assert any("num_words=3" in n for n in result.notes)
    with pytest.raises(ModelFileError, match="out of range"):
        record_imported(layer_file(inspect_file(save(nn.LSTM(4, 3).state_dict()), "m.safetensors")
                                   .layer()), input="ids:0 7")  # fmt: skip


def layer_file(layer):
    from lstm_viz.importers import ImportedFile

    return ImportedFile("m.safetensors", "safetensors", [layer])


def test_keras_is_never_run_on_a_file_with_a_lambda(tmp_path):
    import os
    from importlib.util import find_spec

    if find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    if os.environ["KERAS_BACKEND"] != "torch":
        pytest.skip("this test builds its file with Keras on the torch backend")
    import keras

    model = keras.Sequential(
        [keras.Input((None, 2)), keras.layers.Lambda(lambda x: x * 2), keras.layers.LSTM(3)]
    )
    path = tmp_path / "lambda.keras"
    model.save(path)
    result = record_imported(path, input="random:4")
    runtime = [c for c in result.checks if c.role == "runtime"][0]
    assert runtime.status == "not run" and "Lambda" in runtime.compared
    assert not result.disagrees and not result.runtime_checked


def test_a_file_that_is_not_pytorch_is_named_plainly_and_a_legacy_pickle_still_reads():

    with pytest.raises(ModelFileError, match="notes.pt is not a PyTorch file: torch.save writes"):
        inspect_file(b"my notes for the lesson\n", "notes.pt")
    buffer = io.BytesIO()
    lstm = nn.LSTM(3, 4)
    torch.save(lstm.state_dict(), buffer, _use_new_zipfile_serialization=False)  # PyTorch < 1.6
    (layer,) = inspect_file(buffer.getvalue(), "old.pt").layers
    assert (layer.kind, layer.hidden_size) == ("lstm", 4)


def test_onnxruntime_runs_the_uploaded_graph_in_a_child_process(monkeypatch):
    """A graph that crashed onnxruntime's native code must end a child, never the server."""
    from lstm_viz.importers import _isolated

    commands = []
    real = _isolated.run_isolated

    def spy(command, *args, **kwargs):
        commands.append(command)
        return real(command, *args, **kwargs)

    monkeypatch.setattr(_isolated, "run_isolated", spy)
    result = record_imported(inspect_file(_onnx_lstm(), "m.onnx"), input="random:6")
    runtime = [c for c in result.checks if c.role == "runtime"]
    assert runtime and runtime[0].ok
    assert any(command[-1] == "lstm_viz.importers._onnx_check" for command in commands)
