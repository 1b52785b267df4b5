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
