"""A Keras ConvLSTM2D file (two stacked layers, return_sequences=True, random weights): read as
data, recorded by our ConvLSTM, equal to Keras's own output (the file loaded by Keras in safe
mode, in a child) within 1e-5; the CLI records frames.npy [time, height, width, channels]."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec

import numpy as np
import pytest
import torch

from lstm_viz import Trace, record
from lstm_viz.importers import ModelFileError, conv_stacks, record_conv

pytestmark = pytest.mark.skipif(find_spec("keras") is None, reason="needs keras")


@pytest.fixture(scope="module")
def files(convlstm_keras_files):
    return convlstm_keras_files


def keras_difference(trace, folder) -> float:
    ours = trace.maps("hidden")[-1, 0].permute(0, 1, 3, 4, 2).numpy()  # [1, T, H, W, C]
    return float(np.abs(ours - np.load(folder / "keras_out.npy")).max())


def test_keras_convlstm_stack_matches_keras(files):
    """Keras's own output (model.predict, saved when the file was made) against our recording of
    our reading of the file, .keras and legacy .h5; a changed weight breaks the agreement."""
    stacks = conv_stacks(files / "stacked.keras")
    assert [s.names for s in stacks] == [["c1", "c2"]]
    assert stacks[0].module.num_layers == 2 and stacks[0].module.kernel_size == (3, 2)
    for name in ("stacked.keras", "stacked.h5"):
        result = record_conv(files / name, files / "frames.npy", runtime_check=False)
        assert result.trace.kind == "conv_lstm"
        assert result.trace.maps("forget_gate").shape == (2, 1, 1, 5, 3, 6, 7)
        assert keras_difference(result.trace, files) < 1e-5, name
    stack = stacks[0]
    stack.module.weight_hh_l1.data[0, 0, 0, 0] += 0.3
    frames = np.load(files / "frames.npy")
    _, trace = record(stack.module, torch.from_numpy(frames).permute(0, 3, 1, 2)[None])
    assert keras_difference(trace, files) > 1e-3


def test_unsupported_settings_and_frames_are_one_line(files):
    with pytest.raises(ModelFileError, match="padding 'valid'"):
        conv_stacks(files / "valid.keras")
    with pytest.raises(ModelFileError, match=r"\[time, height, width, 2\]"):
        record_conv(files / "stacked.keras", np.zeros((4, 6, 7), np.float32))


def test_cli_records_frames(files, tmp_path):
    out = tmp_path / "t.npz"
    done = subprocess.run(
        [sys.executable, "-m", "lstm_viz", "record", "--model", str(files / "stacked.keras"),
         "--input", str(files / "frames.npy"), "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # the runtime check: the file loaded by Keras in safe mode (a child), its last layer's output
    [line] = [x for x in done.stdout.splitlines() if x.startswith("check:") and "Keras" in x]
    assert "agrees" in line, line
    trace = Trace.load(out)
    assert trace.config["spatial_shape"] == [3, 6, 7]
    assert trace.maps("cell").shape == (2, 1, 1, 5, 3, 6, 7)


def test_a_convlstm1d_file_is_refused_with_what_is_read_instead(files):
    from lstm_viz.importers import inspect_file

    with pytest.raises(ModelFileError, match="ConvLSTM1D layers are not read.*ConvLSTM2D"):
        inspect_file((files / "conv1d.keras").read_bytes(), "conv1d.keras")
    assert conv_stacks(files / "conv1d.keras") == []
