"""AppTest and unit tests for four Train-page problems a new user met: Enter in a field started a
run; the ETA went past the time limit; the banner's best accuracy and the probe's differed; and
one's own model could not be deleted after a page reload on a server only this computer reaches.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit import config

from app import state
from app.components.train.owners import local_address
from app.components.train.progress import progress_text, shown_fraction
from app.components.train.run import best_text, time_limit_message
from lstm_viz.models.checkpoints import list_checkpoints, models_dir
from lstm_viz.quantities import format_metric
from tests.app.test_train_page import TINY, fill, submit, train_page
from tests.broken_folders import save_tiny

APP = Path(__file__).resolve().parents[2] / "app"


@contextmanager
def server_address(address: str | None):
    """Run with server.address set as if given on the command line (None: unset, Streamlit's
    default, which binds every interface); the previous value is restored afterwards."""
    config.get_option("server.address")  # reads the config files first, when nothing has yet
    option = config._config_options["server.address"]
    before, where = option.value, option.where_defined
    config.set_option("server.address", address)
    try:
        yield
    finally:
        config.set_option("server.address", before, where)


# ---- 1. Enter confirms a value, never submits ---------------------------------------------------
def test_every_form_in_the_app_submits_only_on_its_button():
    """Every st.form in app/ passes enter_to_submit=False (a form added later included)."""
    calls = [
        (path, match)
        for path in APP.rglob("*.py")
        for match in re.findall(r"st\.form\([^)]*\)", path.read_text(encoding="utf-8"))
    ]
    assert len(calls) >= 3, calls
    for path, call in calls:
        assert "enter_to_submit=False" in call, f"{path}: {call}"


def test_the_train_pages_forms_say_enter_does_not_submit():
    at = train_page()
    forms = at.get("form") or list(at.main.form)
    assert len(forms) == 3, forms  # the main form, the encoder-decoder's, the autoencoder's
    assert all(form.proto.form.enter_to_submit is False for form in forms)
    assert all(form.proto.form.clear_on_submit is False for form in forms)


# ---- 2. the ETA never passes the time limit -----------------------------------------------------
PROGRESS = {  # the user's run: 200 epochs of 256 units, 122 steps done in 7.3 s
    "step": 122,
    "total_steps": 12_600,
    "fraction": 122 / 12_600,
    "loss": 0.41,
    "tokens_per_second": 52_000.0,
    "elapsed": 6.0,
    "eta_seconds": 6.0 / 122 * (12_600 - 122),  # 613.7 s: 10:14
}


def test_the_eta_stops_at_the_time_limit():
    text = progress_text(PROGRESS, "tokens", limit=90)
    assert text.endswith("ETA 1:24 (stops at the 1:30 time limit)"), text
    assert shown_fraction(PROGRESS, 90) == pytest.approx(6 / 90)  # the bar follows the time
    # no limit, or a limit the run ends before: the steps' ETA, as before
    assert progress_text(PROGRESS, "tokens").endswith("ETA 10:14")
    assert progress_text(PROGRESS, "tokens", limit=3600).endswith("ETA 10:14")
    assert shown_fraction(PROGRESS, 3600) == PROGRESS["fraction"]
    late = {**PROGRESS, "elapsed": 95.0}  # past the limit, validating once more: never negative
    assert progress_text(late, "tokens", limit=90).endswith(
        "ETA 0:00 (stops at the 1:30 time limit)"
    )
    assert shown_fraction(late, 90) == 1.0
    assert "took 0:06" in progress_text(PROGRESS, "tokens", done=True, limit=90)


def test_a_time_limited_run_never_claims_100_percent_of_its_steps():
    record = {"name": "m", "steps": 996, "progress": {"total_steps": 1000}, "saved": True}
    assert "of 1,000 planned (99%)" in time_limit_message(record, "996 steps in 1:30", "best")


# ---- 3. the banner's best and the probe's last validation ---------------------------------------
def history(*values: float) -> list[dict]:
    best, rows = -1.0, []
    for step, value in enumerate(values, start=1):
        rows.append({"step": step * 10, "val_metric": value, "best": value > best})
        best = max(best, value)
    return rows


def test_the_banner_names_the_best_and_the_last_validation():
    record = {"metric": "accuracy", "saved": True, "best_metric": 1.0}
    record["history"] = history(0.9, 1.0, 0.9996)
    text = best_text(record)
    assert "**100.0%**" in text  # a perfect score is 100.0%
    assert "at step 20; the last validation (step 30): 99.9%" in text
    record.update(best_metric=0.99996, history=history(0.9, 0.99996))
    text = best_text(record)
    assert "**99.9%**" in text and "100.0%" not in text  # below 1: never 100.0%
    assert "last validation" not in text  # the last one is the best one
    record.update(best_metric=1.0, history=history(0.9, 1.0, 1.0))  # the last equals the best
    assert best_text(record).endswith("**100.0%** (higher is better) at step 20")


# ---- 2 and 3 in the page: one tiny run ----------------------------------------------------------
def test_a_run_keeps_its_time_limit_and_its_banner_matches_the_probe():
    at = train_page()
    at.text_input(key="train.name").set_value("tiny-limit")
    fill(at, {**TINY, "train.max_seconds": 60, "train.evals_per_epoch": 3})
    submit(at)
    assert [p.name for p in list_checkpoints(models_dir())] == ["tiny-limit"]
    run = at.session_state[state.TRAIN_RUN]
    assert run["max_seconds"] == 60  # what the live bar's ETA is capped by
    banner = at.success[0].value
    kept = [h for h in run["history"] if h["best"]][-1]
    assert f"(higher is better) at step {kept['step']:,}" in banner
    last = format_metric("accuracy", run["history"][-1]["val_metric"])
    caption = next(c.value for c in at.caption if "(last: " in c.value)
    assert f"(last: {last})" in caption  # the probe's last validation ...
    if last != format_metric("accuracy", run["best_metric"]):  # ... is named in the banner
        assert f"the last validation (step {run['history'][-1]['step']:,}): {last}" in banner


# ---- 4. deleting a model after a reload, on a server only this computer reaches -----------------
@pytest.mark.parametrize(
    "address, local",
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        (None, False),  # unset: Streamlit binds every interface (0.0.0.0 or ::)
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("my-laptop.local", False),
        ("unix:///tmp/app.sock", False),
    ],
)
def test_only_a_loopback_address_counts_as_this_computer(address, local):
    before = config.get_option("server.address")
    with server_address(address):
        assert (local_address() is not None) is local
    assert config.get_option("server.address") == before  # restored for the next test


def theirs_page():
    save_tiny(models_dir() / "theirs", {"task": {"name": "toy"}, "owner": "an-earlier-session"})
    at = train_page()
    at.selectbox(key="train.models.pick").select("theirs").run()
    assert not at.exception, at.exception
    return at


def test_on_a_loopback_server_an_earlier_sessions_model_can_be_deleted():
    with server_address("127.0.0.1"):
        at = theirs_page()
        assert not at.checkbox(key="train.models.confirm.theirs").disabled
        assert at.button(key="train.models.delete").disabled  # the confirmation comes first
        assert any("only on this computer (127.0.0.1)" in c.value for c in at.caption)
        assert not any("LSTM_VIZ_ALLOW_DELETE_OTHERS=1" in c.value for c in at.caption)
        at.checkbox(key="train.models.confirm.theirs").check().run()
        at.button(key="train.models.delete").click().run()
        assert not at.exception, at.exception
    assert not (models_dir() / "theirs").exists()


@pytest.mark.parametrize("address", [None, "0.0.0.0"])
def test_on_a_server_others_reach_the_rule_stays(address):
    with server_address(address):
        at = theirs_page()
        assert at.checkbox(key="train.models.confirm.theirs").disabled
        assert at.button(key="train.models.delete").disabled
        assert any("LSTM_VIZ_ALLOW_DELETE_OTHERS=1" in c.value for c in at.caption)
        assert not any("only on this computer" in c.value for c in at.caption)
    assert (models_dir() / "theirs").exists()
