"""AppTest: the Upload page maps a file's layers, records and checks the chosen one, refuses bad
files with a message, and opens an uploaded model in Explore."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import tomllib
import torch
from safetensors.torch import save
from streamlit.testing.v1 import AppTest
from torch import nn

from app import state
from lstm_viz.importers import MAX_FILE_MB
from tests.app.test_explore_page import charts, decode
from tests.toy_models import Classifier

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = str(ROOT / "app" / "streamlit_app.py")


def upload_page() -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.run()
    at.switch_page("views/upload.py")
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.get("file_uploader")[0].upload(name, data).run()
    assert not at.exception, at.exception
    return at


def pt(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def test_the_limit_is_stated_and_matches_the_server_setting():
    at = upload_page()
    assert f"Limit: {MAX_FILE_MB} MB per file" in at.caption[0].value
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_FILE_MB
    assert "Upload a model file" in at.info[0].value


def test_a_state_dict_is_mapped_recorded_and_checked():
    torch.manual_seed(0)
    model = Classifier(vocab_size=8, hidden=20)
    at = upload(upload_page(), "classifier.pt", pt(model.state_dict()))
    assert "2 recurrent layers found in 1 module" in at.subheader[0].value  # a stacked LSTM
    table = at.dataframe[0].value
    assert list(table["layer"]) == ["lstm"]
    assert table.iloc[0]["hidden size"] == 20 and table.iloc[0]["embedding"] == "embedding"
    assert at.selectbox(key=f"upload.{_digest(at)}.lstm.embedding").value == "embedding"
    assert at.selectbox(key=f"upload.{_digest(at)}.lstm.head").value == "fc"  # found: used
    assert "2 × LSTM 10 → 20" in at.selectbox(key=f"upload.layer.{_digest(at)}").format_func("lstm")
    [check] = at.success
    assert "torch.nn.LSTM" in check.value and "largest difference" in check.value
    drawn = at.get("plotly_chart")
    assert len(drawn) == 6  # input, forget, candidate, output, cell, hidden

    # The recorded hidden state is the module's own, for the ids typed.
    at.radio(key=f"upload.{_digest(at)}.lstm.mode").set_value("Token ids").run()
    at.text_input(key="upload.ids").set_value("3 1 4 1 5").run()
    assert not at.exception and not at.error
    hidden = decode(charts(at)["hidden"]["data"][0]["z"])  # [unit, step], layer 0
    ids = torch.tensor([[3, 1, 4, 1, 5]])
    first_layer = nn.LSTM(10, 20, batch_first=True)
    first_layer.load_state_dict({k: v for k, v in model.lstm.state_dict().items() if "_l0" in k})
    expected = first_layer(model.embedding(ids))[0][0].detach().numpy().T  # [H, T]
    np.testing.assert_allclose(hidden, expected, atol=1e-5, rtol=0)


def _digest(at: AppTest) -> str:
    return at.session_state["upload.imported"]["digest"][:12]


def test_bad_files_get_a_message_and_the_page_stays_up():
    at = upload(upload_page(), "whole.pt", pt(Classifier(vocab_size=8, hidden=20)))
    assert "holds a pickled Python object" in at.error[0].value
    assert at.error[0].value.startswith("**whole.pt** cannot be used: this file holds a pickled")
    assert at.error[0].value.count("whole.pt") == 1  # named once, not twice
    assert 'torch.save(model.state_dict(), "model.pt")' in at.error[0].value
    at = upload(upload_page(), "noise.onnx", b"\x08\x01garbage" * 10)
    assert "cannot be used" in at.error[0].value
    state_dict = nn.LSTM(3, 4).state_dict()
    state_dict["weight_hh_l0"][0, 0] = float("nan")
    at = upload(upload_page(), "nan.safetensors", save(state_dict))
    assert "NaN" in at.error[0].value


def test_open_in_explore_adds_an_uploaded_model():
    torch.manual_seed(1)
    at = upload(upload_page(), "gru.safetensors", save(nn.GRU(3, 5).state_dict()))
    at.button(key="upload.explore").click().run()
    assert not at.exception, at.exception
    [ref] = at.session_state[state.UPLOADED_MODELS]
    assert ref.source == "uploaded" and Path(ref.path, "config.json").is_file()
    assert at.session_state[state.CHOICES]["model"] == ref.id
    assert "Explore" in at.title[0].value
    assert not at.error
    assert at.get("plotly_chart")  # Explore records it like any model
    assert at.text_input(key=f"explore.text.{ref.id}").value.count(";") == 19  # the 20 steps


def test_onnx_and_keras_files_are_checked_by_their_own_runtimes(tmp_path):
    import os
    import warnings

    import pytest

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    pytest.importorskip("onnxruntime")
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(nn.GRU(3, 4, num_layers=2), (torch.randn(5, 1, 3),), buffer, dynamo=False)
    at = upload(upload_page(), "gru.onnx", buffer.getvalue())
    assert [s.value.split("**")[1].split()[0] for s in at.success] == [
        "torch.nn.GRU",
        "onnxruntime",
    ]
    assert at.dataframe[0].value.iloc[0]["layers"] == 2
    at.button(key="upload.explore").click().run()
    [ref] = at.session_state[state.UPLOADED_MODELS]
    assert "--" not in Path(ref.path).name  # the node's path "/GRU" joins with one hyphen

    model = keras.Sequential([keras.Input((None, 3)), keras.layers.LSTM(4, name="enc")])
    model.save(tmp_path / "m.keras")
    at = upload(upload_page(), "m.keras", (tmp_path / "m.keras").read_bytes())
    assert [s.value.split("**")[1].split()[0] for s in at.success] == ["torch.nn.LSTM", "Keras"]


# ---- hostile and awkward uploads (../shared/cases/hostile/) -------------------------------------

HOSTILE = ROOT.parent / "shared" / "cases" / "hostile"


def hostile(name: str) -> bytes:
    import pytest

    path = HOSTILE / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared cases folder sits beside the checkout)")
    return path.read_bytes()


def one_hot_with_vocab(at: AppTest) -> AppTest:
    at.radio(key=f"upload.{_digest(at)}.(top level).mode").set_value("One-hot tokens").run()
    assert not at.exception, at.exception
    return at


def test_a_vocabulary_records_text_or_is_refused_in_one_line():
    at = upload(upload_page(), "valid.pt", hostile("valid.pt"))
    at = one_hot_with_vocab(at)
    vocab = at.get("file_uploader")[1]
    vocab.upload("vocab.json", b'["T", "h", "e"]').run()
    assert not at.exception, at.exception
    at.text_input(key="upload.text").set_value("The").run()
    assert not at.exception and not at.error, at.error
    prepared = at.session_state["upload.recording"]["result"].prepared
    assert prepared.tokens == ["T", "h", "e"]
    assert prepared.inputs[0].argmax(-1).tolist() == [0, 1, 2]
    assert "torch.nn.LSTM" in at.success[0].value

    at.get("file_uploader")[1].upload("vocab-deep.json", hostile("vocab-deep.json")).run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "vocab-deep.json cannot be used as a vocabulary" in error.value
    assert "nested too deeply" in error.value and "\n" not in error.value
    assert at.text_input(key="upload.ids").value == "1 2 0 1 2"  # ids that fit 3 inputs
    assert at.success  # the page still records


def test_a_layer_without_biases_opens_in_explore():
    at = upload(upload_page(), "nobias-lstm.pt", hostile("nobias-lstm.pt"))
    assert at.dataframe[0].value.iloc[0]["bias"] == False  # noqa: E712 (a numpy bool)
    at.button(key="upload.explore").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    [ref] = at.session_state[state.UPLOADED_MODELS]
    assert "Explore" in at.title[0].value and at.get("plotly_chart")


def test_an_h5_reading_a_server_file_is_refused():
    at = upload(
        upload_page(), "h5-external-storage-passwd.h5", hostile("h5-external-storage-passwd.h5")
    )
    [error] = at.error
    assert "cannot be used" in error.value and "stores its data in another file" in error.value
    assert not at.dataframe and not at.get("plotly_chart")


def test_a_file_over_the_limit_is_refused_with_a_sentence():
    from streamlit import config

    config.set_option("server.maxUploadSize", 1)
    try:
        at = upload_page()
        assert "Limit: 1 MB per file" in at.caption[0].value
        assert "At most 1 MB per file (this server's upload limit)" in at.caption[1].value
        at = upload(at, "big.pt", pt({"weight": torch.zeros(400_000)}))
        [error] = at.error
        assert "big.pt has 1.5 MB, more than the 1 MB this page reads: refused" in error.value
    finally:
        config.set_option("server.maxUploadSize", MAX_FILE_MB)


def test_opened_models_live_in_one_session_folder_that_is_bounded():
    from lstm_viz.importers import UploadFolder

    at = upload_page()
    MAX_MODELS = 3  # the session's folder as the page makes it, with a smaller bound (time)
    at.session_state["upload.folder"] = UploadFolder(max_models=MAX_MODELS)
    for i in range(MAX_MODELS + 1):
        at = upload(at, f"m{i}.safetensors", save(nn.RNN(2, 3).state_dict()))
        at.button(key="upload.explore").click().run()
        assert not at.exception, at.exception
        at.switch_page("views/upload.py").run()
    folder = at.session_state["upload.folder"]
    assert isinstance(folder, UploadFolder)
    refs = at.session_state[state.UPLOADED_MODELS]
    assert len(refs) == MAX_MODELS and "m0-" not in " ".join(r.path for r in refs)
    assert sorted(p.name for p in folder.path.iterdir()) == sorted(Path(r.path).name for r in refs)
    folder.remove()


# ---- trust: every check on its own line, red when our numbers differ (issue 15) -----------------


def test_a_state_dict_with_a_vocabulary_records_typed_text():
    torch.manual_seed(2)
    model = Classifier(vocab_size=8, hidden=6)
    at = upload(upload_page(), "classifier.pt", pt(model.state_dict()))
    mode = at.radio(key=f"upload.{_digest(at)}.lstm.mode")
    assert mode.value == "Text (with a vocabulary)"
    before = " ".join(c.value for c in at.caption)  # until a vocab.json comes: ids, and it says so
    assert "No vocab.json yet: the model reads the token ids below" in before
    vocab = {c: i for i, c in enumerate(" acehtso")}  # {token: id}, the embedding's 8 rows
    at.get("file_uploader")[1].upload("vocab.json", json.dumps(vocab).encode()).run()
    assert not at.exception, at.exception
    at.text_input(key="upload.text").set_value("the cat").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "No vocab.json yet" not in " ".join(c.value for c in at.caption)
    result = at.session_state["upload.recording"]["result"]
    assert result.prepared.tokens == list("the cat") and not any(result.prepared.unknown)
    markdown = " ".join(m.value for m in at.markdown)
    assert "As the model reads it:** 7 tokens" in markdown and "tok" in markdown  # the chips
    assert len(at.get("plotly_chart")) == 6
    hidden = decode(charts(at)["hidden"]["data"][0]["z"])  # [unit, step], layer 0
    ids = torch.tensor([[vocab[c] for c in "the cat"]])
    first = nn.LSTM(10, 6, batch_first=True)
    first.load_state_dict({k: v for k, v in model.lstm.state_dict().items() if "_l0" in k})
    np.testing.assert_allclose(hidden, first(model.embedding(ids))[0][0].detach().numpy().T,
                               atol=1e-5, rtol=0)  # fmt: skip
    # The one check that ran is ours; a state dict has no runtime: said, not claimed.
    [check] = at.success
    assert check.value.startswith("our recording vs our reading: **torch.nn.LSTM**")
    captions = " ".join(c.value for c in at.caption)
    assert "No runtime could confirm this mapping (a weights-only file" in captions
    assert "Choices made for this weights-only file" in captions  # record_imported's note


MASK = ROOT.parent / "shared" / "cases" / "import" / "10_keras_mask_zero"


def test_a_reading_that_differs_from_the_runtime_is_red_never_a_success():
    import os

    import pytest

    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("keras")
    path = MASK / "mask_zero.keras"
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared cases folder sits beside the checkout)")
    at = upload(upload_page(), "mask_zero.keras", path.read_bytes())
    digest = _digest(at)
    name = at.selectbox(key=f"upload.layer.{digest}").value
    at.radio(key=f"upload.{digest}.{name}.mode").set_value("Token ids").run()
    at.text_input(key="upload.ids").set_value("0 0 0 0 0 5 17 3 22 9").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    mask = at.checkbox(key=f"upload.{digest}.{name}.mask")
    assert mask.value  # Keras masks are honoured by default, and then Keras agrees
    assert [s.value.split(":")[0] for s in at.success] == [
        "our recording vs our reading",
        "our reading vs the file's runtime",
    ]
    assert any("masked" in c.value for c in at.caption)

    mask.uncheck().run()
    assert not at.exception, at.exception
    banner, runtime = at.error
    assert "Do not trust this recording" in banner.value
    assert (
        runtime.value.startswith("our reading vs the file's runtime") and "DIFFERS" in runtime.value
    )
    assert all("runtime" not in s.value for s in at.success)
    captions = " ".join(c.value for c in at.caption)
    assert "No runtime could confirm" not in captions  # one did, and disagreed
    assert "Mask off: masked steps are read as real input" in captions
    assert at.subheader[-1].value != "Check" and "DIFFER" in " ".join(s.value for s in at.subheader)


def test_a_refused_layer_is_listed_with_its_reason_and_not_offered(tmp_path):
    import os

    import pytest

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    layers = keras.layers
    model = keras.Sequential([keras.Input((None, 3)),
                              layers.LSTM(4, activation="relu", return_sequences=True, name="odd"),
                              layers.LSTM(5, name="plain")])  # fmt: skip
    model.save(tmp_path / "m.keras")
    at = upload(upload_page(), "m.keras", (tmp_path / "m.keras").read_bytes())
    table = at.dataframe[0].value
    assert list(table["layer"]) == ["odd", "plain"] and table.iloc[1]["status"] == "ok"
    [refused] = at.warning
    assert refused.value.startswith("Refused, not offered for recording: **odd**")
    assert "activation 'relu'" in refused.value
    picker = at.selectbox(key=f"upload.layer.{_digest(at)}")
    assert picker.options == ["plain · LSTM 4 → 5"] and picker.value == "plain"
    assert not at.error and len(at.success) == 2  # recorded, and Keras agrees


def test_a_csv_says_which_rows_and_columns_were_read():
    at = upload(upload_page(), "lstm.safetensors", save(nn.LSTM(2, 3).state_dict()))
    at.radio(key=f"upload.{_digest(at)}.(top level).mode").set_value("Numeric CSV").run()
    csv = b"date,temp,humidity\n2024-01-01,1.5,40\n2024-01-02,2.5,41\n2024-01-03,3.0,39\n"
    at.get("file_uploader")[1].upload("x.csv", csv).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [read] = [i.value for i in at.info if i.value.startswith("Read from the CSV")]
    assert "3 rows" in read and "temp" in read and "humidity" in read, read
    assert at.session_state["upload.recording"]["result"].trace.num_steps == 3


def test_no_runtime_says_why_and_names_the_missing_package(monkeypatch):
    import importlib.util

    from app.components.upload import recording

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "onnxruntime" else real(name)
    )
    assert "weights-only" in recording.no_runtime_reason("pytorch")
    onnx = recording.no_runtime_reason("onnx")
    assert onnx.startswith("onnxruntime is not installed") and "`pip install onnxruntime`" in onnx
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert "`pip install keras`" in recording.no_runtime_reason("keras-h5")
    assert "onnx and onnxruntime are not installed" in recording.no_runtime_reason("onnx")


# ---- a fresh user's pass (fix-upload9): notes that agree, and an upload's share link ----------


class EmbeddedLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(30, 16)
        self.lstm = nn.LSTM(16, 32, num_layers=2)
        self.head = nn.Linear(32, 30)


def test_a_state_dict_with_a_short_vocabulary_says_each_thing_once_and_its_link_is_local():
    torch.manual_seed(3)
    at = upload(upload_page(), "m.pt", pt(EmbeddedLSTM().state_dict()))
    captions = " ".join(c.value for c in at.caption)
    assert "2 × LSTM 16 → 32 from the parameter names" in captions
    assert "Not read" not in captions  # its entries are its tensors, all read
    at.get("file_uploader")[1].upload("vocab.json", b'["<unk>", "a", "b", "c"]').run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = [m.value for m in [*at.caption, *at.warning, *at.info]]
    about = [s for s in shown if "not in the vocabulary" in s]
    assert len(about) == 1, about  # one message, not a count of distinct tokens and another
    assert "19 tokens (10 different)" in about[0] and "'␣'" in about[0]
    assert "' '" not in about[0] and "(id 0)" in about[0]
    [short] = [s for s in shown if "have no token" in s]
    assert "names 4 tokens; the embedding has 30 rows: ids 4-29 have no token" in short

    # Its head has one output per embedding row: read as next-token scores, said before Explore.
    assert "Explore offers 🔮 Predictions: the head head" in " ".join(c.value for c in at.caption)
    # Explore on the upload: the same count, and a share link said to work only in this tab.
    at.button(key="upload.explore").click().run()
    assert not at.exception, at.exception
    assert "Explore" in at.title[0].value
    [ref] = at.session_state[state.UPLOADED_MODELS]
    assert "🔮 Predictions" in at.radio(key=f"explore.{ref.id}.view").options
    [unknown] = [w.value for w in at.warning if "not in the vocabulary" in w.value]
    assert unknown.startswith("19 tokens (10 different) are not in the vocabulary")
    [local] = [w.value for w in at.warning if "Uploads last only for this browser tab" in w.value]
    assert "opens the model only here" in local and "models folder" in local
