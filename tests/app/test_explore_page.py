"""AppTest: the Explore page shows exactly what record() records, for the text typed."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from app import state
from app.resources import MAX_EXPLORE_STEPS
from lstm_viz import record
from lstm_viz.models.checkpoints import load_checkpoint, models_dir, save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab
from lstm_viz.quantities import display_order

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TEXT_KEY = "explore.text.trained/{name}"
PANEL = "explore.trained/{name}"


def save_model(name: str = "tiny", cell: str = "lstm", **config) -> Path:
    """A small random char model over 'a'..'h' and ' ', '.' (seeded: same weights every run)."""
    torch.manual_seed(0)
    vocab = Vocab(("<pad>", "<unk>", *"abcdefgh .T"))
    settings = dict(
        cell=cell, vocab_size=len(vocab), embedding_size=4, hidden_size=5, num_outputs=len(vocab)
    )
    model = SequenceModel(ModelConfig(**{**settings, **config}))
    task = {"name": "text-user", "title": "Toy text", "params": {}}
    return save_checkpoint(models_dir() / name, model, vocab, {"task": task})


def decode(value):
    """Plotly 6+ writes numpy arrays as {"dtype", "bdata" (base64), "shape"}; lists stay lists."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = [int(s) for s in str(value.get("shape", len(array))).split(",")]
        return array.reshape(shape)
    return np.asarray(value)


def charts(at: AppTest) -> dict[str, dict]:
    """quantity -> the heatmap trace of its plotly spec, keyed by the figure's meta."""
    import json

    found = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        found[spec["layout"]["meta"]["quantity"]] = spec
    return found


def open_explore(**session_state) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    for key, value in session_state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def expected(path: Path, text: str, layer: int = 0, direction: int = 0):
    checkpoint = load_checkpoint(path)
    vocab = checkpoint.vocab
    tokens = vocab.tokenize(text)
    _, trace = record(checkpoint.model, torch.tensor([vocab.encode(tokens)]), tokens=[tokens])
    return {n: trace[n][layer, direction, 0].numpy().T for n in trace.names}, tokens


def assert_heatmaps_equal(at: AppTest, want: dict[str, np.ndarray], tokens: list[str]) -> None:
    shown = charts(at)
    assert list(shown) == display_order(list(want))
    for name, values in want.items():
        heat = shown[name]["data"][0]
        z = decode(heat["z"])
        assert z.dtype == np.float32
        np.testing.assert_allclose(z, values, rtol=0, atol=1e-6, err_msg=name)
        assert len(heat["x"]) == len(tokens)
        assert shown[name]["layout"]["meta"]["note"] == ""


def test_heatmaps_equal_the_recorded_trace_and_follow_text_and_layer():
    path = save_model(num_layers=2)
    at = open_explore()
    assert "Explore" in at.title[0].value
    text_box = at.text_input(key=TEXT_KEY.format(name="tiny"))
    assert text_box.value  # prefilled with a default input

    text_box.set_value("abc deaf.").run()
    assert not at.exception, at.exception
    want, tokens = expected(path, "abc deaf.")
    assert_heatmaps_equal(at, want, tokens)
    forget = charts(at)["forget_gate"]
    assert forget["layout"]["xaxis"]["ticktext"][:4] == ["a", "b", "c", "␣"]
    assert (
        "token" in forget["data"][0]["hovertemplate"]
        or "%{x}" in forget["data"][0]["hovertemplate"]
    )

    at.text_input(key=TEXT_KEY.format(name="tiny")).set_value("hhh.").run()
    assert not at.exception, at.exception
    want, tokens = expected(path, "hhh.")
    assert_heatmaps_equal(at, want, tokens)

    at.radio(key=PANEL.format(name="tiny") + ".layer").set_value(1).run()
    assert not at.exception, at.exception
    want_layer1, _ = expected(path, "hhh.", layer=1)
    assert_heatmaps_equal(at, want_layer1, tokens)
    assert not np.allclose(want_layer1["hidden"], want["hidden"])  # the layer really changed


def test_unknown_characters_are_marked_not_dropped():
    save_model()
    at = open_explore()
    at.text_input(key=TEXT_KEY.format(name="tiny")).set_value("ab!c").run()
    assert not at.exception, at.exception
    chips = next(m.value for m in at.markdown if "lv-tokens" in m.value)
    assert chips.count('class="lv-token"') == 3
    assert chips.count("lv-unknown") == 1 and "read as &lt;unk&gt;" in chips
    assert "!" in chips
    shown = [w.value.replace("\\", "") for w in at.warning]  # as markdown renders it
    assert any("read as <unk>: '!'" in w for w in shown)
    assert len(decode(charts(at)["cell"]["data"][0]["z"])[0]) == 4  # '!' is a step, as <unk>


def test_bidirectional_gru_has_its_own_quantities_and_a_direction_picker():
    path = save_model("gru", cell="gru", bidirectional=True, objective="step_class")
    at = open_explore()
    at.text_input(key=TEXT_KEY.format(name="gru")).set_value("bad cafe").run()
    assert not at.exception, at.exception
    at.radio(key=PANEL.format(name="gru") + ".direction").set_value(1).run()
    assert not at.exception, at.exception
    want, tokens = expected(path, "bad cafe", direction=1)
    assert set(want) == {"reset_gate", "update_gate", "new_gate", "hidden"}
    assert_heatmaps_equal(at, want, tokens)


def test_too_long_or_empty_input_is_a_clear_error():
    save_model()
    at = open_explore()
    at.text_input(key=TEXT_KEY.format(name="tiny")).set_value("a" * (MAX_EXPLORE_STEPS + 1)).run()
    assert not at.exception, at.exception
    assert f"at most {MAX_EXPLORE_STEPS:,}" in at.error[0].value
    assert f"has {MAX_EXPLORE_STEPS + 1:,} characters (one step each)" in at.error[0].value
    assert not at.get("plotly_chart")
    at.text_input(key=TEXT_KEY.format(name="tiny")).set_value("").run()
    assert "the input is empty: type some text (the model reads characters)" in at.error[0].value


def test_long_input_is_averaged_and_the_page_says_so():
    save_model()
    at = open_explore()
    at.text_input(key=TEXT_KEY.format(name="tiny")).set_value("abcdefgh " * 100).run()
    assert not at.exception, at.exception
    assert any("mean over windows of 3 steps" in i.value for i in at.info)
    z = decode(charts(at)["input_gate"]["data"][0]["z"])
    assert z.shape == (5, 300)


def test_text_handed_over_by_another_page_is_shown():
    path = save_model()
    at = open_explore(**{state.EXPLORE_INPUT: "fade bad."})
    assert at.text_input(key=TEXT_KEY.format(name="tiny")).value == "fade bad."
    want, tokens = expected(path, "fade bad.")
    assert_heatmaps_equal(at, want, tokens)


def test_numeric_model_reads_typed_numbers():
    torch.manual_seed(0)
    model = SequenceModel(
        ModelConfig(input_size=2, embedding_size=3, hidden_size=4, objective="step_value")
    )
    path = save_checkpoint(models_dir() / "series", model, None, {"task": {"name": "adding"}})
    at = open_explore()
    box = at.text_input(key=TEXT_KEY.format(name="series"))
    assert ";" in box.value  # the task's sample, 2 numbers per step
    box.set_value("0.5 0; 0.25 1; -1 0").run()
    assert not at.exception, at.exception
    checkpoint = load_checkpoint(path)
    inputs = torch.tensor([[[0.5, 0], [0.25, 1], [-1, 0]]])
    _, trace = record(checkpoint.model, inputs)
    z = decode(charts(at)["cell"]["data"][0]["z"])
    np.testing.assert_allclose(z, trace.cell[0, 0, 0].numpy().T, atol=1e-6)

    at.text_input(key=TEXT_KEY.format(name="series")).set_value("0.5 x; 1 2").run()
    assert "is not a number" in at.error[0].value


@pytest.mark.parametrize("uploaded", [False, True])
def test_without_a_model_the_page_points_to_train_and_upload(uploaded):
    from app.resources import ModelRef

    extra = {state.UPLOADED_MODELS: [ModelRef("uploaded", "x.onnx")]} if uploaded else {}
    at = open_explore(**extra)
    assert "Pick a model" in at.info[0].value
    assert not at.get("plotly_chart")
    links = [link.proto.page for link in at.get("page_link")]
    assert any("train" in p for p in links) and any("upload" in p for p in links)


def test_a_long_input_on_a_wide_layer_ships_a_window_and_says_so():
    """5,000 steps by 1,024 units: every heatmap ships at most 300 columns (means of windows of
    steps) by 64 units, equal to the trace's window means, and the page says what it shows."""
    save_model("wide", hidden_size=1024)
    at = open_explore()
    text = ("a bad cafe. " * 500)[:5000]
    at.text_input(key=TEXT_KEY.format(name="wide")).set_value(text).run()
    assert not at.exception, at.exception
    assert MAX_EXPLORE_STEPS >= 5000
    found = charts(at)
    assert len(found) == 6
    for spec in found.values():
        z = decode(spec["data"][0]["z"])  # [units, columns]
        assert z.shape[0] <= 64 and z.shape[1] <= 300
    checkpoint = load_checkpoint(models_dir() / "wide")
    ids = torch.tensor([checkpoint.vocab.encode(text)])
    _, trace = record(checkpoint.model, ids)
    z = decode(found["forget_gate"]["data"][0]["z"])
    window = -(-5000 // z.shape[1])  # steps per column
    grid = trace.forget_gate[0, 0, 0, :, : z.shape[0]].numpy()  # [T, 64]
    expected = grid[: window * (5000 // window)].reshape(-1, window, z.shape[0]).mean(1).T
    np.testing.assert_allclose(z[:, : expected.shape[1]], expected, atol=1e-5)
    shown = " ".join(i.value for i in at.info)
    assert "1,024" in shown or "1024" in shown


def test_hints_and_the_scale_note_say_what_the_heatmaps_use():
    """Issue 16: a line per heatmap (dismissible), the outline explained, and which colour
    scale the cell uses: this input's without a scales.json, the model's with one."""
    path = save_model()
    at = open_explore()
    captions = [c.value for c in at.caption]
    assert any(c.startswith("**f**:") for c in captions)  # one line per heatmap
    assert any("red outline is unit **0**" in c for c in captions)
    assert any("no fixed scale for c" in c for c in captions)
    assert "this input" in charts(at)["cell"]["data"][0]["colorbar"]["title"]["text"]
    # The hints sit in a row of their own above each pair of heatmaps: a longer hint never
    # pushes one chart of a pair below the other (no column holds both a hint and a chart).
    holding = [c for c in at.columns if c.get("plotly_chart")]
    assert len(holding) == len(charts(at)) and not any(c.caption for c in holding)
    hinted = [c for c in at.columns if any(x.value.startswith("**f**:") for x in c.caption)]
    assert len(hinted) == 1 and not hinted[0].get("plotly_chart")

    from lstm_viz.analysis.scales import Scales, write_scales

    write_scales(path, Scales({"cell": [[3.5]]}, steps=1234))
    at.button(key="explore.trained/tiny.hide_hints").click().run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert not any(c.startswith("**f**:") or "red outline" in c for c in captions)
    assert any("fixed for this model: ±3.5" in c and "1,234" in c for c in captions)
    cell = charts(at)["cell"]["data"][0]
    assert cell["zmax"] == 3.5 and "±3.5<br>(model)" in cell["colorbar"]["title"]["text"]


def test_an_upload_without_a_vocabulary_is_labelled_as_reading_token_ids():
    from app.components.explore.input import ids_only
    from lstm_viz.models.vocab import PAD, UNKNOWN, Vocab

    assert ids_only(Vocab((PAD, UNKNOWN, "0", "1", "2"), "word"))
    assert not ids_only(Vocab((PAD, UNKNOWN, "the", "1"), "word"))
    assert not ids_only(Vocab((PAD, UNKNOWN, "0", "1"), "char"))  # digits read as characters
