"""A store cut into independent sequences: the local loop and Dask (2 local workers) write the
same shards, and each sequence equals a recording of its own piece of text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from lstm_viz.export import ExportError, record_text
from lstm_viz.export.shards import record_shards
from lstm_viz.export.store import query_store
from lstm_viz.models.checkpoints import load_checkpoint

ROOT = Path(__file__).resolve().parents[3]
TEXT = "The cat sat on the mat.\nThen it slept (for a while), and the dog barked twice. " * 2
OPTIONS = {"sequence_steps": 13, "sequences_per_shard": 3}


@pytest.fixture(scope="module")
def local(english, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shards")
    (folder / "t.txt").write_text(TEXT)
    summary = record_shards(english, folder / "t.txt", folder / "local", **OPTIONS)
    return summary, folder


def test_each_sequence_is_its_own_recording(english, local):
    summary, folder = local
    assert summary.steps == len(TEXT) and summary.shards == -(-len(TEXT) // 39)
    frame = query_store(
        folder / "local",
        "SELECT * FROM store WHERE quantity = 'cell' AND layer = 1 ORDER BY sequence, step",
    )
    assert frame["sequence"].max() == -(-len(TEXT) // 13) - 1
    for sequence in (0, 4):
        piece = TEXT[13 * sequence : 13 * (sequence + 1)]
        rows = frame[frame["sequence"] == sequence]
        assert "".join(rows["token"]) == piece and rows["step"].tolist() == list(range(13))
        want = record_text(english, piece).cell[1, 0, 0].numpy()  # from a zero state
        got = rows[[f"u{k}" for k in range(128)]].to_numpy()
        np.testing.assert_allclose(got, want, atol=2e-5)


def test_dask_with_two_workers_writes_the_same_shards(english, local):
    pytest.importorskip("dask.distributed")
    summary, folder = local
    distributed = record_shards(
        english, folder / "t.txt", folder / "dask", engine="dask", workers=2, **OPTIONS
    )
    assert (distributed.steps, distributed.rows, distributed.shards) == (
        summary.steps, summary.rows, summary.shards
    )  # fmt: skip
    names = sorted(p.name for p in (folder / "local").glob("*.parquet"))
    assert names == sorted(p.name for p in (folder / "dask").glob("*.parquet"))
    assert "stats.parquet" in names and "part-00000.parquet" in names
    for name in names:
        assert pq.read_table(folder / "dask" / name).equals(pq.read_table(folder / "local" / name))


def test_unknown_engine(english, tmp_path):
    (tmp_path / "t.txt").write_text("abc")
    with pytest.raises(ExportError, match="engine must be one of"):
        record_shards(english, tmp_path / "t.txt", tmp_path / "s", engine="spark")


def test_a_bidirectional_model_goes_through_the_sharded_path(tmp_path):
    from lstm_viz.models.checkpoints import save_checkpoint
    from lstm_viz.models.sequence import ModelConfig, SequenceModel
    from lstm_viz.models.vocab import Vocab

    vocab = Vocab.build(["abc "], level="char")
    config = ModelConfig(
        vocab_size=len(vocab), hidden_size=4, embedding_size=3, bidirectional=True,
        num_outputs=3, objective="step_class",
    )  # fmt: skip
    save_checkpoint(tmp_path / "bi", SequenceModel(config), vocab)
    model = load_checkpoint(tmp_path / "bi")
    (tmp_path / "t.txt").write_text("abc cab " * 3)
    with pytest.raises(ExportError, match="--sequence-steps"):
        from lstm_viz.export.store import record_store

        record_store(model, tmp_path / "t.txt", tmp_path / "s1")
    record_shards(model, tmp_path / "t.txt", tmp_path / "s2", sequence_steps=8)
    frame = query_store(
        tmp_path / "s2", "SELECT * FROM store WHERE quantity = 'hidden' ORDER BY direction, step"
    )
    back = frame[(frame["direction"] == 1) & (frame["sequence"] == 1)]
    want = record_text(model, "abc cab ").hidden[0, 1, 0].numpy()  # backward, from its own end
    np.testing.assert_allclose(back[["u0", "u1", "u2", "u3"]].to_numpy(), want, atol=1e-6)
