"""Uploaded files read only bytes inside the upload: every way a model file can point at data
elsewhere (HDF5 external storage, external links, virtual datasets, plugin filters; ONNX external
data; a torch archive's record names) is refused before any data is read.

Each hostile file is first shown to work as an attack (h5py or onnx really reads the outside
bytes through it), so a refusal here is the check's doing, not a broken file's."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.importers import ModelFileError, inspect_file, inspect_isolated

h5py = pytest.importorskip("h5py")

ROOT = Path(__file__).resolve().parents[3]
HOSTILE = ROOT.parent / "shared" / "cases" / "hostile"
SECRET = np.arange(48, dtype=np.float32).reshape(3, 16) + 1000  # "a server file"
REFUSED = "only data stored inside the uploaded file is read"


def lstm_vars(group, kernel=True) -> None:
    """Keras 3 weights of LSTM(4) reading 3 features: vars/0 kernel, 1 recurrent, 2 bias."""
    rng = np.random.default_rng(0)
    if kernel:
        group["0"] = rng.standard_normal((3, 16)).astype(np.float32)
    group["1"] = rng.standard_normal((4, 16)).astype(np.float32)
    group["2"] = rng.standard_normal(16).astype(np.float32)


def weights_h5(path: Path, kernel) -> Path:
    """A Keras 3 weights file whose kernel ``kernel(vars_group)`` creates (the hostile part)."""
    with h5py.File(path, "w") as h5:
        group = h5.create_group("layers/lstm/cell/vars")
        lstm_vars(group, kernel=False)
        kernel(group)
    return path


def secret_h5(tmp_path: Path) -> Path:
    """Another HDF5 file on the server, holding /data [3, 16]."""
    path = tmp_path / "server-secret.h5"
    with h5py.File(path, "w") as h5:
        h5["data"] = SECRET
    return path


def external_storage(tmp_path: Path):
    raw = tmp_path / "server-secret.bin"
    raw.write_bytes(SECRET.tobytes())
    return lambda group: group.create_dataset(
        "0", shape=(3, 16), dtype="f4", external=[(str(raw), 0, SECRET.nbytes)]
    )


def external_link(tmp_path: Path):
    target = secret_h5(tmp_path)
    return lambda group: group.__setitem__("0", h5py.ExternalLink(str(target), "/data"))


def virtual_dataset(tmp_path: Path):
    target = secret_h5(tmp_path)

    def make(group) -> None:
        layout = h5py.VirtualLayout(shape=(3, 16), dtype="f4")
        layout[:] = h5py.VirtualSource(str(target), "data", shape=(3, 16))
        group.create_virtual_dataset("0", layout)

    return make


KINDS = {
    "external storage": (external_storage, "stores its data in another file"),
    "external link": (external_link, "is an external link"),
    "virtual dataset": (virtual_dataset, "is a virtual dataset"),
}


def reads_the_secret(path: Path) -> bool:
    """The attack works: plain h5py reads the outside bytes as the kernel."""
    with h5py.File(path, "r") as h5:
        return np.array_equal(h5["layers/lstm/cell/vars/0"][()], SECRET)


@pytest.mark.parametrize("kind", list(KINDS))
def test_hdf5_data_outside_the_file_is_refused(tmp_path, kind):
    make, why = KINDS[kind]
    path = weights_h5(tmp_path / "model.weights.h5", make(tmp_path))
    assert reads_the_secret(path)
    data = path.read_bytes()
    for name in ("model.weights.h5", "model.h5"):
        with pytest.raises(ModelFileError, match=why) as error:
            inspect_file(data, name)
        assert REFUSED in str(error.value) and "1000" not in str(error.value)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_same_inside_a_keras_zip(tmp_path, kind):
    make, why = KINDS[kind]
    weights = weights_h5(tmp_path / "w.h5", make(tmp_path))
    assert reads_the_secret(weights)
    config = {"class_name": "Sequential", "config": {"layers": [{"class_name": "LSTM"}]}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights.read_bytes())
    with pytest.raises(ModelFileError, match=why):
        inspect_file(buffer.getvalue(), "m.keras")


def test_the_files_are_readable_when_their_data_is_inside(tmp_path):
    """The same layout with the kernel stored inline, and through a soft link inside the file,
    is read (so the refusals above are about where the data is)."""
    plain = weights_h5(tmp_path / "plain.h5", lambda g: g.__setitem__("0", SECRET))
    assert torch.equal(inspect_file(plain).layer().weights["weight_ih_l0"], torch.tensor(SECRET.T))

    def soft(group) -> None:
        group.file["store/kernel"] = SECRET
        group["0"] = h5py.SoftLink("/store/kernel")

    linked = weights_h5(tmp_path / "soft.h5", soft)
    assert torch.equal(inspect_file(linked).layer().weights["weight_ih_l0"], torch.tensor(SECRET.T))


def test_an_external_link_to_a_group_and_a_link_cycle(tmp_path):
    target = tmp_path / "other.h5"
    with h5py.File(target, "w") as h5:
        lstm_vars(h5.create_group("vars"))
    path = tmp_path / "m.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("layers/lstm/cell")
        h5["layers/lstm/cell/vars"] = h5py.ExternalLink(str(target), "/vars")
    with pytest.raises(ModelFileError, match="external link"):
        inspect_file(path)

    cycle = tmp_path / "cycle.h5"
    with h5py.File(cycle, "w") as h5:
        lstm_vars(h5.create_group("layers/lstm/cell/vars"), kernel=True)
        h5["layers/lstm/cell/loop"] = h5["layers"]  # a hard link back up: the walk ends
    assert inspect_file(cycle).layer().hidden_size == 4


def test_a_filter_that_is_not_built_in_is_refused(tmp_path):
    """An unknown filter would be looked for as a plugin on the server's disk."""
    path = tmp_path / "m.h5"
    with h5py.File(path, "w") as h5:
        group = h5.create_group("layers/lstm/cell/vars")
        lstm_vars(group, kernel=False)
        plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        plist.set_chunk((3, 16))
        plist.set_filter(307, h5py.h5z.FLAG_OPTIONAL)  # bzip2's id; not registered here
        space = h5py.h5s.create_simple((3, 16))
        dataset = h5py.h5d.create(group.id, b"0", h5py.h5t.IEEE_F32LE, space, dcpl=plist)
        dataset.write(h5py.h5s.ALL, h5py.h5s.ALL, SECRET)
    with pytest.raises(ModelFileError, match="filter 307"):
        inspect_file(path)


def test_the_isolated_reader_refuses_it_too(tmp_path):
    path = weights_h5(tmp_path / "m.h5", external_storage(tmp_path))
    with pytest.raises(ModelFileError, match="stores its data in another file"):
        inspect_isolated(path.read_bytes(), "m.h5")


def test_the_shipped_hostile_h5_is_refused():
    """../shared/cases/hostile/h5-external-storage-passwd.h5: a kernel stored in /etc/passwd."""
    path = HOSTILE / "h5-external-storage-passwd.h5"
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared cases folder sits beside the checkout)")
    for read in (inspect_file, inspect_isolated):
        with pytest.raises(ModelFileError, match="another file \\('/etc/passwd'\\)"):
            read(path.read_bytes(), path.name)


# ---- ONNX, torch, safetensors -------------------------------------------------------------------


def onnx_gru(tmp_path: Path, location: str | None) -> bytes:
    """An exported GRU; with ``location``, its W initializer points at that external file."""
    onnx = pytest.importorskip("onnx")
    import warnings

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(nn.GRU(3, 4), (torch.randn(5, 1, 3),), buffer, dynamo=False)
    model = onnx.load_from_string(buffer.getvalue())
    if location is not None:
        from onnx.external_data_helper import set_external_data

        tensor = max(model.graph.initializer, key=lambda t: len(t.raw_data))
        size = len(tensor.raw_data)
        set_external_data(tensor, location=location, offset=0, length=size)
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
    return model.SerializeToString()


def test_onnx_external_data_is_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    assert inspect_file(onnx_gru(tmp_path, None), "gru.onnx").layer().kind == "gru"
    secret = tmp_path / "weights.bin"
    secret.write_bytes(SECRET.tobytes())
    for location in (str(secret), "weights.bin", "../../../../etc/passwd"):
        data = onnx_gru(tmp_path, location)
        if location == "weights.bin":  # the attack works: onnx's own loader reads the file
            model = onnx.load_from_string(data)
            onnx.external_data_helper.load_external_data_for_model(model, str(tmp_path))
            assert any(len(t.raw_data) == SECRET.nbytes for t in model.graph.initializer)
        for read in (inspect_file, inspect_isolated):
            with pytest.raises(ModelFileError, match="ONNX external data"):
                read(data, "gru.onnx")


def test_an_onnx_constant_with_external_data_is_refused(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    from onnx.external_data_helper import set_external_data

    model = onnx.load_from_string(onnx_gru(tmp_path, None))
    value = helper.make_tensor("c", TensorProto.FLOAT, [1], b"\0\0\0\0", raw=True)
    set_external_data(value, location="/etc/passwd", offset=0, length=4)
    value.data_location = TensorProto.EXTERNAL
    value.ClearField("raw_data")
    model.graph.node.append(helper.make_node("Constant", [], ["unused"], value=value))
    with pytest.raises(ModelFileError, match="ONNX external data"):
        inspect_file(model.SerializeToString(), "gru.onnx")


def test_a_torch_archive_reads_only_its_own_records(tmp_path):
    """torch.load reads storages by record name from the archive in memory, never from a path:
    a record renamed to a server path is missing, not read."""
    buffer = io.BytesIO()
    torch.save(nn.LSTM(3, 4).state_dict(), buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            name = info.filename
            if name.endswith("/data.pkl"):
                data = data.replace(b"X\x01\x00\x00\x000", b"X\x0b\x00\x00\x00/etc/passwd", 1)
            archive.writestr(name, data)
    assert b"/etc/passwd" in out.getvalue()  # the pickle now names a server file as a storage
    with pytest.raises(ModelFileError) as error:
        inspect_file(out.getvalue(), "m.pt")
    assert "root:" not in str(error.value)


def test_safetensors_offsets_beyond_the_file_are_refused():
    from safetensors.torch import save

    data = bytearray(save({"weight_ih_l0": torch.zeros(16, 3)}))
    header = data[8 : 8 + int.from_bytes(data[:8], "little")]
    bigger = header.replace(b"[0,192]", b"[0,999]")  # same length
    assert bigger != header
    bad = bytes(data[:8]) + bytes(bigger) + bytes(data[8 + len(header) :])
    with pytest.raises(ModelFileError, match="does not fit its data"):
        inspect_file(bad, "m.safetensors")
