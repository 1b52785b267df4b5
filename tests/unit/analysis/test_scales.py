"""Colour scales fixed per model (issue 16): measured on validation data, stored in
scales.json, read back, and used by the heatmaps so two inputs get the same colours."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_viz import record
from lstm_viz.analysis.scales import (
    QUANTILE,
    SCALES_FILE,
    measure_scales,
    read_scales,
    round_up,
)
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.models.folders import CheckpointError
from lstm_viz.pretrained.build import shipped
from lstm_viz.quantities import UNBOUNDED
from lstm_viz.training import Callbacks, build_run

PRETRAINED = Path(__file__).resolve().parents[3] / "pretrained"
# The sequence models: encoder-decoders, autoencoders and the ConvLSTM frame model are drawn by
# views of their own, which do not read scales.json.
SHIPPED = [
    p
    for p in shipped(PRETRAINED)
    if json.loads((p / "config.json").read_text())["model"]["cell"] != "conv_lstm"
]


def test_round_up():
    assert round_up(12.31) == 13 and round_up(0.0412) == 0.042 and round_up(8.3) == 8.3
    assert round_up(0.0) == 1.0


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny bracket LSTM trained (1 epoch, 2 steps) into a folder: training writes scales."""
    folder = tmp_path_factory.mktemp("scales") / "tiny"
    run = build_run(
        "dyck",
        {"train_size": 32, "validation_size": 16, "min_length": 6, "max_length": 12},
        {"cell": "lstm", "hidden_size": 6, "embedding_size": 4},
        {"epochs": 1, "batch_size": 16, "device": "cpu"},
        path=folder,
        seed=0,
    )
    run.trainer(Callbacks()).fit()
    return folder, run


def test_training_writes_the_measured_scale(trained):
    folder, run = trained
    stored = read_scales(folder)
    assert stored is not None and (folder / SCALES_FILE).is_file()
    model = load_checkpoint(folder).model
    again = measure_scales(model, run.task)
    assert stored.bounds == again.bounds and stored.steps == again.steps
    # The bound is the stated percentile of |c| over every real validation step, rounded up.
    sequences = list(run.task.sequences("validation"))
    cells = []
    for sequence in sequences:
        _, trace = record(model, run.task.collate([sequence]).inputs)
        cells.append(np.abs(trace.cell[0, 0, 0].numpy()).ravel())
    want = round_up(float(np.quantile(np.concatenate(cells), QUANTILE)))
    assert stored.bound("cell", 0) == pytest.approx(want)
    assert stored.bound("cell", 5) is None and stored.bound("hidden", 0) is None
    assert "fixed for this model" in stored.describe("cell", 0)


def test_a_fixed_scale_colours_two_inputs_alike(trained):
    folder, _ = trained
    model, scales = load_checkpoint(folder).model, read_scales(folder)
    bars = []
    for text in ([4, 5, 4, 5], [4, 4, 4, 4, 4, 5, 5, 5, 5, 5]):
        _, trace = record(model, torch.tensor([text]))
        figure = heatmap(trace, "cell", bound=scales.bound("cell", 0))
        bars.append((figure.data[0].zmax, figure.data[0].colorbar.title.text))
        assert figure.layout.meta["scale"]["source"] == "model"
    assert bars[0] == bars[1] and f"±{scales.bound('cell', 0):.3g}" in bars[0][1]
    unfixed = heatmap(trace, "cell")
    assert "this input" in unfixed.data[0].colorbar.title.text


def test_a_broken_scales_file_is_refused_in_one_line(tmp_path):
    assert read_scales(tmp_path) is None
    (tmp_path / SCALES_FILE).write_text(json.dumps({"bounds": {"cell": [[-1.0]]}, "steps": 3}))
    with pytest.raises(CheckpointError, match="not a scales file"):
        read_scales(tmp_path)
    (tmp_path / SCALES_FILE).write_text("[]")
    with pytest.raises(CheckpointError, match="not a scales file"):
        read_scales(tmp_path)


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_model_has_its_scale(folder):
    """python -m lstm_viz.pretrained scales wrote them; a bound per layer for each unbounded
    quantity the model records."""
    scales = read_scales(folder)
    assert scales is not None, f"{folder.name} has no {SCALES_FILE}"
    config = json.loads((folder / "config.json").read_text())["model"]
    recorded = {"lstm": {"cell"}, "gru": set(), "rnn_tanh": {"pre_activation"}}.get(
        config["cell"], set()
    )
    assert set(scales.bounds) == recorded & UNBOUNDED
    for rows in scales.bounds.values():
        assert len(rows) == config["num_layers"] and all(b > 0 for row in rows for b in row)
    assert scales.steps > 1000 and scales.quantile == QUANTILE


def test_an_encoder_decoders_parts_are_written_read_and_checked(tmp_path):
    import json

    from lstm_viz.analysis.scales import Scales, read_scales, write_scales
    from lstm_viz.models.folders import CheckpointError

    parts = {
        "encoder": {"bounds": {"cell": [[4.0, 5.0]]}, "steps": 100},
        "decoder": {"bounds": {"cell": [[5.2]]}, "steps": 60},
    }
    write_scales(tmp_path, Scales({}, 100, parts=parts))
    scales = read_scales(tmp_path)
    assert scales.part("encoder").bound("cell", 0, 1) == 5.0
    assert scales.part("decoder").bound("cell", 0) == 5.2 and scales.bound("cell", 0) is None
    assert scales.part("decoder").steps == 60
    assert scales.part("nowhere") is None
    bad = {"cell": [[-1]]}
    (tmp_path / "scales.json").write_text(
        json.dumps({"steps": 1, "bounds": {}, "parts": {"decoder": {"bounds": bad, "steps": 1}}})
    )
    with pytest.raises(CheckpointError, match="positive"):
        read_scales(tmp_path)
