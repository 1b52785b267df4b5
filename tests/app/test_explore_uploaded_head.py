"""AppTest: an uploaded embedding -> LSTM -> linear model whose head has one output per token
gets Explore's Predictions (the file module's own softmax, tokens as ids without a vocabulary);
one whose head does not is told why Predictions is absent (the Upload page's own path to
Explore: tests/app/test_upload_page.py). Compare shows every unit of a wide
layer through the same "Units shown" window as the heatmaps."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from torch import nn

from app import state
from app.resources import ModelRef
from lstm_viz.importers import default_choice, inspect_file, save_as_checkpoint
from tests.app.test_explore_page import decode, expected, open_explore, save_model


class LanguageModel(nn.Module):
    """The user's model, small: embedding -> 2 x nn.LSTM -> nn.Linear fc (``outputs`` wide)."""

    def __init__(self, tokens: int = 12, outputs: int = 12) -> None:
        super().__init__()
        self.embedding = nn.Embedding(tokens, 4)
        self.lstm = nn.LSTM(4, 6, num_layers=2, batch_first=True)
        self.fc = nn.Linear(6, outputs)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.fc(self.lstm(self.embedding(ids))[0])


def state_dict_bytes(model: nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)  # as the user did: torch.save(model.state_dict(), ...)
    return buffer.getvalue()


def softmax(model: nn.Module, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(model(torch.tensor([ids]))[0].double(), -1).numpy()  # [T, O]


def view_options(at, ref_id: str) -> list:
    return at.radio(key=f"explore.{ref_id}.view").options


def save_upload(model: nn.Module, name: str, vocab: dict | None = None) -> ModelRef:
    """``model``'s state dict saved as Upload's Open in Explore saves it (default choices)."""
    from lstm_viz.models.checkpoints import models_dir

    imported = inspect_file(state_dict_bytes(model), f"{name}.pt")
    layer = imported.layer()
    folder = models_dir().parent / "uploads" / name  # not under models/: listed as uploaded only
    path = save_as_checkpoint(
        folder, layer, default_choice(layer), filename=f"{name}.pt", vocab=vocab, level="char"
    )
    return ModelRef("uploaded", path.name, str(path))


def test_an_uploaded_next_token_head_gets_predictions_as_ids():
    torch.manual_seed(0)
    model = LanguageModel().eval()
    ref = save_upload(model, "x")  # no vocabulary: the tokens are the file's ids
    at = open_explore(**{state.UPLOADED_MODELS: [ref], state.SELECT_MODEL: ref.id})
    assert "🔮 Predictions" in view_options(at, ref.id)
    ids = [3, 1, 4, 1, 5, 9, 2, 6]
    at.text_input(key=f"explore.text.{ref.id}").set_value(" ".join(map(str, ids))).run()
    at.radio(key=f"explore.{ref.id}.view").set_value("predictions").run()
    assert not at.exception and not at.error, at.exception
    want = softmax(model, ids)  # the file's module itself, not our copy of it
    table = at.dataframe[0].value
    assert len(table) == len(ids)
    for t in range(len(ids) - 1):
        assert table["p(next)"][t] == pytest.approx(want[t, ids[t + 1]], abs=1e-6)
        assert table["top 1"][t].startswith(f"id {int(want[t].argmax())}  ")
        assert table["reads"][t] == f"id {ids[t]}"
    captions = " ".join(c.value for c in at.caption)
    assert "its 12 outputs, one per embedding row, are read as the next token" in captions
    assert "shown as its **id** in the file" in captions
    assert "is not offered" not in captions


def test_a_vocabulary_names_the_heads_outputs_and_a_classifier_says_why_not():
    torch.manual_seed(1)
    # The file's token order is not ours (<unk> at id 5, no <pad>); ids 10 and 11 have no token.
    vocab = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "<unk>": 5, "f": 6, "g": 7, "h": 8, "i": 9}
    model = LanguageModel().eval()
    lm = save_upload(model, "lm", vocab)
    classifier = save_upload(LanguageModel(outputs=3).eval(), "clf")
    at = open_explore(**{state.UPLOADED_MODELS: [lm, classifier], state.SELECT_MODEL: lm.id})
    assert "🔮 Predictions" in view_options(at, lm.id)
    text = "abzhea"  # z is not in the vocabulary: read, and predicted, as <unk> (the file's id 5)
    at.text_input(key=f"explore.text.{lm.id}").set_value(text).run()
    at.radio(key=f"explore.{lm.id}.view").set_value("predictions").run()
    at.slider(key=f"explore.{lm.id}.pred_k").set_value(10).run()
    assert not at.exception and not at.error, at.exception
    ids = [vocab.get(c, 5) for c in text]
    want = softmax(model, ids)
    table = at.dataframe[0].value
    names = {i: c for c, i in vocab.items()} | {5: "<unk>"}
    for t in range(len(text) - 1):
        assert table["p(next)"][t] == pytest.approx(want[t, ids[t + 1]], abs=1e-6)
        assert table["rank of next"][t] == 1 + int((want[t] > want[t, ids[t + 1]]).sum())
        best = int(want[t].argmax())
        assert table["top 1"][t].startswith(f"{names.get(best, f'output {best}')}  ")
        # 10 of the 12 outputs: one of the two without a token is among them, named as such
        shown = [table[f"top {j}"][t] for j in range(1, 11)]
        assert any(s.startswith(("output 10  ", "output 11  ")) for s in shown)
    assert table["next"][1] == "z"  # what comes next as typed; scored as <unk>
    assert "shown as its **id**" not in " ".join(c.value for c in at.caption)

    # A head that is not one output per token: no Predictions, and the view list says why.
    at.session_state[state.SELECT_MODEL] = classifier.id
    at.run()
    assert not at.exception, at.exception
    assert "🔮 Predictions" not in view_options(at, classifier.id)
    [why] = [c.value for c in at.caption if "is not offered" in c.value]
    assert why == (
        "🔮 Predictions is not offered: its head fc has 3 outputs and its embedding 12 rows, so "
        "the outputs are not scores of the next token (a classifier or tagger, perhaps)."
    )


def test_compare_shows_every_unit_of_a_wide_layer():
    path = save_model("wide", hidden_size=80)
    at = open_explore()
    panel = "explore.trained/wide"
    at.text_input(key="explore.text.trained/wide").set_value("abc deaf.").run()
    at.radio(key=f"{panel}.view").set_value("compare").run()
    at.selectbox(key=f"{panel}.compare_quantity").set_value("hidden").run()
    at.text_input(key=f"{panel}.compare_text").set_value("fade cab.").run()
    assert not at.exception, at.exception
    window = at.select_slider(key=f"{panel}.compare_units")
    assert window.label == "Units shown" and window.options == ["0-63", "64-79"]
    a, _ = expected(path, "abc deaf.")
    b, _ = expected(path, "fade cab.")
    shown = [decode(json.loads(c.proto.spec)["data"][0]["z"]) for c in at.get("plotly_chart")]
    np.testing.assert_allclose(shown[0], a["hidden"][:64], atol=1e-6)
    window.set_value(64).run()
    assert not at.exception, at.exception
    shown = [decode(json.loads(c.proto.spec)["data"][0]["z"]) for c in at.get("plotly_chart")]
    # the last full window (units 16-79, as in the heatmaps): a, b and b - a
    np.testing.assert_allclose(shown[0], a["hidden"][16:], atol=1e-6)
    np.testing.assert_allclose(shown[1], b["hidden"][16:], atol=1e-6)
    np.testing.assert_allclose(shown[2], b["hidden"][16:] - a["hidden"][16:], atol=1e-6)
    captions = " ".join(c.value for c in at.caption)
    assert "Shown: units 16-79 of 80; over all 80 units" in captions
