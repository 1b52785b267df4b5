"""AppTest: Explore on a ConvLSTM frame model shows the recorded gate maps of the chosen step
and the picked pixel's unit; pages that read text say they cannot show it."""

from __future__ import annotations

import json

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from app import state
from lstm_viz import record
from lstm_viz.figures.frames import tile
from lstm_viz.models.checkpoints import models_dir, save_checkpoint
from lstm_viz.models.frames import FrameModel, FrameModelConfig
from lstm_viz.tasks import moving_shapes
from tests.app.test_explore_page import ENTRYPOINT, decode

PANEL = "explore.trained/frames"
SIZE = 10


def save_frame_model() -> FrameModel:
    torch.manual_seed(0)
    model = FrameModel(FrameModelConfig(hidden_channels=2, kernel_size=3, num_layers=2))
    with torch.no_grad():
        model.head.weight.normal_()  # a head that changes frames (a fresh one is all zeros)
    task = {"name": "moving-shapes", "title": "Moving shapes", "params": {"size": SIZE}}
    save_checkpoint(models_dir() / "frames", model, None, {"task": task})
    return model


def maps_chart(at: AppTest) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [maps] = [s for s in specs if "Every gate" in s["layout"]["title"]["text"]]
    return maps


def test_explore_draws_the_recorded_maps_and_the_picked_unit():
    model = save_frame_model()
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    at.slider(key=f"{PANEL}.frames").set_value(6).run()
    at.slider(key=f"{PANEL}.frame_step").set_value(4).run()
    at.selectbox(key=f"{PANEL}.layer").set_value(1).run()
    assert not at.exception, at.exception
    assert "frames" not in maps_chart(at)  # one step only, until the animation is asked for
    at.toggle(key=f"{PANEL}.animate").set_value(True).run()
    frames = torch.from_numpy(moving_shapes(1, steps=6, size=SIZE, seed=10_000))
    (prediction, _), trace = record(model, frames)
    maps = maps_chart(at)
    heatmaps = [d for d in maps["data"] if d["type"] == "heatmap"]
    assert len(heatmaps) == 6  # every gate and state, forget gate first
    want = tile(trace.maps("forget_gate")[1, 0, 0, 4].numpy())
    shown = decode(heatmaps[0]["z"]).astype(np.float32)
    assert np.allclose(np.nan_to_num(shown, nan=-9), np.nan_to_num(want, nan=-9), atol=1e-6)
    assert len(maps["frames"]) == 6  # the animation holds every step
    step_5 = decode(maps["frames"][5]["data"][0]["z"]).astype(np.float32)
    want_5 = tile(trace.maps("forget_gate")[1, 0, 0, 5].numpy())
    assert np.allclose(np.nan_to_num(step_5, nan=-9), np.nan_to_num(want_5, nan=-9), atol=1e-6)
    strip = [json.loads(c.proto.spec) for c in at.get("plotly_chart")][0]
    predicted = decode(strip["data"][1]["z"]).astype(np.float32)
    assert np.allclose(
        np.nan_to_num(predicted, nan=-9),
        np.nan_to_num(tile(prediction[0, :, 0].numpy()), nan=-9),
        atol=1e-6,
    )
    # a pixel picks a unit: channel 1, row 2, column 3 is unit (1 * 10 + 2) * 10 + 3 = 123
    at.number_input(key=f"{PANEL}.channel").set_value(1).run()
    at.number_input(key=f"{PANEL}.row").set_value(2).run()
    at.number_input(key=f"{PANEL}.column").set_value(3).run()
    at.radio(key=f"{PANEL}.frame_view").set_value("unit").run()
    assert not at.exception, at.exception
    assert any("Unit 123: channel 1, row 2, column 3" in c.value for c in at.caption)
    at.radio(key=f"{PANEL}.frame_view").set_value("step").run()
    assert not at.exception, at.exception


def test_other_pages_run_with_a_frame_model_selected():
    save_frame_model()
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.run()
    for page in ("views/analyze.py", "views/learn.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        if page == "views/analyze.py":
            assert any("ConvLSTM that reads frames" in i.value for i in at.info)


def test_learn_tour_stop_on_the_shipped_convlstm(shipped_models):
    """The tour stop states what it measured on the shipped model's recording."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.run()
    at.switch_page("views/learn.py").run()
    at.segmented_control(key="learn.section").set_value("tours").run()
    at.radio(key="learn.tour.which").set_value("frames").run()
    assert not at.exception, at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "forget gate is higher" in text and "where the shape will be" in text
    assert len(at.get("plotly_chart")) == 2


def test_learn_hands_explore_its_step_and_channel():
    """Learn's moving-shapes stop opens Explore at the stop's step and channel (a hand-off, read
    once: the sliders are the user's afterwards)."""
    save_frame_model()
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.session_state[state.EXPLORE_FRAME] = {"step": 7, "channel": 1}
    at.run()
    assert not at.exception, at.exception
    assert at.slider(key=f"{PANEL}.frame_step").value == 7
    assert at.number_input(key=f"{PANEL}.channel").value == 1
    assert not at.warning  # no "set via the Session State API" warning
    at.slider(key=f"{PANEL}.frame_step").set_value(2).run()
    assert at.slider(key=f"{PANEL}.frame_step").value == 2
