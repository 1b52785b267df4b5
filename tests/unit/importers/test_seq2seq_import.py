"""Tutorial-layout encoder-decoder state dicts are recognised, the attention told from shapes."""

from __future__ import annotations

import io

import torch
from torch import nn

from lstm_viz.importers import inspect_file
from tests.unit.importers.cases import CASES as CASE

CASE19 = CASE / "19_seq2seq_encoder_decoder" / "seq2seq.tar.pt"


def saved(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def tutorial(attention: str) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    parts = {
        "encoder.embedding": nn.Embedding(20, 6),
        "encoder.lstm": nn.LSTM(6, 8, batch_first=True, bidirectional=True),
        "decoder.embedding": nn.Embedding(15, 6),
        "decoder.lstm": nn.LSTM(6 + 16, 16, batch_first=True),
        "decoder.out": nn.Linear(32, 15),
    }
    if attention == "additive":
        parts["decoder.attention.Wa"] = nn.Linear(16, 16)
        parts["decoder.attention.Ua"] = nn.Linear(16, 16)
        parts["decoder.attention.Va"] = nn.Linear(16, 1)
    elif attention == "general":
        parts["decoder.attn"] = nn.Linear(16, 16, bias=False)
    return {f"{p}.{k}": v for p, m in parts.items() for k, v in m.state_dict().items()}


def note_of(data: bytes, name: str = "model.pt") -> str:
    notes = inspect_file(data, name).notes
    return next((n for n in notes if "encoder-decoder" in n), "")


def test_attention_is_told_from_the_shapes():
    additive = note_of(saved(tutorial("additive")))
    assert "bidirectional LSTM `encoder.lstm`" in additive and "additive (Bahdanau)" in additive
    assert "general (Luong)" in note_of(saved(tutorial("general")))
    assert "dot-product attention" in note_of(saved(tutorial("none")))


def test_the_shared_case_and_a_plain_model():
    if CASE19.exists():
        note = note_of(CASE19.read_bytes(), CASE19.name)
        assert "encoder GRU `encoder_state_dict.gru`" in note
        assert "decoder GRU `decoder_state_dict.gru`" in note
    plain = {f"lstm.{k}": v for k, v in nn.LSTM(3, 4).state_dict().items()}
    assert note_of(saved(plain)) == ""
