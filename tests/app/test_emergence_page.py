"""AppTest: the training scrubber (probe.npz) on the Train page after a run and in Explore for
a model folder that has one: the unit line and the heatmaps are the stored evaluation's."""

from __future__ import annotations

import json

import numpy as np
import torch

from app import state
from lstm_viz.models.checkpoints import models_dir
from lstm_viz.training.probe import load_probe
from tests.app.test_analyze_page import save_dyck
from tests.app.test_explore_page import decode


def plotly(at, meta: str) -> dict:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"].get("meta", {}).get("figure") == meta:
            return spec
    raise AssertionError(f"no {meta} figure")


def heatmap_z(at, quantity: str) -> np.ndarray:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        data = spec["data"][0]
        if data.get("type") == "heatmap" and spec["layout"]["meta"].get("quantity") == quantity:
            return decode(data["z"])
    raise AssertionError(f"no {quantity} heatmap")


def check_train_scrubber(at) -> None:
    """The Train page after training tiny-dyck (test_train_page reuses its run: no second
    training): the scrubber opens on the last evaluation and shows the chosen one's values."""
    history = load_probe(models_dir() / "tiny-dyck")
    assert len(history.steps) >= 2
    slider = at.select_slider(key="train.emergence.evaluation")
    assert slider.value == len(history.steps) - 1  # opens on the last evaluation
    slider.set_value(0).run()
    assert not at.exception, at.exception
    line = plotly(at, "emergence")["data"][-1]
    want = history.trace.hidden[0, 0, 0, :, 0].numpy()
    np.testing.assert_allclose(decode(line["y"]), want, atol=1e-6)
    assert f"after step {history.steps[0]:,}" == line["name"]


def test_explore_offers_the_training_view_for_a_folder_with_a_probe():
    from lstm_viz.models.checkpoints import load_checkpoint
    from lstm_viz.tasks import make_task
    from lstm_viz.training.probe import ProbeRecorder

    path = save_dyck()
    task = make_task("dyck", min_length=4, max_length=16, train_size=10, validation_size=40)
    model = load_checkpoint(path).model
    probe = ProbeRecorder(task, path)
    for step in (0, 10, 20):
        with torch.no_grad():  # three different models: shift every weight a little
            for p in model.parameters():
                p.add_(0.3)
        probe.record(model, step, 0.5 + step / 100)
    history = load_probe(path)
    from lstm_viz.analysis.scales import measure_scales, write_scales

    write_scales(path, measure_scales(load_checkpoint(path).model, task))  # as a build does

    from streamlit.testing.v1 import AppTest

    from tests.app.test_analyze_page import ENTRYPOINT

    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.session_state[state.SELECT_MODEL] = "trained/dyck"
    at.run()
    at.switch_page("views/explore.py").run()
    panel = "explore.trained/dyck"
    assert "🌱 Training" in at.radio(key=f"{panel}.view").options
    at.number_input(key=f"{panel}.unit").set_value(4).run()
    at.radio(key=f"{panel}.view").set_value("training").run()
    assert not at.exception, at.exception
    at.select_slider(key=f"{panel}.training.evaluation").set_value(1).run()
    at.radio(key=f"{panel}.training.quantity").set_value("cell").run()
    line = plotly(at, "emergence")["data"][-1]
    np.testing.assert_allclose(
        decode(line["y"]), history.trace.cell[0, 0, 1, :, 4].numpy(), atol=1e-6
    )
    from lstm_viz.quantities import format_metric  # the figure and the caption: one format

    words = f"validation accuracy {format_metric('accuracy', history.metrics[1])}"
    assert words in str(plotly(at, "emergence")["layout"]["title"])
    assert any(words in c.value for c in at.caption)
    np.testing.assert_allclose(
        heatmap_z(at, "forget_gate"), history.trace.forget_gate[0, 0, 1].numpy().T, atol=1e-6
    )
    assert any(c.value.startswith("After 10 training steps: validation") for c in at.caption)
    # Coloured on the model's scales.json, as the Heatmaps view is, and the caption says so.
    words = " ".join(c.value for c in at.caption)
    assert "fixed for this model" in words and "no scales.json" not in words
