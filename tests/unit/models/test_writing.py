"""One writer for every model folder (lstm_viz.models.writing): a replaced folder is swapped in
whole, a failed write leaves the old folder as it was and nothing hidden behind."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from lstm_viz.models.autoencoder import (
    Autoencoder,
    AutoencoderConfig,
    LSTMAutoencoder,
    load_autoencoder,
    save_autoencoder,
)
from lstm_viz.models.writing import write_folder


def test_a_folder_is_replaced_whole_and_a_failed_write_keeps_the_old_one(tmp_path):
    target = tmp_path / "m"
    write_folder(target, {"format": "x", "n": 1}, {"w": torch.ones(2)})
    write_folder(target, {"format": "x", "n": 2}, {"w": torch.zeros(3)})
    assert json.loads((target / "config.json").read_text())["n"] == 2
    assert load_file(target / "model.safetensors")["w"].shape == (3,)

    def broken(staging):
        (staging / "vocab.json").write_text("{}")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_folder(target, {"format": "x", "n": 3}, {"w": torch.ones(4)}, broken)
    assert json.loads((target / "config.json").read_text())["n"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no staging or old folder left


def test_an_autoencoder_saved_over_another_is_the_new_one(tmp_path):
    for hidden in (3, 5):
        model = LSTMAutoencoder(AutoencoderConfig(hidden_size=hidden, window=4))
        save_autoencoder(tmp_path / "ae", Autoencoder(tmp_path / "ae", model, {}, {}))
    assert load_autoencoder(tmp_path / "ae").model.config.hidden_size == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ae"]
