"""record-corpus: a text streamed into Parquet shards equals one recording of it; DuckDB queries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_viz.cli import main
from lstm_viz.export import ExportError, record_text
from lstm_viz.export import store as store_module
from lstm_viz.export.store import query_store, read_store_meta, record_store
from lstm_viz.models.checkpoints import load_checkpoint

ROOT = Path(__file__).resolve().parents[3]
TEXT = "The cat sat on the mat.\nThen it slept (for a while), and the dog barked twice. " * 3


@pytest.fixture(scope="module")
def stored(english, tmp_path_factory):
    folder = tmp_path_factory.mktemp("store")
    text = folder / "text.txt"
    text.write_text(TEXT)
    summary = record_store(english, text, folder / "store", chunk=17, shard_steps=60)
    return summary, folder / "store"


def test_the_store_equals_one_recording_of_the_whole_text(english, stored):
    summary, store = stored
    steps = len(TEXT)
    assert summary.steps == steps and summary.rows == steps * 2 * 6
    assert summary.shards == len(list(store.glob("part-*.parquet"))) == -(-steps // 68)
    whole = record_text(english, TEXT)
    frame = query_store(store, "SELECT * FROM store ORDER BY step, layer, quantity")
    assert frame["step"].max() == steps - 1 and (frame["sequence"] == 0).all()
    for layer in (0, 1):
        for quantity in ("forget_gate", "cell", "hidden"):
            rows = frame[(frame["layer"] == layer) & (frame["quantity"] == quantity)]
            got = rows[[f"u{k}" for k in range(128)]].to_numpy()
            want = whole[quantity][layer, 0, 0].numpy()  # [T, U]
            # the state is carried across chunks
            np.testing.assert_allclose(got, want, atol=2e-5, rtol=1e-6)
            assert "".join(rows["token"]) == TEXT
    meta = read_store_meta(store)
    assert meta["steps"] == steps and meta["complete"] and meta["units"]["cell"] == 128
    assert meta["quantities"][0] == "forget_gate" and "u127: float" in meta["schema"]


def test_duckdb_per_unit_mean_and_pattern_search(english, stored):
    _, store = stored
    whole = record_text(english, TEXT)
    means = query_store(
        store,
        "SELECT avg(COLUMNS('^u\\d+$')) FROM store WHERE quantity = 'hidden' AND layer = 1",
    )
    np.testing.assert_allclose(
        means.to_numpy()[0], whole.hidden[1, 0, 0].numpy().mean(axis=0), atol=1e-5
    )
    fast = query_store(
        store, "SELECT * FROM unit_means WHERE quantity = 'hidden' AND layer = 1"
    )  # from the stats gathered while recording: no scan of the shards
    assert fast["n"].tolist() == [len(TEXT)]
    np.testing.assert_allclose(
        fast[[f"u{k}" for k in range(128)]].to_numpy()[0], means.to_numpy()[0], atol=1e-6
    )
    extremes = query_store(
        store, "SELECT stat, u7 FROM stats WHERE quantity = 'cell' AND layer = 0 ORDER BY stat"
    ).set_index("stat")["u7"]
    cell = whole.cell[0, 0, 0, :, 7].numpy()
    assert extremes["max"] == pytest.approx(cell.max(), abs=1e-5)
    assert extremes["min"] == pytest.approx(cell.min(), abs=1e-5)
    hits = query_store(
        store,
        "SELECT step, token FROM store WHERE quantity = 'cell' AND layer = 0 AND u3 > 0 "
        "ORDER BY step",
    )
    expected = np.flatnonzero(whole.cell[0, 0, 0, :, 3].numpy() > 0)
    assert hits["step"].tolist() == expected.tolist()
    assert hits["token"].tolist() == [TEXT[i] for i in expected]


def test_quantities_and_max_steps(english, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text(TEXT)
    summary = record_store(
        english, text, tmp_path / "s", quantities=["hidden", "cell"], max_steps=50, chunk=20
    )
    assert summary.steps == 50 and summary.rows == 50 * 2 * 2
    assert read_store_meta(tmp_path / "s")["quantities"] == ["cell", "hidden"]
    with pytest.raises(ExportError, match="not \\['gates'\\]"):
        record_store(english, text, tmp_path / "s2", quantities=["gates"])


def test_word_models_never_split_a_word_between_reads(tmp_path, monkeypatch):
    words = load_checkpoint(ROOT / "pretrained" / "agreement-word-lstm")
    monkeypatch.setattr(store_module, "READ_CHARS", 7)
    text = tmp_path / "w.txt"
    content = "the keys to the cabinet are on the table . the dog near the trees runs .\n" * 2
    text.write_text(content)
    record_store(words, text, tmp_path / "s", chunk=5)
    tokens = query_store(
        tmp_path / "s", "SELECT token FROM store WHERE quantity='hidden' AND layer=0 ORDER BY step"
    )["token"].tolist()
    assert tokens == words.vocab.tokenize(content)


def test_clear_errors(english, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("abc")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="a folder with other files"):
        record_store(english, text, tmp_path / "other")
    assert (tmp_path / "other" / "keep.txt").read_text() == "mine"
    with pytest.raises(ExportError, match="is not a corpus store"):
        query_store(tmp_path / "other", "SELECT 1")
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(ExportError, match="is not UTF-8 text"):
        record_store(english, tmp_path / "latin1.txt", tmp_path / "s")


def test_cli_record_corpus_and_query(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text(TEXT)
    model = str(ROOT / "pretrained" / "english-char-lstm")
    store = str(tmp_path / "store")
    args = ["record-corpus", "--model", model, "--text-file", str(text), "--out", store]
    assert main(args) == 0
    assert f"{len(TEXT):,} steps" in capsys.readouterr().out
    sql = "SELECT quantity, count(*) AS n FROM store WHERE layer = 0 GROUP BY 1 ORDER BY 1"
    assert main(["query", store, sql]) == 0
    out = capsys.readouterr().out
    assert "forget_gate" in out and str(len(TEXT)) in out
    assert main(["query", store, "SELECT step FROM store", "--limit", "3"]) == 0
    assert "(first 3 rows" in capsys.readouterr().out
    assert main(["query", store, "SELECT nope FROM store"]) == 2
    assert 'the query failed: Binder Error: Referenced column "nope"' in capsys.readouterr().err
