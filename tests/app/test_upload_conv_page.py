"""AppTest: the Upload page accepts a Keras ConvLSTM2D file (two stacked layers): it records
them on uploaded frames in a child process, checks them against Keras (agrees), and draws the
gate maps of the recording."""

from __future__ import annotations

import json
from importlib.util import find_spec

import numpy as np
import pytest

from tests.app.test_upload_page import upload, upload_page

pytestmark = pytest.mark.skipif(find_spec("keras") is None, reason="needs keras")


def test_a_convlstm_file_is_recorded_checked_and_drawn(convlstm_keras_files):
    tmp_path = convlstm_keras_files
    at = upload(upload_page(), "stacked.keras", (tmp_path / "stacked.keras").read_bytes())
    assert not at.exception, at.exception
    digest = at.session_state["upload.imported"]["digest"][:12]
    frames = at.get("file_uploader")[1]
    frames.upload("frames.npy", (tmp_path / "frames.npy").read_bytes()).run()
    assert not at.get("plotly_chart")  # nothing is recorded before the button
    at.button(key=f"upload.conv.{digest}.record").click().run(timeout=300)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    text = "\n".join(m.value for m in at.markdown)
    assert "recorded c1..c2 (2 × ConvLSTM 2 → 3 channels, kernel 3×2): 5 frames" in text
    assert "agrees" in text and "Keras" in text
    at.slider(key=f"upload.conv.{digest}.step").set_value(4).run()
    [chart] = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    assert "step 4" in spec["layout"]["title"]["text"]
    assert sum(d["type"] == "heatmap" for d in spec["data"]) == 6
    assert np.load(tmp_path / "frames.npy").shape == (5, 6, 7, 2)
