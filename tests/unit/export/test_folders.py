"""Recording folders a server offers, and an uploaded LSTMVis zip unpacked only when safe."""

from __future__ import annotations

import io
import zipfile

import pytest
import torch

import lstm_viz
from lstm_viz.export import ExportError
from lstm_viz.export.folders import find_recordings, unpack_zip
from lstm_viz.export.lstmvis import read_lstmvis, write_lstmvis


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    torch.manual_seed(0)
    _, trace = lstm_viz.record(torch.nn.LSTM(3, 4, batch_first=True), torch.randn(1, 6, 3),
                               tokens=[list("abcdef")])  # fmt: skip
    return trace, write_lstmvis(trace, tmp_path_factory.mktemp("p") / "proj")


def test_a_zipped_project_unpacks_into_its_folder_and_reads_back(project, tmp_path):
    trace, folder = project
    members = {f"proj/{p.name}": p.read_bytes() for p in folder.iterdir()}
    members["proj/run.sh"] = b"rm -rf /"  # not an LSTMVis file: skipped, never written
    members["__MACOSX/proj/._lstm.yml"] = b"junk"
    target = unpack_zip(zip_of(members, zipfile.ZIP_DEFLATED), "proj.zip", tmp_path / "t")
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in folder.iterdir())
    back = read_lstmvis(target).trace
    assert torch.equal(back.hidden, trace.hidden) and back.tokens == trace.tokens


@pytest.mark.parametrize(
    "members, message",
    [
        ({"../up.h5": b"x"}, "points outside the folder"),
        ({"/etc/x.h5": b"x"}, "points outside the folder"),
        ({"a\\..\\x.h5": b"x"}, "points outside the folder"),
        ({"notes.exe": b"x"}, "holds no LSTMVis files"),
        ({"big.h5": bytes(3 * 2**20)}, "possible zip bomb"),
    ],
)
def test_unsafe_zips_are_refused_before_anything_is_written(members, message, tmp_path):
    data = zip_of(members, zipfile.ZIP_DEFLATED)
    with pytest.raises(ExportError, match=message):
        unpack_zip(data, "x.zip", tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_links_and_non_zips_are_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("states.h5")
        link.external_attr = 0o120777 << 16  # a symbolic link
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(ExportError, match="is a link; refused"):
        unpack_zip(buffer.getvalue(), "l.zip", tmp_path / "t")
    with pytest.raises(ExportError, match="is not a readable zip archive"):
        unpack_zip(b"hello", "h.zip", tmp_path / "t")


def test_the_server_lists_stores_and_projects_in_its_roots_only(project, tmp_path):
    _, folder = project
    root = tmp_path / "root"
    (root / "store-a").mkdir(parents=True)
    (root / "store-a" / "store.json").write_text("{}")
    (root / "empty").mkdir()
    (root / "loose.h5").write_bytes(b"")
    found = find_recordings([root, folder, tmp_path / "missing"])
    assert [(f.kind, f.name) for f in found] == [("store", "store-a"), ("lstmvis", "proj")]
    assert found[1].label == "proj (LSTMVis project)"
