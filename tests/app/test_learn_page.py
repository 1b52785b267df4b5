"""AppTest: the Learn page shows exactly what a recorded step of the same nn.LSTM computes;
classroom links open, hide and enlarge; tours and exercises answer from real recordings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from app import classroom, state
from lstm_viz import record
from lstm_viz.learn.cell_step import CellParams, RNNParams, lstm_step
from lstm_viz.learn.memory_story import STORY_LSTM, STORY_RNN, memory_story, signal_then_gap
from lstm_viz.models.checkpoints import models_dir
from tests.app.test_explore_page import decode
from tests.lesson_models import COUNTER_UNIT, save_char, save_counter, save_word

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
CELL = "learn.cell"
NAMES = ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")


def open_learn(query: dict | None = None, **session_state) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in session_state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    if not query:
        at.switch_page("views/learn.py")
        at.run()
        assert not at.exception, at.exception
    assert "Learn" in at.title[0].value
    return at


def section(at: AppTest, name: str) -> AppTest:
    at.session_state["learn.section"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def diagram_values(at: AppTest) -> dict[str, float]:
    svg = next(m.value for m in at.markdown if "lv-playground" in m.value)
    found = dict(re.findall(r'data-name="(\w+)" data-value="([^"]*)"', svg))
    return {k: float(v) for k, v in found.items() if v}


def latex_value(at: AppTest, gate: str) -> float:
    for element in at.latex:
        text = element.value.strip("$\n ")
        if text.startswith({"forget": "f =", "input": "i =", "candidate": "g =",
                            "output": "o =", "cell": "c =", "hidden": "h = o"}[gate]):  # fmt: skip
            return float(re.findall(r"\\mathbf\{([-\d.]+)\}", text)[-1])
    raise AssertionError(f"no equation for {gate}")


def test_learn_page_numbers_equal_a_recorded_step_of_the_same_cell():
    at = open_learn()
    settings = {
        "x": -0.7,
        "h_prev": 0.4,
        "c_prev": -1.3,
        "forget_x": 0.8,
        "forget_h": -1.5,
        "forget_bias": 0.6,
        "input_x": -2.1,
        "input_h": 1.2,
        "input_bias": 0.3,
        "candidate_x": 1.7,
        "candidate_h": -0.9,
        "candidate_bias": -0.4,
        "output_x": 0.5,
        "output_h": 2.2,
        "output_bias": -1.0,
    }
    before = diagram_values(at)
    for name, value in settings.items():
        at.slider(key=f"{CELL}.{name}").set_value(value)
    at.run()
    assert not at.exception, at.exception
    shown = diagram_values(at)
    assert shown != before  # the sliders moved the numbers

    params = CellParams(**{k: v for k, v in settings.items() if k in CellParams.names()})
    (_, _), trace = record(
        params.to_lstm(),
        torch.tensor([[[settings["x"]]]]),
        initial_state=(
            torch.tensor([[[settings["h_prev"]]]]),
            torch.tensor([[[settings["c_prev"]]]]),
        ),
    )
    for name in NAMES:
        assert shown[name] == pytest.approx(trace[name].item(), abs=1e-5), name
    assert shown["cell_prev"] == settings["c_prev"] and shown["x"] == settings["x"]
    for gate, name in zip(("forget", "input", "candidate", "output", "cell", "hidden"),
                          ("forget_gate", "input_gate", "candidate", "output_gate", "cell",
                           "hidden"), strict=True):  # fmt: skip
        assert latex_value(at, gate) == pytest.approx(trace[name].item(), abs=6e-4), gate
    forget = trace.forget_gate.item()
    assert any(f"keeps {100 * forget:.0f}% of its old memory" in m.value for m in at.markdown)

    # The vanilla RNN beside it reads the same x and h_prev.
    at.slider(key=f"{CELL}.rnn.h").set_value(1.4)
    at.slider(key=f"{CELL}.rnn.bias").set_value(-0.3).run()
    _, rnn = record(
        RNNParams(1.0, 1.4, -0.3).to_rnn(),
        torch.tensor([[[settings["x"]]]]),
        initial_state=torch.tensor([[[settings["h_prev"]]]]),
    )
    metric = at.metric[0]
    assert float(metric.value) == pytest.approx(rnn.hidden.item(), abs=6e-4)

    at.button(key=f"{CELL}.reset").click().run()
    assert diagram_values(at) == before


def test_memory_story_chart_equals_the_story():
    at = open_learn()
    at.slider(key="learn.story.gap").set_value(12)
    at.slider(key="learn.story.bias").set_value(4.0).run()
    at.slider(key="learn.story.step").set_value(5).run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    want = memory_story(
        signal_then_gap(12),
        CellParams(**{**STORY_LSTM.__dict__, "forget_bias": 4.0}),
        STORY_RNN,
    )
    lstm_memory, rnn_memory, lstm_influence, _ = (
        decode(trace["y"])
        for trace in sorted(spec["data"], key=lambda t: (t.get("xaxis", "x"), t["name"]))
    )
    np.testing.assert_allclose(lstm_memory, want.lstm_cell[:6], atol=1e-9)
    np.testing.assert_allclose(rnn_memory, want.rnn_hidden[:6], atol=1e-9)
    np.testing.assert_allclose(lstm_influence, np.abs(want.lstm_influence[:6]), rtol=1e-9)
    assert any(m.value.startswith("**Step 5.**") for m in at.markdown)


# ---- Classroom mode -------------------------------------------------------------------------


def test_a_classroom_link_opens_learn_with_hidden_controls_and_they_stay_hidden():
    at = open_learn({"page": "learn", "hide": "1", "view": "cell"})
    assert at.session_state[state.LINK] == {"page": "learn", "view": "cell", "hide": True}
    styles = [h.proto.body for h in at.get("html")]
    assert any('[data-testid="stSidebar"]' in s and "display: none" in s for s in styles)
    assert not [s for s in at.slider if s.key.startswith(CELL)]  # no playground sliders
    assert diagram_values(at)["forget_gate"] > 0  # the cell is still there
    at.slider(key="learn.story.step").set_value(3).run()  # an interaction: still hidden
    assert not at.exception, at.exception
    assert any(classroom.HIDE_CSS in h.proto.body for h in at.get("html"))
    assert not [s for s in at.slider if s.key.startswith(CELL)]
    assert not at.get("button_group")  # the section picker is a control too


def test_a_link_selects_model_and_text_and_opens_explore(tmp_path):
    save_char(models_dir(), "linked")
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.query_params.update(
        {"page": "explore", "model": "trained/linked", "text": "a cat", "present": "1"}
    )
    at.run()
    assert not at.exception, at.exception
    assert "Explore" in at.title[0].value
    assert at.session_state[state.CHOICES]["model"] == "trained/linked"
    assert at.text_input(key="explore.text.trained/linked").value == "a cat"  # handed, taken
    assert at.session_state[state.EXPLORE_INPUT] is None
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert "font-size: 1.5rem" in styles and classroom.HIDE_CSS not in styles
    at.run()  # later runs: read once, not again
    assert at.session_state[state.LINK]["present"] is True


def test_a_bad_link_is_ignored():
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.query_params.update({"page": "nowhere", "unit": "-3", "hide": "maybe"})
    at.run()
    assert not at.exception, at.exception
    assert "Explore" in at.title[0].value
    assert at.session_state[state.LINK] == {"hide": False}


def test_link_builder_writes_the_link():
    at = section(open_learn(), "link")
    at.selectbox(key="learn.link.view").set_value("tour-agreement")
    at.run()
    at.number_input(key="learn.link.stop").set_value(3)
    at.checkbox(key="learn.link.hide").check()
    at.checkbox(key="learn.link.present").check().run()
    assert not at.exception, at.exception
    assert at.code[0].value.endswith("/?page=learn&view=tour-agreement&step=2&hide=1&present=1")


def test_every_tour_has_a_link_and_the_builder_offers_it():
    from app.components.learn.link_builder import moved
    from app.components.learn.navigation import TOURS

    at = open_learn({"page": "learn", "view": "tour-ecg"})  # was ignored: opened the cell
    assert at.session_state["learn.section"] == "tours"
    assert at.session_state[state.LEARN_TOUR] == "ecg"
    at = section(at, "link")
    views = at.selectbox(key="learn.link.view").options
    assert all(any(f"Tour: {label}" == v for v in views) for label in TOURS.values()), views
    at.selectbox(key="learn.link.view").set_value("tour-dates").run()
    at.number_input(key="learn.link.stop").set_value(2).run()
    assert at.code[0].value.endswith("/?page=learn&view=tour-dates&step=1")
    at.selectbox(key="learn.link.view").set_value("tour-frames").run()  # one stop: no picker
    assert not [n for n in at.number_input if n.key == "learn.link.stop"]
    assert (moved(0), moved(1), moved(3)) == (
        "no slider moved",
        "1 slider moved",
        "3 sliders moved",
    )


def test_a_link_to_this_computer_only_is_flagged():
    from app.components.learn.link_builder import local_only

    assert local_only("http://127.0.0.1:8501/?page=learn")
    assert local_only("http://localhost:8501/?page=learn") and local_only("http://[::1]:8501/")
    assert not local_only("http://192.168.1.20:8501/?page=learn")
    assert not local_only("/?page=learn")  # relative: the browser's own host


# ---- Tours -----------------------------------------------------------------------------------


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    root = tmp_path / "pretrained"
    root.mkdir()
    monkeypatch.setenv("LSTM_VIZ_PRETRAINED_DIR", str(root))
    return root


def test_cat_tour_walks_and_opens_in_explore(shipped):
    save_char(shipped, "english-char-lstm")
    at = section(open_learn(), "tours")
    assert "Stop 1 of" in at.get("progress")[0].proto.text
    at.button(key="learn.tour.cat.next").click().run()
    at.button(key="learn.tour.cat.next").click().run()
    assert not at.exception, at.exception
    assert "Stop 3 of" in at.get("progress")[0].proto.text
    assert any('What is written at "mat"' in m.value for m in at.markdown)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    unit = spec["layout"]["meta"]["unit"]
    assert any(f"Unit **{unit}**" in m.value or f"unit **{unit}**" in m.value for m in at.markdown)
    at.button(key="learn.tour.cat.explore").click().run()
    assert not at.exception, at.exception
    assert "Explore" in at.title[0].value
    assert at.session_state[state.CHOICES]["model"] == "shipped/english-char-lstm"
    panel = "explore.shipped/english-char-lstm"  # Explore took the unit: its unit view
    assert at.radio(key=f"{panel}.view").value == "unit"
    assert at.number_input(key=f"{panel}.unit").value == unit
    assert at.radio(key=f"{panel}.layer").value == 1
    assert at.session_state[state.EXPLORE_UNIT] is None


def test_agreement_tour_uses_validation_correlations(shipped):
    from lstm_viz.analysis.scales import Scales, write_scales

    folder = save_word(shipped, "agreement-word-lstm")
    write_scales(folder, Scales({"cell": [[2.5]]}, steps=88))
    at = open_learn({"page": "learn", "view": "tour-agreement", "step": "2"})
    assert not at.exception, at.exception
    assert "Stop 3 of" in at.get("progress")[0].proto.text
    text = " ".join(m.value for m in at.markdown)
    assert "The unit that remembers the number" in text
    assert re.search(r"r = [+-]\d\.\d\d", text)
    # Issue 16: the cell heatmap of "The subject" uses the model's stored range, and says so
    at.button(key="learn.tour.agreement.back").click().run()
    assert not at.exception, at.exception
    heat = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert heat["zmax"] == 2.5 and heat["colorbar"]["title"]["text"].endswith("±2.5<br>(model)")
    assert any("fixed for this model: ±2.5" in c.value for c in at.caption)
    svg = next(m.value for m in at.markdown if "lv-cell-diagram" in m.value)
    assert 'data-cell-bound="2.5"' in svg and "c ±2.5 (model)" in svg


def test_a_tour_names_its_models_as_the_sidebar_does(shipped):
    save_char(shipped, "english-char-lstm")
    save_char(models_dir(), "other-char-lstm")  # a second model that fits: a picker
    at = section(open_learn(), "tours")
    picker = at.selectbox(key="learn.tour.cat.model")
    assert picker.value == "shipped/english-char-lstm"
    assert picker.options == ["📦 Shipped · english-char-lstm", "🏋️ Trained · other-char-lstm"]
    assert set(picker.options) <= set(at.sidebar.selectbox(key=state.MODEL_PICKER).options)
    picker.set_value("trained/other-char-lstm").run()  # the shipped one is here: not "missing"
    (note,) = [c.value for c in at.caption if c.value.startswith("Written for")]
    assert "english-char-lstm, which is here too" in note and "Trained · other-char-lstm" in note


def test_tours_say_which_model_they_need(shipped):
    at = section(open_learn(), "tours")
    assert "shipped/english-char-lstm" in at.info[0].value
    at.session_state["learn.tour.which"] = "agreement"
    at.run()
    assert "shipped/agreement-word-lstm" in at.info[0].value


# ---- Exercises -----------------------------------------------------------------------------


def test_memory_exercise_right_and_wrong():
    at = section(open_learn(), "exercises")
    at.button(key="learn.exercise.memory.check").click().run()
    assert at.error[0].icon == "❌" and "50.0%" in at.error[0].value  # sigmoid(0); one mark
    at.slider(key="learn.exercise.memory.bias").set_value(2.5).run()
    at.button(key="learn.exercise.memory.check").click().run()
    assert not at.error and "Yes!" in at.success[0].value


def test_depth_exercise_right_and_wrong():
    save_counter(models_dir(), "counter")
    at = section(open_learn(), "exercises")
    model = "trained/counter"
    wrong = (COUNTER_UNIT + 1) % 5
    at.number_input(key=f"learn.exercise.depth.unit.{model}").set_value(wrong).run()
    at.button(key=f"learn.exercise.depth.check.{model}").click().run()
    assert not at.exception, at.exception
    assert at.error[0].icon == "❌" and "Hint" in at.error[0].value  # one mark
    at.number_input(key=f"learn.exercise.depth.unit.{model}").set_value(COUNTER_UNIT).run()
    at.button(key=f"learn.exercise.depth.check.{model}").click().run()
    assert "Yes!" in at.success[0].value and "r = +1.00" in at.success[0].value
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["meta"]["quantity"] == "cell"
    # Issue 16: the caption names the range the colour bar draws (this input's: no scales.json)
    bar = spec["data"][0]["colorbar"]["title"]["text"]
    assert bar.endswith("(this input)") and any(
        "no fixed scale for c" in c.value for c in at.caption
    )


def test_depth_exercise_without_a_bracket_model_says_so():
    at = section(open_learn(), "exercises")
    assert any("shipped/brackets-lstm" in i.value for i in at.info)


def test_depth_exercise_on_a_gru_uses_its_hidden_state():
    from lstm_viz.learn.lessons import unit_correlations
    from lstm_viz.models.checkpoints import load_checkpoint
    from lstm_viz.tasks import make_task
    from tests.lesson_models import DYCK, save_dyck

    path = save_dyck(models_dir(), "dyck-gru")
    at = section(open_learn(), "exercises")
    model = "trained/dyck-gru"
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["meta"]["quantity"] == (
        "hidden"
    )
    at.number_input(key=f"learn.exercise.depth.unit.{model}").set_value(1).run()
    at.button(key=f"learn.exercise.depth.check.{model}").click().run()
    assert not at.exception, at.exception
    r = unit_correlations(load_checkpoint(path).model, make_task("dyck", **DYCK), "hidden")
    shown = at.success[0].value if at.success else at.error[0].value
    assert f"r = {r[0, 0, 1]:+.2f}" in shown


def test_depth_exercise_on_a_wide_layer_pages_through_units():
    save_counter(models_dir(), "wide", hidden_size=70)
    at = section(open_learn(), "exercises")
    model = "trained/wide"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert (
        list(decode(spec["data"][0]["y"]))[:2] == [0, 1] and len(decode(spec["data"][0]["y"])) == 64
    )
    at.select_slider(key=f"learn.exercise.depth.units.{model}").set_value(64).run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert list(decode(spec["data"][0]["y"])) == list(range(6, 70))  # the last window is full


def test_a_link_can_carry_the_cell_and_the_builder_writes_it():
    at = open_learn({"page": "learn", "view": "cell", "cell": "forget_bias:4,x:-0.5,c_prev:9"})
    assert at.slider(key=f"{CELL}.forget_bias").value == 4.0
    assert at.slider(key=f"{CELL}.x").value == -0.5
    assert at.slider(key=f"{CELL}.c_prev").value == 3.0  # clipped to the slider's range
    said = [t.value for t in at.toast]
    assert said == ["This link's cell=c_prev:9 is outside its slider (-3 to 3): set to 3."]
    shown = diagram_values(at)
    step = lstm_step(-0.5, 0.0, 3.0, params=CellParams(forget_bias=4.0))
    assert shown["forget_gate"] == pytest.approx(step.value("forget_gate"), abs=1e-5)
    at.slider(key=f"{CELL}.x").set_value(0.2).run()  # applied once: the student may move on
    assert at.slider(key=f"{CELL}.x").value == 0.2

    at = section(at, "link")
    at.checkbox(key="learn.link.with_cell").check().run()
    assert not at.exception, at.exception
    assert at.code[0].value.endswith(
        "/?page=learn&view=cell&cell=x%3A0.2%2Cc_prev%3A3%2Cforget_bias%3A4"
    )


def test_a_link_to_a_missing_model_says_so():
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.query_params.update({"page": "learn", "model": "shipped/not-here"})
    at.run()
    assert not at.exception, at.exception
    assert "shipped/not-here" in at.toast[0].value and "not on this server" in at.toast[0].value
    shown = at.session_state[state.CHOICES]["model"]  # and names the model shown instead
    assert (f"showing **{shown.split('/')[-1]}** instead" if shown else "no model is shown") in (
        at.toast[0].value
    )
    assert at.session_state[state.SELECT_MODEL] is None
    at.run()
    assert not at.toast  # once


def test_the_moving_shapes_stop_opens_explore_at_its_step_and_channel(shipped_models):
    at = open_learn(**{state.LEARN_SECTION: "tours", state.LEARN_TOUR: "frames"})
    text = " ".join(m.value for m in at.markdown)
    said = re.search(r"Channel (\d+)'s forget gate .* At step (\d+) it keeps", text)
    assert said, text  # the shipped model keeps memory ahead of the shape (tests/unit/learn)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any(t.startswith(f"Forget gate at step {said[2]}, layer") for t in titles), titles
    at.button(key="learn.tour.frames.explore").click().run()
    assert not at.exception, at.exception
    panel = "explore.shipped/moving-shapes-convlstm"
    assert at.number_input(key=f"{panel}.channel").value == int(said[1])
    assert at.slider(key=f"{panel}.frame_step").value == int(said[2])
