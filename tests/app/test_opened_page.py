"""AppTest: recordings made elsewhere open in Explore and Analyze instead of a model: an LSTMVis
project (a zip uploaded, or a folder the server offers) and a corpus store (offered by the
server, read through DuckDB); what they show equals the library on the same data."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from app import state
from lstm_viz.analysis import (
    FEATURE_LABELS,
    feature_set,
    find_spans,
    find_units,
    half_lives,
    saturation,
)
from lstm_viz.export import record_text
from lstm_viz.export.lstmvis import read_lstmvis
from lstm_viz.export.store import record_store
from lstm_viz.models.checkpoints import load_checkpoint, save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab
from tests.app.test_explore_page import charts, decode

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = str(ROOT / "app" / "streamlit_app.py")
CASE = ROOT / ".." / "shared" / "cases" / "import" / "16_lstmvis_states_h5"
TEXT = "abc deaf. bad cab. " * 12 + "Tea and a bed."


def zipped(folder: Path, top: str = "project") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                archive.write(path, f"{top}/{path.name}")
    return buffer.getvalue()


def case_folder(tmp_path: Path) -> Path:
    """The shared LSTMVis case (../shared/cases/import/16_lstmvis_states_h5), or, where it is
    not beside the repository, the same layout written by its make.py's recipe."""
    if CASE.is_dir():
        return CASE
    import h5py

    folder = tmp_path / "16_lstmvis_states_h5"
    folder.mkdir()
    rng = np.random.default_rng(0)
    with h5py.File(folder / "states.hdf5", "w") as f:
        f.create_dataset("states1", data=np.tanh(rng.normal(size=(300, 20))).astype("float32"))
        f.create_dataset("output1", data=np.tanh(rng.normal(size=(300, 20))).astype("float32"))
    with h5py.File(folder / "train.hdf5", "w") as f:
        f.create_dataset("words", data=rng.integers(1, 50, 300))
    (folder / "words.dict").write_text("".join(f"w{i} {i}\n" for i in range(1, 50)))
    return folder


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    next(b for b in at.button if b.key == key).click()
    return run(at)


def spans_said(at: AppTest) -> int:
    said = next(m.value for m in at.markdown if re.match(r"\*\*[\d,]+ spans\*\*", m.value))
    return int(re.match(r"\*\*([\d,]+) spans", said).group(1).replace(",", ""))


def test_an_lstmvis_zip_opens_in_explore_and_analyze(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_RECORDINGS", str(tmp_path / "none"))
    case = case_folder(tmp_path)
    at = run(AppTest.from_file(ENTRYPOINT, default_timeout=60))
    assert any("offers no recording folders" in c.value for c in at.caption)
    uploader = at.get("file_uploader")[0]
    # Not a zip, then a zip that climbs out of its folder: one line each, the page stays up.
    uploader.upload("notes.zip", b"not a zip at all").run()
    click(at, "opened.explore.open_zip")
    assert "notes.zip is not a readable zip archive" in at.error[0].value
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../outside.h5", b"x")
    at.get("file_uploader")[0].upload("evil.zip", evil.getvalue()).run()
    click(at, "opened.explore.open_zip")
    assert "points outside the folder; refused" in at.error[0].value
    junk = io.BytesIO()
    with zipfile.ZipFile(junk, "w") as archive:
        archive.writestr("readme.txt", b"hello")
    at.get("file_uploader")[0].upload("junk.zip", junk.getvalue()).run()
    click(at, "opened.explore.open_zip")  # named as the zip, not the server's temporary folder
    assert at.error[0].value.startswith("junk.zip is not an LSTMVis project: it needs")
    assert (
        "/tmp" not in at.error[0].value and "no HDF5 files and no .dict files" in at.error[0].value
    )
    assert at.session_state[state.OPENED] is None

    at.get("file_uploader")[0].upload("case 16.zip", zipped(case)).run()
    click(at, "opened.explore.open_zip")
    opened = at.session_state[state.OPENED]
    assert opened["kind"] == "lstmvis" and opened["origin"] == "upload"
    assert Path(opened["path"]).parent.parent.name == "lstm-viz-uploads"  # the session folder
    banner = at.info[0].value
    assert "LSTMVis project" in banner and "no gates" in banner and "no model" in banner
    project = read_lstmvis(case)
    found = charts(at)
    assert set(found) == {"cell", "hidden"}  # no gates to draw
    for name, spec in found.items():
        z = decode(spec["data"][0]["z"])  # [unit, time]
        np.testing.assert_allclose(z, project.trace[name][0, 0, 0].numpy().T, atol=1e-6)
    key = f"explore.opened.{opened['path']}"
    at.radio(key=f"{key}.view").set_value("unit")
    run(at)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")

    at.switch_page("views/analyze.py")
    run(at)
    assert "no gates" in at.info[0].value
    assert any("saturation and timescales need gates" in c.value for c in at.caption)
    widget = f"analyze.opened.{opened['path']}"
    want = find_spans(project.trace.hidden[0, 0].numpy(), [0], 0.5, 3, [300])
    assert spans_said(at) == len(want) > 0
    at.radio(key=f"{widget}.tool").set_value("finder")
    run(at)
    shown = at.dataframe[0].value  # the best unit per feature, as find_units ranks them
    tokens = project.trace.tokens
    ref = find_units(project.trace, feature_set(tokens, 300, joiner=" "), ["cell", "hidden"])
    best = ref[ref["r"].notna()].groupby("feature").head(1)
    want = {FEATURE_LABELS.get(f, f): r for f, r in zip(best["feature"], best["r"], strict=True)}
    assert dict(zip(shown["feature"], shown["r"], strict=True)) == pytest.approx(want)
    click(at, "opened.analyze.close")
    assert at.session_state[state.OPENED] is None
    assert not any("LSTMVis" in i.value for i in at.info)


@pytest.fixture
def server_store(tmp_path):
    """A tiny char model's corpus store (and the LSTMVis case) in a folder the server offers."""
    torch.manual_seed(0)
    vocab = Vocab(("<pad>", "<unk>", *"abcdefgh .Tn"))
    config = ModelConfig(cell="lstm", vocab_size=len(vocab), embedding_size=4, hidden_size=5,
                         num_outputs=len(vocab), num_layers=2)  # fmt: skip
    save_checkpoint(tmp_path / "model", SequenceModel(config), vocab, {})
    checkpoint = load_checkpoint(tmp_path / "model")
    (tmp_path / "text.txt").write_text(TEXT)
    roots = tmp_path / "recordings"
    record_store(checkpoint, tmp_path / "text.txt", roots / "toy-store", chunk=40, shard_steps=90)
    return roots, record_text(checkpoint, TEXT)


def test_a_corpus_store_the_server_offers_opens_in_analyze_and_explore(server_store, monkeypatch):
    roots, whole = server_store
    monkeypatch.setenv("LSTM_VIZ_RECORDINGS", str(roots))
    at = run(AppTest.from_file(ENTRYPOINT, default_timeout=60))
    at.switch_page("views/analyze.py")
    run(at)
    offered = at.selectbox(key="opened.analyze.offered")
    assert offered.options == ["toy-store (corpus store)"]
    click(at, "opened.analyze.open_offered")
    assert f"{len(TEXT):,} steps" in at.info[0].value
    assert any("read through DuckDB" in c.value for c in at.caption)
    widget = f"analyze.opened.{roots / 'toy-store'}"

    # Saturation over every step of the store = saturation of one recording of the whole text.
    want = saturation(whole)
    want = want.assign(saturated=want["left"] + want["right"])
    top = want.sort_values("saturated", ascending=False, kind="stable").head(10)
    shown = at.dataframe[1].value  # [0]: the per-gate, per-layer summary above the units
    np.testing.assert_allclose(shown["left"], top["left"] * 100, atol=1e-7)  # in percent
    np.testing.assert_allclose(shown["right"], top["right"] * 100, atol=1e-7)

    at.radio(key=f"{widget}.tool").set_value("timescales")
    run(at)
    shown = at.dataframe[0].value
    np.testing.assert_allclose(shown["keep"], half_lives(whole)["keep"][:20], 1e-6)

    at.radio(key=f"{widget}.tool").set_value("patterns")
    run(at)
    at.multiselect(key=f"{widget}.patterns.units").set_value([1, 3])
    at.number_input(key=f"{widget}.patterns.threshold").set_value(0.05)
    at.number_input(key=f"{widget}.patterns.min").set_value(2)
    run(at)
    want = find_spans(whole.hidden[0, 0].numpy(), [1, 3], 0.05, 2, [len(TEXT)])
    assert spans_said(at) == len(want) > 0
    table = at.dataframe[0].value
    assert table["length"].tolist() == want["length"][:20].tolist()  # longest first
    spans = {tuple(x) for x in want[["start", "stop", "length"]].values.tolist()}
    assert {tuple(x) for x in table[["start", "stop", "length"]].values.tolist()} <= spans
    assert "«" in table["text"][0]

    at.radio(key=f"{widget}.tool").set_value("finder")
    run(at)
    assert any(c.value.startswith("The window: steps 0 to") for c in at.caption)
    assert not at.dataframe[0].value.empty

    # A unit picked in Analyze opens in Explore's unit view of the store.
    at.radio(key=f"{widget}.tool").set_value("saturation")
    run(at)
    click(at, f"{widget}.saturation.open.open")  # st.switch_page: Explore ran
    at.switch_page("views/explore.py")  # AppTest's next run: stay there
    run(at)
    explore = f"explore.opened.{roots / 'toy-store'}"
    assert at.session_state[f"{explore}.view"] == "unit"
    top_unit = int(top.iloc[0]["unit"])
    assert at.number_input(key=f"{explore}.unit").value == top_unit
    at.radio(key=f"{explore}.view").set_value("heatmaps")
    run(at)
    assert set(charts(at)) == set(whole.names)  # a store of every quantity: its gates too
    z = decode(charts(at)["forget_gate"]["data"][0]["z"])
    np.testing.assert_allclose(z, whole.forget_gate[0, 0, 0].numpy().T, atol=1e-6)


def test_a_trace_exported_as_npz_opens_and_other_files_are_refused_in_the_page(
    tmp_path, monkeypatch
):
    from app.components.opened import ACCEPTS
    from lstm_viz.recording.recorder import record

    monkeypatch.setenv("LSTM_VIZ_RECORDINGS", str(tmp_path / "none"))
    torch.manual_seed(0)
    _, trace = record(torch.nn.LSTM(3, 4, batch_first=True), torch.randn(1, 7, 3))
    data = trace.save(tmp_path / "export.npz").read_bytes()
    at = run(AppTest.from_file(ENTRYPOINT, default_timeout=60))
    # Another kind of file: said in the page (not only on the chip), with what the box takes.
    at.get("file_uploader")[0].upload("notes [x](http://e).txt", b"hello").run()
    said = at.error[0].value
    assert "is not opened here" in said and ACCEPTS in said and "\\[x\\]" in said  # escaped
    assert not [b for b in at.button if b.key == "opened.explore.open_zip"]
    # An .npz that is not a trace: one line naming it.
    at.get("file_uploader")[0].upload("plain.npz", trace.save(tmp_path / "x.npz").read_bytes()[:50])
    run(at)
    click(at, "opened.explore.open_zip")
    assert at.error[0].value.startswith("plain.npz is not a readable .npz archive")
    assert at.session_state[state.OPENED] is None

    at.get("file_uploader")[0].upload("export.npz", data).run()
    click(at, "opened.explore.open_zip")
    opened = at.session_state[state.OPENED]
    assert opened["kind"] == "trace" and opened["path"].endswith("export.npz")
    assert "**Trace export**" in at.info[0].value and "7 steps" in at.info[0].value
    found = charts(at)
    assert set(found) == set(trace.names)  # the gates too
    for name, spec in found.items():
        z = decode(spec["data"][0]["z"])  # [unit, time]
        np.testing.assert_allclose(z, trace[name][0, 0, 0].numpy().T, atol=1e-6)

    at.switch_page("views/analyze.py")
    run(at)
    widget = f"analyze.opened.{opened['path']}"
    assert at.radio(key=f"{widget}.tool").options[:2] == ["🌡️ Saturation", "⏳ Timescales"]
    assert not at.dataframe[1].value.empty  # the saturation table of its units
    at.radio(key=f"{widget}.tool").set_value("finder")
    run(at)  # recorded without tokens: no features to rank, and no error
    assert not at.error
