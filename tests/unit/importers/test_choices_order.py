"""The "Choices made" note of a weights-only file names its parameters in a natural order."""

from __future__ import annotations

import random

import torch
from safetensors.torch import save

from lstm_viz.importers import record_imported
from lstm_viz.importers._record import parameter_order


def test_parameter_names_sort_by_layer_then_ih_hh_then_biases():
    names = [
        "bias_hh_l1", "weight_ih_l1_reverse", "bias_ih_l0", "weight_hh_l1", "weight_ih_l0",
        "bias_hh_l0", "weight_ih_l10", "weight_hh_l0", "weight_ih_l1", "bias_ih_l1",
        "weight_peephole_l0",
    ]  # fmt: skip
    assert sorted(names, key=parameter_order) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_peephole_l0",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse",
        "weight_ih_l10",
    ]  # fmt: skip


def test_a_shuffled_safetensors_file_lists_layer_0_first():
    torch.manual_seed(0)
    state = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True).state_dict()
    keys = list(state)
    random.Random(1).shuffle(keys)  # a file's order is whatever its writer chose
    keys.remove("bias_hh_l1")
    keys.insert(0, "bias_hh_l1")
    data = save({k: state[k].contiguous() for k in keys})
    result = record_imported(data, "model.safetensors", input="random:3")
    [note] = [n for n in result.notes if n.startswith("Choices made")]
    mapped = note.split("(", 2)[2]
    order = [mapped.index(f"{k} <-") for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0")]
    assert order == sorted(order) and "bias_hh_l1" not in mapped.split(", ...")[0]
