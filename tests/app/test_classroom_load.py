"""A classroom on one server (issue 13, load): shared heatmap figures, one torch thread per
operation, the server settings that kept the event loop answering, and the benchmark's own
bookkeeping (benchmarks/classroom_load.py)."""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from pathlib import Path

import plotly.io as pio
import pytest
import tomllib
import torch
from torch import nn

from app.components.heatmaps import heatmap_figure
from app.heatmap_figures import build_heatmap_panel, panel_names
from app.resources import (
    TORCH_THREADS_ENV,
    ModelRef,
    recording_key,
    serve_torch_threads,
    shared_heatmap_figure,
    shared_heatmap_panel,
)
from lstm_viz import record

ROOT = Path(__file__).resolve().parents[2]


def lstm_trace(seed=0, steps=5):
    torch.manual_seed(seed)
    module = nn.LSTM(3, 6, 2, batch_first=True)
    _, trace = record(module, torch.randn(1, steps, 3), tokens=[list("abcdefgh"[:steps])])
    return trace


def figure_args(highlight=None, row=None, units=None, name="hidden"):
    return (name, 1, 0, 300, 64, 0, units, highlight, row)


def test_a_recordings_figures_are_built_once_and_shared():
    trace = lstm_trace()
    first = heatmap_figure(trace, *figure_args(), recording="model\x1f1\x1fcpu\x1fabcde")
    again = heatmap_figure(trace, *figure_args(), recording="model\x1f1\x1fcpu\x1fabcde")
    assert again is first  # another session, same recording and choice: the same object
    # The same figure as one built for this session alone.
    alone = heatmap_figure(trace, *figure_args(), recording=None)
    assert alone is not first
    assert pio.to_json(alone, validate=False) == pio.to_json(first, validate=False)


def test_another_recording_or_choice_gets_its_own_figure():
    trace, other = lstm_trace(seed=0), lstm_trace(seed=1)
    key = "model\x1f1\x1fcpu\x1fabcde"
    base = heatmap_figure(trace, *figure_args(), recording=key)
    assert heatmap_figure(other, *figure_args(), recording=key + "!") is not base
    assert heatmap_figure(trace, *figure_args(name="cell"), recording=key) is not base
    outlined = heatmap_figure(trace, *figure_args(highlight=2, row=2), recording=key)
    assert [s.name for s in outlined.layout.shapes] == ["unit 2"]
    assert base.layout.shapes == ()  # the shared figure without the outline is untouched
    ordered = heatmap_figure(trace, *figure_args(units=(5, 0, 3)), recording=key)
    assert list(ordered.data[0].y) == ["5", "0", "3"]
    shared_heatmap_figure.clear()


def test_the_recording_key_names_model_version_device_and_text(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    ref = ModelRef("trained", "m", str(folder))
    key = recording_key(ref, "The cat", "cpu")
    assert key != recording_key(ref, "The cat.", "cpu")
    assert key != recording_key(ref, "The cat", "cuda")
    (folder / "config.json").write_text('{"a": 1}')  # a new version of the model
    os.utime(folder / "config.json", ns=(1, 1))
    assert key != recording_key(ref, "The cat", "cpu")


def test_the_server_uses_one_torch_thread_unless_told(monkeypatch):
    before = torch.get_num_threads()
    seen = {}
    try:
        monkeypatch.delenv(TORCH_THREADS_ENV, raising=False)
        assert serve_torch_threads() == 1
        # Torch keeps it for threads started after the call, such as a session's script thread.
        worker = threading.Thread(target=lambda: seen.update(n=torch.get_num_threads()))
        worker.start()
        worker.join()
        assert seen["n"] == 1
        monkeypatch.setenv(TORCH_THREADS_ENV, "2")
        assert serve_torch_threads() == 2
        monkeypatch.setenv(TORCH_THREADS_ENV, "many")
        assert serve_torch_threads() == 1  # unreadable: the safe default
    finally:
        torch.set_num_threads(before)


def test_the_server_config_keeps_the_event_loop_free():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["address"] == "127.0.0.1"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location(
        "classroom_sessions", ROOT / "benchmarks" / "classroom_sessions.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("sessions, rounds", [(30, 2), (100, 3)])
def test_every_student_types_a_sentence_of_their_own(benchmark, sessions, rounds):
    texts = [benchmark.sentence(s, r, rounds) for s in range(sessions) for r in range(rounds)]
    assert len(set(texts)) == len(texts)
    assert all(t.endswith(".") or t.endswith("?") for t in texts)


def test_the_percentile_is_the_nearest_rank(benchmark):
    values = [float(v) for v in range(1, 61)]  # 60 presses
    assert benchmark.percentile(values, 95) == 57.0
    assert benchmark.percentile(values, 50) == 30.0
    assert benchmark.percentile([3.0], 95) == 3.0


def test_garbage_is_collected_at_most_once_per_period():
    from app.resources import collect_garbage

    assert collect_garbage(every=0.0)  # due: runs
    assert not collect_garbage(every=3600.0)  # ran just now: skipped


def test_a_panels_figures_equal_figures_built_alone():
    trace = lstm_trace(steps=8)
    for units in (None, (5, 0, 3)):
        choice = (1, 0, 3, 2, 1, units)  # 3 columns of means, units 1-2 of the window
        panel = build_heatmap_panel(trace, *choice).figures
        assert list(panel) == panel_names(trace, units)
        for name, figure in panel.items():
            alone = heatmap_figure(trace, name, *choice, None, None)
            assert pio.to_json(figure, validate=False) == pio.to_json(alone, validate=False)


def test_the_cache_never_serves_another_inputs_figure():
    first, second = lstm_trace(seed=0), lstm_trace(seed=0, steps=4)  # the input changed
    key = "model\x1f1\x1fcpu\x1f"
    shown = heatmap_figure(first, *figure_args(), recording=key + "abcde")
    changed = heatmap_figure(second, *figure_args(), recording=key + "abcd")
    assert len(changed.data[0].x) == 4 and len(shown.data[0].x) == 5
    alone = heatmap_figure(second, *figure_args(), recording=None)
    assert pio.to_json(changed, validate=False) == pio.to_json(alone, validate=False)
    shared_heatmap_panel.clear()
    shared_heatmap_figure.clear()


def test_following_another_unit_does_not_rebuild_the_heatmaps(monkeypatch):
    import lstm_viz.figures.heatmap as heatmaps

    built = []
    original = heatmaps.heatmap_panel
    monkeypatch.setattr(
        heatmaps, "heatmap_panel", lambda *a, **k: built.append(1) or original(*a, **k)
    )
    trace, key = lstm_trace(), "model\x1f1\x1fcpu\x1fxyz"
    plain = heatmap_figure(trace, *figure_args(), recording=key)
    moved = [heatmap_figure(trace, *figure_args(highlight=u, row=u), recording=key) for u in (1, 4)]
    assert len(built) == 1  # one panel for the recording and window, whatever the unit
    assert [f.layout.shapes[0].y0 for f in moved] == [0.5, 3.5]
    assert plain.layout.shapes == ()
    data = [json.loads(pio.to_json(f, validate=False))["data"] for f in (plain, *moved)]
    assert data[0] == data[1] == data[2]  # the same heatmap, only the outline moved
    shared_heatmap_panel.clear()
    shared_heatmap_figure.clear()
