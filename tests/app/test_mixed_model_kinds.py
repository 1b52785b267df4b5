"""AppTest: pages that list every model cope with a ConvLSTM frame model among them (its
config has no ``input_size``): they leave it out or say why in one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import torch

from app import state
from lstm_viz.models.checkpoints import models_dir, save_checkpoint
from lstm_viz.models.frames import FrameModel, FrameModelConfig
from tests.app.test_analyze_page import open_analyze
from tests.app.test_explore_views_page import PANEL, open_on, set_view

PRETRAINED = Path(__file__).resolve().parents[2] / "pretrained"


def test_gradient_flow_on_a_numeric_model_leaves_out_the_shipped_convlstm(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for name in ("sines-lstm", "moving-shapes-convlstm"):
        (shipped / name).symlink_to(PRETRAINED / name)
    monkeypatch.setenv("LSTM_VIZ_PRETRAINED_DIR", str(shipped))
    at = open_analyze(**{state.SELECT_MODEL: "shipped/sines-lstm"})
    at.radio(key="analyze.section").set_value("gradients").run()
    assert not at.exception, at.exception
    [models] = at.multiselect
    assert models.options == ["📦 Shipped · sines-lstm"]  # the ConvLSTM reads frames: left out
    assert models.value == ["shipped/sines-lstm"]
    assert at.get("plotly_chart")


def save_frame_model(name: str = "frames") -> Path:
    torch.manual_seed(0)
    model = FrameModel(FrameModelConfig(hidden_channels=2, kernel_size=3))
    return save_checkpoint(models_dir() / name, model, None, {"task": {"name": "moving-shapes"}})


def test_explore_compare_with_a_convlstm_says_why_in_one_line():
    at, _ = open_on()
    save_frame_model()
    set_view(at, "compare")
    at.radio(key=f"{PANEL}.compare_mode").set_value("models").run()
    at.selectbox(key=f"{PANEL}.compare_model").set_value("trained/frames").run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "frames is a ConvLSTM that reads frames, not text or numbers" in error.value
