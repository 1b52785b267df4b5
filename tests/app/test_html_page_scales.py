"""Explore's Export view: the HTML page download colours the cell state as Explore does, on the
model's fixed scale (scales.json) when it has one, and says so; per input only without one."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from app.components.heatmaps import scale_note
from app.resources import find_model, html_page, model_scales, record_text
from lstm_viz.analysis.scales import Scales, write_scales
from tests.app.test_explore_page import save_model

TEXT = "abc deaf."


def page_data(page: bytes) -> dict:
    """The page's embedded data (its JSON script block)."""
    block = re.search(rb'<script type="application/json" id="lv-data">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


def cell_ranges(data: dict) -> dict[int, float]:
    """layer -> the zmax of the page's cell heatmap of that layer."""
    return {
        f["layer"]: f["data"][0]["zmax"] for f in data["figures"] if f["key"].startswith("cell|")
    }


def test_the_page_uses_the_models_scales_as_explore_does_and_says_which():
    write_scales(save_model("fixed", num_layers=2), Scales({"cell": [[2.5], [3.5]]}, steps=77))
    save_model("free", num_layers=2)
    fixed, free = find_model("trained/fixed"), find_model("trained/free")
    # Explore's own scales and sentences (app.components.heatmaps) are the page's.
    data = page_data(html_page(fixed, TEXT))
    assert cell_ranges(data) == {0: 2.5, 1: 3.5}
    assert data["legends"]["cell|1|0"] == "c ±3.5 (model)"
    trace = record_text(fixed, TEXT).trace
    for layer in (0, 1):
        note = data["notes"][f"{layer}|0"]
        assert note == scale_note(trace, layer, 0, model_scales(fixed))
        assert "fixed for this model" in note and "77 validation" in note
        assert "no scales.json" not in note

    # Without scales.json: this input's largest |c|, and the page says the range is per input.
    data = page_data(html_page(free, TEXT))
    trace = record_text(free, TEXT).trace
    for layer in (0, 1):
        largest = float(np.abs(trace["cell"][layer, 0, 0].numpy()).max())
        assert cell_ranges(data)[layer] == pytest.approx(largest, rel=1e-6)
        assert data["legends"][f"cell|{layer}|0"].endswith("(this input)")
        assert "no fixed scale for c (no scales.json)" in data["notes"][f"{layer}|0"]

    # A scales.json written later (e.g. `python -m lstm_viz.pretrained scales`): a new page.
    write_scales(free.path, Scales({"cell": [[4.0], [5.0]]}, steps=12))
    data = page_data(html_page(free, TEXT))
    assert cell_ranges(data) == {0: 4.0, 1: 5.0}
    assert "fixed for this model: ±5" in data["notes"]["1|0"]
