"""Analyze's tools over a corpus store, in DuckDB, equal the in-memory analyses of one
recording of the same text; a window of a store is that recording's slice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_viz.analysis import find_spans, half_lives, saturation
from lstm_viz.export import ExportError, record_text
from lstm_viz.export.shards import record_shards
from lstm_viz.export.store import record_store
from lstm_viz.export.store_tools import (
    sequence_lengths,
    store_find_spans,
    store_half_lives,
    store_saturation,
    store_window,
)
from lstm_viz.models.checkpoints import load_checkpoint, save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab

TEXT = "abc deaf. bad cab. " * 10 + "Tea and a bed."


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny 2-layer char LSTM, its text, its store (several shards) and one recording."""
    folder = tmp_path_factory.mktemp("tools")
    torch.manual_seed(0)
    vocab = Vocab(("<pad>", "<unk>", *"abcdefgh .Tn"))
    config = ModelConfig(cell="lstm", vocab_size=len(vocab), embedding_size=4, hidden_size=6,
                         num_outputs=len(vocab), num_layers=2)  # fmt: skip
    save_checkpoint(folder / "model", SequenceModel(config), vocab, {})
    checkpoint = load_checkpoint(folder / "model")
    (folder / "text.txt").write_text(TEXT)
    record_store(checkpoint, folder / "text.txt", folder / "store", chunk=30, shard_steps=70)
    return checkpoint, folder, record_text(checkpoint, TEXT)


def test_saturation_and_timescales_over_the_store_equal_the_recording(tiny):
    _, folder, whole = tiny
    got, want = store_saturation(folder / "store"), saturation(whole)
    assert got[["gate", "layer", "direction", "unit"]].equals(
        want[["gate", "layer", "direction", "unit"]]
    )
    np.testing.assert_allclose(got[["left", "right"]], want[["left", "right"]], atol=1e-12)
    assert (got["steps"] == len(TEXT)).all()
    got, want = store_half_lives(folder / "store"), half_lives(whole)
    merged = got.merge(want, on=["layer", "direction", "unit"])
    assert len(merged) == 12
    # Two recordings (the store's 30-step chunks, the whole text at once) may take different
    # exact paths (oneDNN's workspace or the recomputation): equal to float32 rounding.
    np.testing.assert_allclose(merged["keep_x"], merged["keep_y"], rtol=1e-6)
    np.testing.assert_allclose(merged["half_life_x"], merged["half_life_y"], rtol=1e-6)


def test_pattern_search_in_duckdb_finds_the_spans_find_spans_finds(tiny):
    _, folder, whole = tiny
    acts = whole.cell[1, 0].numpy()
    threshold = float(np.quantile(acts[0][:, [0, 2]].min(axis=1), 0.4))  # 60% of steps on
    want = find_spans(acts, [0, 2], threshold, 2, [len(TEXT)])
    got, total = store_find_spans(folder / "store", "cell", 1, 0, [2, 0], threshold, 2, limit=5)
    assert total == len(want) > 5 and len(got) == 5
    assert got["length"].tolist() == want["length"][:5].tolist()
    spans = {tuple(x) for x in want[["start", "stop"]].values.tolist()}
    assert {tuple(x) for x in got[["start", "stop"]].values.tolist()} <= spans
    start, stop = int(got["start"][0]), int(got["stop"][0])
    assert f"«{TEXT[start:stop]}»" in got["text"][0]
    none, total = store_find_spans(folder / "store", "cell", 1, 0, [0], 2.0, 1)
    assert none.empty and total == 0


def test_a_window_is_the_recording_s_slice(tiny):
    _, folder, whole = tiny
    window = store_window(folder / "store", start=50, steps=80)  # across three shards
    assert window.kind == "lstm" and window.names == whole.names
    assert "".join(window.tokens[0]) == TEXT[50:130]
    for name in whole.names:
        np.testing.assert_allclose(
            window[name][:, :, 0].numpy(), whole[name][:, :, 0, 50:130].numpy(), atol=2e-5
        )
    with pytest.raises(ExportError, match="cannot start at"):
        store_window(folder / "store", start=len(TEXT))
    with pytest.raises(ExportError, match="a window holds 1 to"):
        store_window(folder / "store", steps=10**9)


def test_a_window_of_several_sequences_and_a_store_without_gates(tiny):
    checkpoint, folder, _ = tiny
    out = folder / "sequences"
    record_shards(checkpoint, folder / "text.txt", out, sequence_steps=50, sequences_per_shard=2,
                  quantities=["cell", "hidden"])  # fmt: skip
    assert sequence_lengths(out) == {0: 50, 1: 50, 2: 50, 3: 50, 4: 4}  # 204 characters
    window = store_window(out, start=40, steps=30)  # the end of sequence 0, then sequence 1
    assert window.kind == "lstm_states" and window.lengths.tolist() == [10, 20]
    second = record_text(checkpoint, TEXT[50:70])  # each sequence starts from a zero state
    np.testing.assert_allclose(window.hidden[:, :, 1, :20], second.hidden[:, :, 0], atol=2e-5)
    assert "".join(window.tokens[0]) == TEXT[40:50]
    with pytest.raises(ExportError, match="no gates"):
        store_saturation(out)
    with pytest.raises(ExportError, match="not forget_gate"):
        store_half_lives(out)
    with pytest.raises(ExportError, match="units must be in 0..5"):
        store_find_spans(out, "hidden", 0, 0, [6], 0.5)
