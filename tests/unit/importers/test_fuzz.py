"""Hostile and malformed model files: every one gets a clear ModelFileError (or, for a harmless
mutation that is still a valid file, records normally); none creates a file or crashes.

At least 500 files: random bytes, truncated and corrupted real files of every format, wrong
dtypes and shapes, NaN weights, pickles whose payload would create a file if executed, zip bombs,
huge declared shapes, ONNX external data pointing at files on disk.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import struct
import warnings
import zipfile
from collections.abc import Iterator

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
import torch
from safetensors.torch import save
from torch import nn

import lstm_viz
from lstm_viz.importers import ModelFileError, build, inspect_file

FORMATS = (".pt", ".pth", ".safetensors", ".onnx", ".keras", ".h5")


def torch_bytes(obj, **kwargs) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def valid_files() -> dict[str, bytes]:
    """One small, valid file per format."""
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2)
    files = {
        "model.pt": torch_bytes(lstm.state_dict()),
        "legacy.pt": torch_bytes(lstm.state_dict(), _use_new_zipfile_serialization=False),
        "model.safetensors": save(lstm.state_dict()),
    }
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(lstm, (torch.randn(5, 1, 3),), buffer, dynamo=False)
    files["model.onnx"] = buffer.getvalue()
    try:
        import keras
    except ImportError:
        return files
    model = keras.Sequential([keras.Input((None, 3)), keras.layers.LSTM(4), keras.layers.Dense(2)])
    import tempfile

    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("model.keras", "model.h5"):
            model.save(os.path.join(folder, name))
            with open(os.path.join(folder, name), "rb") as f:
                files[name] = f.read()
    return files


class Payload:
    """Unpickling this would run ``function(*args)``: a file would appear."""

    def __init__(self, function, *args) -> None:
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def payloads(marker: str) -> list[Payload]:
    import builtins
    import pathlib
    import subprocess

    return [
        Payload(os.system, f"touch {marker}"),
        Payload(builtins.open, marker, "w"),
        Payload(builtins.exec, f"open({marker!r}, 'w').close()"),
        Payload(builtins.eval, f"open({marker!r}, 'w')"),
        Payload(subprocess.call, ["touch", marker]),
        Payload(pathlib.Path.touch, pathlib.Path(marker)),
        Payload(os.mkdir, marker),
        Payload(torch.save, {"x": 1}, marker),
    ]


def safetensors_with(header: dict, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def zip_with(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def claim_size(data: bytes, size: int) -> bytes:
    """A zip whose central directory claims every member unpacks to ``size`` bytes."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at != -1:
        out[at + 24 : at + 28] = struct.pack("<I", size)
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def onnx_files(rng: random.Random) -> Iterator[tuple[str, bytes, bool]]:
    from onnx import TensorProto, helper

    def model(w_dims, r_dims, external=False, extra=None, hidden=4):
        w = helper.make_tensor("W", TensorProto.FLOAT, w_dims, [0.1] * int(np.prod(w_dims)))
        r = helper.make_tensor("R", TensorProto.FLOAT, r_dims, [0.1] * int(np.prod(r_dims)))
        if external:
            w = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=w_dims)
            w.data_location = TensorProto.EXTERNAL
            w.external_data.add(key="location", value="../../../../etc/passwd")
        node = helper.make_node(
            "LSTM", ["X", "W", "R"], ["Y"], **{"hidden_size": hidden, **(extra or {})}
        )
        graph = helper.make_graph(
            [node],
            "g",
            [helper.make_tensor_value_info("X", TensorProto.FLOAT, None)],
            [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
            [w, r],
        )
        return helper.make_model(graph).SerializeToString()

    huge = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[10**6, 10**6])
    graph = helper.make_graph(
        [helper.make_node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=4)], "g", [], [], [huge]
    )
    yield "huge.onnx", helper.make_model(graph).SerializeToString(), True
    for i in range(10):
        yield f"external{i}.onnx", model([1, 16, 3], [1, 16, 4], external=True), True
    for i in range(20):
        w = [rng.randint(0, 3), rng.choice([15, 16, 17, 12]), rng.randint(1, 5)]
        r = [rng.randint(0, 3), rng.choice([15, 16, 12]), rng.choice([3, 4, 5])]
        if w == [1, 16, w[2]] and r == [1, 16, 4]:
            r = [2, 16, 4]
        yield f"shapes{i}.onnx", model(w, r), True
    for i, extra in enumerate(
        [
            {"direction": "reverse"},
            {"clip": 3.0},
            {"input_forget": 1},
            {"activations": ["Relu", "Tanh", "Tanh"]},
            {"hidden_size": 5},
        ]
    ):
        supported = extra == {"direction": "reverse"}  # read as a reverse layer (issue 15)
        yield f"attribute{i}.onnx", model([1, 16, 3], [1, 16, 4], extra=extra), not supported


def generate(tmp_path) -> Iterator[tuple[str, bytes, bool]]:
    """(filename, bytes, must_fail): must_fail False for mutations that may stay valid."""
    rng = random.Random(1234)
    valid = valid_files()

    # Random bytes, with every extension, some starting with a real format's magic bytes.
    magics = [b"", b"PK\x03\x04", b"\x89HDF\r\n\x1a\n", b"\x80\x02", b"\x08\x07\x12"]
    for i in range(150):
        body = magics[i % len(magics)] + rng.randbytes(rng.randint(0, 3000))
        yield f"random{i}{FORMATS[i % len(FORMATS)]}", body, True

    # Truncated real files: every format, cut anywhere.
    for name, data in valid.items():
        for i in range(20):
            cut = rng.randint(0, len(data) - 1)
            yield f"truncated{i}-{name}", data[:cut], True

    # Corrupted real files: a few bytes overwritten (may stay valid: then it must record).
    for name, data in valid.items():
        for i in range(20):
            out = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(len(out))] = rng.randrange(256)
            yield f"corrupt{i}-{name}", bytes(out), False

    # Wrong dtypes and shapes in otherwise well-formed state dicts.
    lstm = nn.LSTM(3, 4).state_dict()
    for dtype in (torch.int64, torch.int32, torch.int8, torch.uint8, torch.bool):
        for fmt in (".pt", ".safetensors"):
            state = {k: v.to(dtype) for k, v in lstm.items()}
            data = torch_bytes(state) if fmt == ".pt" else save(state)
            yield f"dtype-{dtype}{fmt}", data, True
    for i in range(40):
        state = dict(lstm)
        key = rng.choice(sorted(state))
        shape = [rng.randint(1, 20) for _ in range(rng.randint(1, 3))]
        if list(state[key].shape) == shape:
            shape.append(2)
        state[key] = torch.randn(shape)
        if i % 3 == 0:
            state.pop(rng.choice(sorted(state)), None)
        if i % 5 == 0:
            state["weight_ih_l3"] = torch.randn(16, 4)
        fmt = (".pt", ".safetensors")[i % 2]
        yield f"shape{i}{fmt}", torch_bytes(state) if fmt == ".pt" else save(state), True
    yield "no-tensors.pt", torch_bytes({"epoch": 3, "name": "x"}), True
    yield "tensor.pt", torch_bytes(torch.randn(3)), True

    # NaN and Inf weights: reported, never recorded.
    for i in range(20):
        state = {k: v.clone() for k, v in lstm.items()}
        key = sorted(state)[i % len(state)]
        state[key].view(-1)[i % state[key].numel()] = (float("nan"), float("inf"))[i % 2]
        fmt = (".pt", ".safetensors")[i % 2]
        yield f"nan{i}{fmt}", torch_bytes(state) if fmt == ".pt" else save(state), True

    # Pickles whose payload would create a file: in torch's zip format, in the legacy format,
    # as plain pickles of every protocol, alone and beside real tensors.
    marker = str(MARKER)
    for i, payload in enumerate(payloads(marker)):
        yield f"evil-zip{i}.pt", torch_bytes({"weight_ih_l0": payload}), True
        yield f"evil-legacy{i}.pt", torch_bytes(payload, _use_new_zipfile_serialization=False), True
        yield f"evil-mixed{i}.pth", torch_bytes({**lstm, "x": [payload]}), True
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            yield f"evil-p{protocol}-{i}.pt", pickle.dumps(payload, protocol=protocol), True

    # Zip bombs: members that unpack a thousand-fold, and archives that claim huge sizes.
    zeros = b"\0" * (8 * 1024 * 1024)
    bomb = zip_with({"config.json": b"{}", "model.weights.h5": zeros})
    for i in range(10):
        yield f"bomb{i}.keras", bomb, True
        yield f"bomb{i}.pt", zip_with({"archive/data.pkl": zeros, "archive/version": b"3"}), True
    for i in range(10):
        yield f"claims{i}.keras", claim_size(valid.get("model.keras", bomb), 2**32 - 1), True
        yield f"claims{i}.pt", claim_size(valid["model.pt"], 2**31 + i), True

    # Huge declared shapes (nothing may be allocated for them).
    for i in range(20):
        shape = [10 ** rng.randint(6, 12), 10 ** rng.randint(3, 9)]
        header = {"weight_ih_l0": {"dtype": "F32", "shape": shape, "data_offsets": [0, 64]}}
        yield f"huge{i}.safetensors", safetensors_with(header, b"\0" * 64), True
    header = {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 2**62]}}
    yield "offsets.safetensors", safetensors_with(header, b"\0" * 16), True
    yield "header.safetensors", struct.pack("<Q", 2**60) + b"{}", True
    yield "notjson.safetensors", struct.pack("<Q", 4) + b"\xff\xfe\0\0", True
    header = {"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}
    yield "dtype.safetensors", safetensors_with(header, b"\0"), True
    yield from huge_torch()
    yield from huge_h5(rng)
    yield from onnx_files(rng)

    # Keras archives with a hostile or broken configuration (never deserialised).
    lambda_config = {
        "class_name": "Sequential",
        "config": {
            "layers": [
                {"class_name": "Lambda", "config": {"function": "os.system('touch x')"}},
            ]
        },
    }
    for i, config in enumerate([b"not json", b"[]", json.dumps(lambda_config).encode(), b"{}"]):
        weights = zip_with({"config.json": config, "model.weights.h5": b"not hdf5"})
        yield f"config{i}.keras", weights, True
    yield "members.keras", zip_with({"config.json": b"{}"}), True


def huge_torch() -> Iterator[tuple[str, bytes, bool]]:
    """torch zips whose pickle declares a huge storage, or a huge tensor over a tiny storage."""
    original = zipfile.ZipFile(io.BytesIO(torch_bytes({"weight_ih_l0": torch.zeros(4)})))
    pickled = next(n for n in original.namelist() if n.endswith("data.pkl"))
    data = original.read(pickled)

    def rebuild(new: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for name in original.namelist():
                archive.writestr(name, new if name == pickled else original.read(name))
        return out.getvalue()

    def binint(n: int) -> bytes:
        return b"J" + struct.pack("<i", n)

    big = binint(10**6) + binint(10**6) + b"\x86"
    for i, n in enumerate([2**31 - 1, 2**30, 10**9]):
        yield f"storage{i}.pt", rebuild(data.replace(b"K\x04t", binint(n) + b"t", 1)), True
    yield "size.pt", rebuild(data.replace(b"K\x04\x85", big, 1)), True
    zero_strides = data.replace(b"K\x04\x85", big, 1).replace(b"K\x01\x85", b"K\x00K\x00\x86", 1)
    yield "strides.pt", rebuild(zero_strides), True


def huge_h5(rng: random.Random) -> Iterator[tuple[str, bytes, bool]]:
    import h5py

    for i in range(10):
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            group = f.create_group("layers/lstm/cell/vars")
            shape = (10 ** rng.randint(6, 9), 10 ** rng.randint(4, 8))
            for k in range(3):
                group.create_dataset(str(k), shape=shape, dtype="f4", chunks=(1, 1))
        yield f"huge{i}.h5", buffer.getvalue(), True
    for i in range(5):  # strings where weights belong
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            group = f.create_group("layers/lstm/cell/vars")
            for k in range(3):
                group.create_dataset(str(k), data=np.array([b"x" * 8] * 4))
        yield f"strings{i}.h5", buffer.getvalue(), True


MARKER = None  # set per test run: the file a payload would create


def test_hostile_files_get_clear_errors(tmp_path, monkeypatch):
    global MARKER
    MARKER = tmp_path / "pwned"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # a payload writing relative paths would write here
    before = set(os.listdir(tmp_path))
    count = failures = 0
    messages: dict[str, str] = {}
    for filename, data, must_fail in generate(tmp_path):
        count += 1
        try:
            imported = inspect_file(data, filename)
            for layer in imported.layers:
                module = build(layer)
                lstm_viz.record(module, torch.randn(1, 3, layer.input_size))
        except ModelFileError as error:
            message = str(error)
            assert message and len(message) < 2000 and "Traceback" not in message, filename
            messages[filename] = message
            failures += 1
            continue
        except Exception as error:  # anything else is a crash of the importer
            pytest.fail(f"{filename}: {type(error).__name__}: {error}")
        assert not must_fail, f"{filename} was accepted"
    assert count >= 500, count
    # Refused for the right reason, not by accident.
    pickled = ("pickled Python object", "(weights-only) reader refused it")
    expected = {
        "evil-": pickled,  # protocols 4-5 stop at their first opcode, the others at the GLOBAL
        "bomb": ("zip bomb",),
        "claims": ("zip bomb",),
        "huge": ("numbers in all",),
        "strides": ("numbers in all",),
        "storage": ("not a readable PyTorch file",),
        "external": ("separate file",),
        "nan": ("NaN/Inf",),
        "dtype-": ("not floating point",),
    }
    for filename, message in messages.items():
        for start, reasons in expected.items():
            if filename.startswith(start):
                assert any(reason in message for reason in reasons), (filename, message)
    assert sum(name.startswith(tuple(expected)) for name in messages) >= 170
    assert failures >= 450
    assert not MARKER.exists()
    assert set(os.listdir(tmp_path)) == before, "a file was created"
    assert os.listdir(work) == []
