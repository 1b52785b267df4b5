"""AppTest: a Keras .h5 whose model fixes its input length (Input((T, 1))): the Upload page's
default Steps is T and says so, and the Keras check agrees on it; another length gets one plain
line (what Keras expects, what to set), no "nan" and no "weights-only" caption."""

from __future__ import annotations

import os

import pytest

from app import state
from tests.app.test_upload_page import upload, upload_page

T = 6


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory) -> bytes:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras runs on its torch backend here (KERAS_BACKEND=torch)")
    model = keras.Sequential([keras.Input((T, 1)), keras.layers.LSTM(4), keras.layers.Dense(1)])
    path = tmp_path_factory.mktemp("keras") / "fixed.h5"
    model.save(path)
    return path.read_bytes()


def texts(at) -> list[str]:
    return [e.value for kind in ("success", "info", "error", "caption") for e in at.get(kind)]


def test_a_fixed_length_is_the_default_and_a_mismatch_is_said_plainly(keras_file):
    at = upload(upload_page(), "fixed.h5", keras_file)
    steps = next(n for n in at.number_input if n.key.endswith(".steps"))
    assert steps.value == T
    assert any(f"The file fixes {T} steps" in c.value for c in at.caption)
    runtime = [s.value for s in at.success if "file's runtime" in s.value]
    assert runtime and "agrees" in runtime[0], texts(at)
    assert at.session_state[state.UPLOAD_RECORDING]["result"].trace.num_steps == T

    steps.set_value(T + 2).run()
    assert not at.exception, at.exception
    shown = " ".join(texts(at))
    line = next(i.value for i in at.info if "file's runtime" in i.value)
    assert f"the model expects {T} steps; this input has {T + 2}" in line
    assert f"to {T}" in line and "nan" not in line
    assert "nan" not in shown and "weights-only" not in shown
    assert "did not run on this input" in shown
