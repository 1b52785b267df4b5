"""An uploaded .npz trace: checked from its table of contents, read without unpickling, and
refused in one line (naming the file) when it is not a trace or breaks a size rule."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch

from lstm_viz import Trace
from lstm_viz.export import ExportError
from lstm_viz.export.trace_npz import check_trace_npz, place_trace_npz
from lstm_viz.recording.recorder import record


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Trace, bytes]:
    torch.manual_seed(0)
    _, trace = record(torch.nn.LSTM(3, 4, batch_first=True), torch.randn(2, 6, 3))
    path = trace.save(tmp_path_factory.mktemp("trace") / "t.npz")
    return trace, path.read_bytes()


def test_a_saved_trace_is_placed_and_reads_back_equal(saved, tmp_path):
    trace, data = saved
    path = place_trace_npz(data, "mine.npz", tmp_path / "a" / "mine.npz")
    back = Trace.load(path)
    assert back.names == trace.names
    for name in trace.names:
        torch.testing.assert_close(back[name], trace[name])


def zipped(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name.replace("__SLASH__", "/"), body)
    return buffer.getvalue()


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_what_is_not_a_trace_is_refused_in_one_line_and_never_unpickled(tmp_path):
    cases = {
        "text.npz": (b"not a zip", "is not a readable .npz archive"),
        "nested.npz": (zipped(d__SLASH__x_npy=b""), "is not a top-level .npy array"),
        "plain.npz": (zipped(**{"x.npy": npy(np.zeros(3))}), "it has no __metadata__ array"),
        "bomb.npz": (zipped(**{"x.npy": b"\0" * (8 * 2**20)}), "possible zip bomb"),
    }
    for name, (data, said) in cases.items():
        with pytest.raises(ExportError, match=said) as caught:
            check_trace_npz(data, name)
        assert str(caught.value).startswith(name) and "\n" not in str(caught.value)

    # A pickled object array where the metadata should be: numpy refuses it (allow_pickle=False)
    # and nothing runs; the file placed is removed again.
    class Boom:
        def __reduce__(self):
            return (print, ("unpickled!",))

    evil = zipped(**{"__metadata__.npy": npy(np.array([Boom()], dtype=object))})
    target = tmp_path / "evil.npz"
    with pytest.raises(
        ExportError, match="evil.npz cannot be read as a trace exported.*allow_pickle=False"
    ):
        place_trace_npz(evil, "evil.npz", target)
    assert not target.exists()
    bad_meta = zipped(**{"__metadata__.npy": npy(np.array('{"names": ["hidden"]}'))})
    with pytest.raises(ExportError, match="cannot be read as a trace"):
        place_trace_npz(bad_meta, "meta.npz", tmp_path / "meta.npz")
