"""The sidebar's model count covers every shipped folder, the other families included."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = str(ROOT / "app" / "streamlit_app.py")


def test_the_count_of_shipped_models_is_every_shipped_folder(shipped_models):
    folders = [p for p in (ROOT / "pretrained").iterdir() if (p / "config.json").is_file()]
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60).run()
    captions = [c.value for c in at.sidebar.caption]
    assert f"{len(folders)} shipped · 0 trained · 0 uploaded" in captions, captions


def test_a_long_model_name_is_written_out_under_the_box_that_cuts_it():
    """The select box shows about 30 characters of a label; a longer name (two runs that differ
    only near the end) is written out in full below it, escaped; a short one is not repeated."""
    from tests.app.test_explore_page import save_model

    long = "shakespeare-char-lstm-2x256-dropout0.3-seed6-*best*"
    save_model(long)
    save_model("tiny")
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.session_state["sidebar.model"] = f"trained/{long}"
    at.run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.sidebar.caption]
    assert "shakespeare-char-lstm-2x256-dropout0.3-seed6-\\*best\\*" in captions, captions
    at.session_state["sidebar.model"] = "trained/tiny"
    at.run()
    assert not any("tiny" in c.value for c in at.sidebar.caption)
