"""Importers: files written by PyTorch load, record, and match the module's own outputs within
1e-5; what cannot be mapped is refused with a clear message. ONNX and Keras files: test_onnx.py,
test_keras.py."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported anywhere

import pytest
import torch
from safetensors.torch import save
from torch import nn

import lstm_viz
from lstm_viz.importers import (
    Choice,
    ModelFileError,
    build,
    checks,
    default_choice,
    inspect_file,
    prepare,
    read_vocab,
    recurrent_input,
)

from ._common import TOL, Classifier, assert_matches_module, onnx_export, torch_bytes

# ---- PyTorch ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_the_standard_pytorch_example(suffix):
    torch.manual_seed(0)
    lstm = nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
    data = torch_bytes(lstm.state_dict()) if suffix == ".pt" else save(lstm.state_dict())
    imported = inspect_file(data, "model" + suffix)
    assert imported.table() == [
        {
            "layer": "(top level)",
            "kind": "lstm",
            "input size": 10,
            "hidden size": 20,
            "layers": 2,
            "bidirectional": False,
            "projection": 0,
            "bias": True,
            "embedding": "",
            "head": "",
            "status": "ok",
        }
    ]
    layer = imported.layer()
    module = build(layer)
    x = torch.randn(5, 3, 10)
    (output, (h_n, c_n)), trace = lstm_viz.record(module, x)
    assert trace.hidden.shape == (2, 1, 5, 3, 20)
    expected, (h_ref, c_ref) = lstm(x)
    torch.testing.assert_close(output, expected, atol=TOL, rtol=0)
    torch.testing.assert_close(c_n, c_ref, atol=TOL, rtol=0)
    assert_matches_module(trace, lstm, x)
    [check] = checks(layer, x, trace)
    assert check.reference == "torch.nn.LSTM" and check.max_difference < TOL


def test_the_standard_example_inside_a_classifier(tmp_path):
    torch.manual_seed(1)
    model = Classifier()
    path = tmp_path / "classifier.pth"
    torch.save({"epoch": 3, "model_state_dict": model.state_dict()}, path)
    imported = inspect_file(path)
    layer = imported.layer("model_state_dict.lstm")
    assert (layer.input_size, layer.hidden_size, layer.num_layers) == (10, 20, 2)
    assert [e.name for e in layer.embeddings] == ["model_state_dict.embedding"]
    assert [h.name for h in layer.heads] == ["model_state_dict.fc"]

    # The LSTM alone reads a (5, 3, 10) input.
    x = torch.randn(5, 3, 10)
    _, trace = lstm_viz.record(build(layer), x)
    assert_matches_module(trace, model.lstm, x)

    # With its embedding and head, it reads token ids and gives the classifier's own logits.
    ids = torch.randint(0, 50, (5, 3))
    module = build(layer, default_choice(layer))
    (logits, _), trace = lstm_viz.record(module, ids)
    torch.testing.assert_close(logits[:, -1], model(ids), atol=TOL, rtol=0)
    assert_matches_module(trace, model.lstm, model.embedding(ids))
    assert all(c.max_difference < TOL for c in checks(layer, recurrent_input(module, ids), trace))


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True),
        lambda: nn.LSTM(4, 6, num_layers=2, proj_size=3, batch_first=True),
        lambda: nn.LSTM(4, 6, bias=False),
        lambda: nn.GRU(4, 6, num_layers=3, bidirectional=True),
        lambda: nn.RNN(4, 6, num_layers=2, nonlinearity="relu"),
        lambda: lstm_viz.PeepholeLSTM(4, 6, num_layers=2),
    ],
    ids=["bi-lstm", "proj-lstm", "lstm-nobias", "bi-gru", "relu-rnn", "peephole"],
)
def test_every_pytorch_configuration(make):
    torch.manual_seed(2)
    reference = make().eval()
    state = {f"encoder.rnn.{k}": v for k, v in reference.state_dict().items()}
    layer = inspect_file(save(state), "m.safetensors").layer("encoder.rnn")
    relu = getattr(reference, "nonlinearity", "") == "relu"
    if relu:
        assert "tanh is assumed" in layer.notes[0]
    module = build(layer, Choice(nonlinearity="relu" if relu else None))
    x = torch.randn(2, 7, 4)
    _, trace = lstm_viz.record(module, x)
    if isinstance(reference, lstm_viz.PeepholeLSTM):
        reference.batch_first = True
        torch.testing.assert_close(trace.hidden[-1, 0], reference(x)[0], atol=TOL, rtol=0)
    else:
        reference.batch_first = True
        assert_matches_module(trace, reference, x)
    assert all(c.max_difference < TOL for c in checks(layer, x, trace))


def test_a_pickled_module_is_refused_with_the_recipe():
    data = torch_bytes(Classifier())
    with pytest.raises(ModelFileError) as error:
        inspect_file(data, "whole.pt")
    message = str(error.value)
    assert "Classifier" in message and "refused" in message
    assert 'torch.save(model.state_dict(), "model.pt")' in message


def test_nan_weights_are_reported_and_not_recorded():
    lstm = nn.LSTM(3, 4)
    state = lstm.state_dict()
    state["weight_hh_l0"][0, 0] = float("nan")
    layer = inspect_file(save(state), "nan.safetensors").layer()
    assert layer.row()["status"] == "weight_hh_l0 has 1 NaN/Inf value"
    with pytest.raises(ModelFileError, match="NaN"):
        build(layer)


def test_files_without_recurrent_layers_say_what_they_have():
    with pytest.raises(
        ModelFileError, match="no recurrent layer.*It has: (weight, bias|bias, weight)"
    ):
        inspect_file(save(nn.Linear(3, 4).state_dict()), "x.safetensors")
    state = {f"fc.{k}": v for k, v in nn.Linear(3, 4).state_dict().items()}
    with pytest.raises(ModelFileError, match="fc.weight"):
        inspect_file(save(state), "x.safetensors")


# ---- inputs ------------------------------------------------------------------------------------


def test_inputs_text_ids_one_hot_csv_random():
    torch.manual_seed(3)
    model = Classifier(vocab=6)
    layer = inspect_file(torch_bytes(model.state_dict()), "c.pt").layer("lstm")
    choice = default_choice(layer)
    vocab = read_vocab(b'{"<pad>": 0, "<unk>": 1, "a": 2, "b": 3, "c": 4, " ": 5}')
    text = prepare(layer, choice, "text:ab ax", vocab=vocab)
    assert text.inputs.tolist() == [[2, 3, 5, 2, 1]]
    assert text.unknown == [False, False, False, False, True]
    assert prepare(layer, choice, "ids:2, 3 4").inputs.tolist() == [[2, 3, 4]]
    with pytest.raises(ModelFileError, match="out of range"):
        prepare(layer, choice, "ids:9")
    with pytest.raises(ModelFileError, match="no unknown token"):
        prepare(layer, choice, "text:az", vocab=read_vocab(b'["a", "b"]'))
    random = prepare(layer, choice, "random:12")
    assert random.inputs.shape == (1, 12) and int(random.inputs.max()) < 6

    bare = Choice()  # no embedding: ids become one-hot rows of the 10 input features
    one_hot = prepare(layer, bare, "ids:0 9")
    assert one_hot.inputs.shape == (1, 2, 10) and one_hot.inputs[0, 1, 9] == 1
    steps = prepare(layer, bare, "random:3")  # random numbers: each step labelled t=k, no
    assert steps.inputs.shape == (1, 3, 10) and steps.tokens == ["t=0", "t=1", "t=2"]  # "step␣0"
    csv = ",".join(f"f{i}" for i in range(10)) + "\n" + ",".join(["0.5"] * 10) + "\n"
    numbers = prepare(layer, bare, "csv", csv=csv.encode())
    assert numbers.inputs.shape == (1, 1, 10)
    with pytest.raises(ModelFileError, match="reads 10"):
        prepare(layer, bare, "csv", csv=b"a,b\n1,2\n")
    with pytest.raises(ModelFileError, match="vocabulary"):
        read_vocab(b'{"a": "x"}')


# ---- as a checkpoint (what "open in Explore" writes) ---------------------------------------------


def test_a_bare_layer_saved_as_a_checkpoint_records_the_same(tmp_path):
    from lstm_viz.importers import save_as_checkpoint
    from lstm_viz.models.checkpoints import load_checkpoint

    torch.manual_seed(8)
    lstm = nn.GRU(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    layer = inspect_file(save(lstm.state_dict()), "gru.safetensors").layer()
    folder = save_as_checkpoint(tmp_path / "gru", layer, Choice(), filename="gru.safetensors")
    checkpoint = load_checkpoint(folder)
    assert checkpoint.vocab is None and checkpoint.model.config.input_size == 4
    x = torch.randn(1, 9, 4)
    _, ours = lstm_viz.record(checkpoint.model, x)
    assert_matches_module(ours, lstm, x)
    assert checkpoint.info["task"]["title"] == "uploaded: gru.safetensors · (top level)"


def test_an_embedding_with_a_foreign_vocabulary_is_reindexed(tmp_path):
    from lstm_viz.importers import save_as_checkpoint
    from lstm_viz.models.checkpoints import load_checkpoint

    torch.manual_seed(9)
    model = Classifier(vocab=5)
    layer = inspect_file(torch_bytes(model.state_dict()), "c.pt").layer("lstm")
    vocab = {"a": 0, "b": 1, "[UNK]": 2, "c": 3, "d": 4}  # no <pad>, unknown at 2
    folder = save_as_checkpoint(
        tmp_path / "c", layer, default_choice(layer), filename="c.pt", vocab=vocab
    )
    checkpoint = load_checkpoint(folder)
    assert checkpoint.vocab.tokens == ("<pad>", "<unk>", "a", "b", "c", "d")
    ids = torch.tensor([checkpoint.vocab.encode("abzd")])  # z is unknown: the file's [UNK] row
    (logits, _), trace = lstm_viz.record(checkpoint.model, ids)
    theirs = torch.tensor([[0, 1, 2, 4]])
    torch.testing.assert_close(
        logits, model.fc(model.lstm(model.embedding(theirs))[0]), atol=TOL, rtol=0
    )
    assert_matches_module(trace, model.lstm, model.embedding(theirs))

    # Without a vocabulary, the tokens are the ids, read as words.
    folder = save_as_checkpoint(tmp_path / "ids", layer, default_choice(layer), filename="c.pt")
    checkpoint = load_checkpoint(folder)
    assert checkpoint.vocab.level == "word" and checkpoint.vocab.encode("0 4") == [2, 6]


# ---- reading in a child process (what the app does) ---------------------------------------------


def test_the_isolated_reader_returns_the_same_layers():
    import sys

    from lstm_viz.importers import inspect_isolated

    torch.manual_seed(10)
    model = Classifier()
    data = torch_bytes({"model_state_dict": model.state_dict()})
    here, there = inspect_file(data, "c.pt"), inspect_isolated(data, "c.pt")
    assert here.table() == there.table() and here.mapping() == there.mapping()
    for a, b in zip(here.layers, there.layers, strict=True):
        assert a.weights.keys() == b.weights.keys()
        assert all(torch.equal(a.weights[k], b.weights[k]) for k in a.weights)
        assert torch.equal(a.embeddings[0].weight, b.embeddings[0].weight)
        assert torch.equal(a.heads[0].bias, b.heads[0].bias)

    lstm = nn.GRU(3, 4, num_layers=2, batch_first=True)
    data = onnx_export(lstm, torch.randn(1, 5, 3), ["y", "h"])
    layer = inspect_isolated(data, "g.onnx").layer()
    x = torch.randn(1, 5, 3)
    _, trace = lstm_viz.record(build(layer), x)
    found = checks(layer, x, trace)  # the ONNX reference model travelled as bytes
    assert len(found) == (2 if "onnxruntime" in sys.modules or _has("onnxruntime") else 1)
    assert all(c.max_difference < TOL for c in found)

    with pytest.raises(ModelFileError, match="pickled Python object"):
        inspect_isolated(torch_bytes(Classifier()), "whole.pt")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_a_reader_that_crashes_or_hangs_is_an_error_not_a_crash():
    import sys

    from lstm_viz.importers import inspect_isolated

    def child(code: str) -> list[str]:
        return [sys.executable, "-c", code]

    with pytest.raises(ModelFileError, match=r"crashed \(signal 6\)"):
        inspect_isolated(b"x", "a.h5", command=child("import os; os.abort()"))
    with pytest.raises(ModelFileError, match="more than 1 GB of memory"):
        inspect_isolated(b"x", "a.h5", memory=2**30, command=child("bytearray(2**31)"))
    with pytest.raises(ModelFileError, match="longer than 1 s"):
        inspect_isolated(b"x", "a.h5", timeout=1, command=child("import time; time.sleep(30)"))
    with pytest.raises(ModelFileError, match="unreadable"):
        inspect_isolated(b"x", "a.h5", command=child("print('hello')"))


@pytest.mark.parametrize("make", [lambda: nn.LSTMCell(3, 4), lambda: nn.GRUCell(3, 4)])
def test_a_cell_state_dict_is_one_layer_unrolled(make):
    torch.manual_seed(12)
    cell = make()
    state = {f"decoder.cell.{k}": v for k, v in cell.state_dict().items()}
    layer = inspect_file(torch_bytes(state), "cell.pt").layer("decoder.cell")
    assert layer.sources["weight_ih_l0"] == "decoder.cell.weight_ih"
    x = torch.randn(2, 5, 3)
    _, trace = lstm_viz.record(build(layer), x)
    h, c, steps = torch.zeros(2, 4), torch.zeros(2, 4), []
    for t in range(5):
        if isinstance(cell, nn.LSTMCell):
            h, c = cell(x[:, t], (h, c))
        else:
            h = cell(x[:, t], h)
        steps.append(h)
    torch.testing.assert_close(trace.hidden[0, 0], torch.stack(steps, 1), atol=TOL, rtol=0)
