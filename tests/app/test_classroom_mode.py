"""AppTest: a locked classroom link (hide=1) draws no sidebar, navigation or picker on any page
it reaches, in-app moves keep its flags in the address, Explore draws only the pickers a view
reads, and Step-through's Play turns into Pause (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import classroom, state
from app.components.explore.step import PLAY_SECONDS, play_pace
from lstm_viz.models.checkpoints import models_dir
from tests.app.test_explore_page import save_model
from tests.lesson_models import save_char

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
PICKERS = ("radio", "selectbox", "number_input", "text_input", "slider", "expander")


def open_link(**query) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_hidden_tour_opens_explore_with_its_address_and_still_no_control():
    save_char(models_dir(), "english-char-lstm")
    at = open_link(page="learn", view="tour-cat", hide="1", present="1")
    assert "Learn" in at.title[0].value
    assert len(at.sidebar) == 0  # nothing drawn in the sidebar at all
    assert not at.get("selectbox") and not at.get("radio") and not at.get("expander")
    at.button(key="learn.tour.cat.next").click().run()
    at.button(key="learn.tour.cat.explore").click().run()
    assert not at.exception, at.exception
    assert "Explore" in at.title[0].value
    address = at.query_params
    assert address["hide"] == "1" and address["present"] == "1"
    assert address["page"] == "explore" and address["model"] == "trained/english-char-lstm"
    assert address["text"] == "The cat sat on the mat." and address["view"] == "unit"
    assert int(address["unit"]) == at.session_state["explore.trained/english-char-lstm.unit"]
    for kind in PICKERS:
        assert not at.get(kind), kind  # no input box, picker, units slider or Share
    assert len(at.sidebar) == 0
    assert at.get("vega_lite_chart")  # the unit's lines: the view the tour pointed at


def test_a_hidden_explore_link_shows_no_ordering_top_k_units_slider_or_share():
    save_model(hidden_size=80)  # wider than a heatmap shows: normally a units slider
    at = open_link(page="explore", model="trained/tiny", text="abc", hide="1")
    assert at.get("plotly_chart")  # the heatmaps
    for kind in PICKERS:
        assert not at.get(kind), kind
    words = " ".join(m.value for m in at.markdown)
    assert "slider" not in words.lower()


def test_an_ordinary_session_keeps_a_clean_address_and_its_pickers():
    save_model()
    at = open_link(page="explore", model="trained/tiny", text="abc")
    assert at.radio(key="explore.trained/tiny.view").value == "heatmaps"
    assert at.number_input(key="explore.trained/tiny.unit") is not None
    assert at.selectbox(key="explore.trained/tiny.order") is not None
    assert len(at.sidebar) > 0
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert (
        styles == f"<style>{classroom.RUNNING_CSS}{classroom.WRAP_CSS}</style>"
    )  # no hiding, no larger type


def test_predictions_draws_no_picker_that_changes_nothing():
    save_model()
    at = open_link(page="explore", model="trained/tiny", text="abc dea", view="predictions")
    assert at.radio(key="explore.trained/tiny.view").value == "predictions"
    keys = {w.key for kind in ("radio", "number_input", "selectbox") for w in at.get(kind)}
    assert "explore.trained/tiny.layer" not in keys and "explore.trained/tiny.unit" not in keys
    at.radio(key="explore.trained/tiny.view").set_value("unit").run()
    assert at.number_input(key="explore.trained/tiny.unit") is not None  # the unit view reads it


def test_play_turns_into_pause_and_back():
    save_model()
    at = open_link(page="explore", model="trained/tiny", text="abc deaf", view="step", step="2")
    play = at.button(key="explore.trained/tiny.play")
    assert play.label == "⏯ Play"
    play.click().run()
    assert not at.exception, at.exception
    assert at.session_state["explore.trained/tiny.playing"] is True
    assert at.button(key="explore.trained/tiny.play").label == "⏸ Pause"
    assert at.slider(key="explore.trained/tiny.step").value == 2  # a tick moves it, not a click
    at.button(key="explore.trained/tiny.play").click().run()
    assert at.session_state["explore.trained/tiny.playing"] is False
    assert at.button(key="explore.trained/tiny.play").label == "⏯ Play"
    at.button(key="explore.trained/tiny.step_next").click().run()
    assert at.slider(key="explore.trained/tiny.step").value == 3


def test_play_pace_keeps_long_walks_short():
    assert play_pace(10, None) == (0.6, 1)
    pause, stride = play_pace(5_000, None)
    assert pause >= 0.2 and 5_000 / stride * pause <= PLAY_SECONDS + 1
    assert play_pace(10, 0.0) == (0.0, 1)
    assert state.PLAY_DELAY == "explore.play_delay"


@pytest.mark.parametrize(
    "model, why",
    [
        ("shipped/no-such-model", "which is not on this server"),
        # a link made before a reload: the tab's uploads went with it
        ("uploaded/no-such-model", "an upload, and uploads last only for their browser tab"),
    ],
)
def test_a_missing_model_on_explore_is_announced_once(model, why):
    save_char(models_dir(), "english-char-lstm")
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.query_params["model"] = model
    at.run()
    assert not at.exception, at.exception
    notices = [e.value for kind in ("warning", "toast", "error") for e in at.get(kind)]
    (notice,) = [n for n in notices if "no-such-model" in n]  # not also in a toast
    assert notice.startswith(f"The link is for the model **{model}**, {why}")
    assert notice.endswith("showing **english-char-lstm** instead.")

    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.query_params.update(model=model, text="1 2 3 4 5")  # an upload's token ids, say
    at.run()
    (notice,) = [w.value for w in at.warning if "no-such-model" in w.value]
    assert notice.endswith("instead. It reads the link's text, written for the other model.")
    assert at.text_input(key="explore.text.trained/english-char-lstm").value == "1 2 3 4 5"


def test_a_classroom_tour_keeps_its_stop_in_the_address_so_a_reload_reopens_it():
    save_char(models_dir(), "english-char-lstm")
    at = open_link(page="learn", view="tour-cat", hide="1", present="1")
    for _ in range(2):
        at.button(key="learn.tour.cat.next").click().run()
    assert not at.exception, at.exception
    assert "Stop 3 of 5" in at.get("progress")[0].proto.text
    address = dict(at.query_params)
    # step counts from 0 and stop 1 has none, as the link builder writes it
    assert address == dict(page="learn", view="tour-cat", step="2", hide="1", present="1")
    reloaded = open_link(**address)  # a reload: a new session on the same address
    assert "Stop 3 of 5" in reloaded.get("progress")[0].proto.text
    for _ in range(2):
        reloaded.button(key="learn.tour.cat.back").click().run()
    assert "Stop 1 of 5" in reloaded.get("progress")[0].proto.text
    assert "step" not in reloaded.query_params  # stop 1: no step, as the builder writes it
    # an ordinary session keeps the address it was opened with
    plain = open_link(page="learn", view="tour-cat")
    plain.button(key="learn.tour.cat.next").click().run()
    assert "Stop 2 of 5" in plain.get("progress")[0].proto.text
    assert dict(plain.query_params) == {"page": "learn", "view": "tour-cat"}


def test_every_tour_keeps_its_stop_in_a_classroom_address(shipped_models):
    from app.components.learn.navigation import TOURS

    at = open_link(page="learn", view="tour-dates", step="1", present="1")  # controls shown
    for tour in TOURS:  # the student moves between tours and stops; the address follows
        at.radio(key=state.LEARN_TOUR).set_value(tour).run()
        assert not at.exception, at.exception
        if tour == "frames":  # one stop: no row, no step
            assert dict(at.query_params) == {"page": "learn", "view": "tour-frames", "present": "1"}
            continue
        at.button(key=f"learn.tour.{tour}.next").click().run()
        shown = at.get("progress")[0].proto.text
        address = dict(at.query_params)
        assert address["view"] == f"tour-{tour}" and address["present"] == "1", address
        reloaded = open_link(**address)
        assert reloaded.get("progress")[0].proto.text == shown, tour
        assert f"Stop {int(address['step']) + 1} of" in shown


def test_a_present_session_keeps_the_learn_section_in_the_address():
    """present=1 shows the controls: a student who moves from a tour to the exercises finds
    the exercises again after a reload; an ordinary session's address stays as it was."""
    save_char(models_dir(), "english-char-lstm")
    at = open_link(page="learn", view="tour-cat", step="1", present="1")
    at.segmented_control(key=state.LEARN_SECTION).set_value("exercises").run()
    assert not at.exception, at.exception
    assert dict(at.query_params) == {"page": "learn", "view": "exercises", "present": "1"}
    reloaded = open_link(**dict(at.query_params))
    assert reloaded.segmented_control(key=state.LEARN_SECTION).value == "exercises"
    plain = open_link(page="learn", view="tour-cat")
    plain.segmented_control(key=state.LEARN_SECTION).set_value("exercises").run()
    assert dict(plain.query_params) == {"page": "learn", "view": "tour-cat"}


def toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]


def test_a_link_says_once_what_it_asked_for_that_cannot_be_shown():
    save_model()  # 1 layer, 5 units
    at = open_link(model="trained/tiny", text="abc", unit="999", layer="7", step="-3")
    said = toasts(at)
    assert "This link's unit=999 is not in this model (units 0-4): showing unit 0." in said
    assert "This link's layer=7 is not in this model (layer 0 only): showing layer 0." in said
    assert "This link's step=-3 is not a whole number (0 or more): showing step 0." in said
    assert at.number_input(key="explore.trained/tiny.unit").value == 0
    at.run()  # once per session
    assert not toasts(at)

    at = open_link(model="trained/tiny", text="abc", view="step", step="40")  # 3 steps
    assert "This link's step=40 is not in this input (steps 0-2): showing step 2." in toasts(at)
    assert at.slider(key="explore.trained/tiny.step").value == 2
    at.slider(key="explore.trained/tiny.step").set_value(0).run()  # said once, not again
    assert not toasts(at) and at.slider(key="explore.trained/tiny.step").value == 0

    save_char(models_dir(), "english-char-lstm")  # a tour of 5 stops, from step=0 to 4
    at = open_link(page="learn", view="tour-cat", step="99")
    assert toasts(at) == ["This link's step=99 is not in this tour (steps 0-4): showing step 4."]
    assert at.get("progress")[0].proto.text == "Stop 5 of 5"
    at.run()
    assert not toasts(at)

    at = open_link(page="nosuchpage", text="x" * 6000)
    said = toasts(at)
    assert "This link's page 'nosuchpage' does not exist: showing Explore." in said
    assert "This link's text was cut to its first 2,000 characters." in said
    assert "Explore" in at.title[0].value
    at = open_link(page="[x](http://e.org)")  # user text, escaped
    assert toasts(at) == [
        "This link's page '\\[x\\](http\\:\u2060//e.org)' does not exist: showing Explore."
    ]
