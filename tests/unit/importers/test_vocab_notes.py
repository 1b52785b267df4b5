"""Text read through an uploaded vocabulary: the tokens it lacks are counted in one line (steps
and distinct tokens apart, each shown as display_token shows it), and a vocabulary that names
fewer ids than the embedding has rows says so."""

from __future__ import annotations

import io
import json

import pytest
import torch

from lstm_viz.importers import Choice, prepare, read_vocab
from lstm_viz.importers._torch import read_pytorch
from lstm_viz.quantities import unknown_tokens_line

TEXT = "The cat sat on the mat."


class EmbeddedLSTM(torch.nn.Module):
    def __init__(self, rows: int = 30) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(rows, 16)
        self.lstm = torch.nn.LSTM(16, 32, num_layers=2)
        self.head = torch.nn.Linear(32, rows)


@pytest.fixture(scope="module")
def layer():
    buffer = io.BytesIO()
    torch.save(EmbeddedLSTM().state_dict(), buffer)
    return read_pytorch(buffer.getvalue(), "m.pt").layer()


def about_unknown(notes) -> list[str]:
    return [n for n in notes if "not in the" in n or "unknown token" in n]


def test_tokens_the_vocabulary_lacks_are_counted_once_steps_and_distinct(layer):
    vocab = read_vocab(b'["<unk>", "a", "b", "c"]')
    prepared = prepare(layer, Choice(embedding="emb"), f"text:{TEXT}", vocab=vocab)
    # 23 characters; 'a' three times and 'c' once are known: 19 steps, 10 different tokens.
    assert sum(prepared.unknown) == 19
    [line] = about_unknown(prepared.notes)
    assert line == prepared.unknown_note
    assert line.startswith(
        "19 tokens (10 different) are not in the vocabulary and read as its unknown token "
        "'<unk>' (id 0): 'T', 'h', 'e', '␣', 't', 's', 'o', 'n', and 2 more"
    )
    assert "' '" not in line  # a space is shown as everywhere else: ␣
    assert prepared.inputs[0].tolist()[:4] == [0, 0, 0, 0] and prepared.inputs[0, 5] == 1


def test_a_vocabulary_smaller_than_the_embedding_says_which_ids_have_no_token(layer):
    choice = Choice(embedding="emb")
    vocab = read_vocab(b'["<unk>", "a", "b", "c"]')
    notes = prepare(layer, choice, "text:abc", vocab=vocab).notes
    assert notes == (
        "The vocabulary names 4 tokens; the embedding has 30 rows: ids 4-29 have no token "
        "(text never reads them)",
    )
    gaps = read_vocab(json.dumps({"<unk>": 0, "a": 2, "b": 29}).encode())
    [note] = prepare(layer, choice, "text:ab", vocab=gaps).notes
    assert "names 3 tokens" in note and ": ids 1, 3-28 have no token" in note
    full = {"<unk>": 0, **{f"w{i}": i for i in range(1, 30)}}
    assert prepare(layer, choice, "text:w1 w2", vocab=full, level="word").notes == ()
    one_short = {k: v for k, v in full.items() if v != 7}
    [note] = prepare(layer, choice, "text:w1", vocab=one_short, level="word").notes
    assert note.endswith("embedding has 30 rows: id 7 has no token (text never reads them)")


def test_a_keras_tokenizers_padding_id_is_not_a_missing_token(layer):
    index = {"<OOV>": 1, **{f"w{i}": i for i in range(2, 30)}}
    tokenizer = {
        "class_name": "Tokenizer",
        "config": {"word_index": json.dumps(index), "oov_token": "<OOV>", "lower": True},
    }
    vocab = read_vocab(json.dumps(tokenizer).encode())
    notes = prepare(layer, Choice(embedding="emb"), "text:w2 w3", vocab=vocab, level="word").notes
    assert not [n for n in notes if "have no token" in n or "has no token" in n]


def test_the_line_counts_steps_and_distinct_tokens_for_any_script():
    tokens = list("שלום עולם") + list("مرحبا")  # Hebrew, a space, Arabic: 14 steps
    line = unknown_tokens_line(tokens, [True] * len(tokens))
    assert line.startswith("14 tokens (11 different) are not in the vocabulary and read as <unk>")
    assert "'␣'" in line and line.endswith(", and 3 more")  # 8 shown of the 11
    # Each right-to-left token is isolated, so a browser keeps quotes and commas in order.
    assert "\u2068'ש'\u2069, \u2068'ל'\u2069" in line and "\u2068'␣'" not in line
    assert unknown_tokens_line(["a", "b"], [False, True]) == (
        "1 token is not in the vocabulary and read as <unk>: 'b'"
    )
    assert unknown_tokens_line(["a"], [False]) == ""
