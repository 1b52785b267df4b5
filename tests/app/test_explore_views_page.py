"""AppTest: every Explore control beyond the heatmap basics changes what it should, and every
number shown equals the recording (or a brute-force reference)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch

from app import state
from lstm_viz import record
from lstm_viz.models.checkpoints import load_checkpoint, models_dir, save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab
from tests.app.test_explore_page import TEXT_KEY, charts, decode, expected, open_explore, save_model

PANEL = "explore.trained/tiny"
TEXT = "abc deaf."


def open_on(text: str = TEXT, **session_state):
    path = save_model(num_layers=2)
    at = open_explore(**session_state)
    at.text_input(key=TEXT_KEY.format(name="tiny")).set_value(text).run()
    assert not at.exception, at.exception
    return at, path


def set_view(at, view: str):
    at.radio(key=f"{PANEL}.view").set_value(view).run()
    assert not at.exception, at.exception
    return at


def order_caption(at) -> str:
    """The caption that says what the heatmaps' rows are (Rows: ...)."""
    return " ".join(c.value for c in at.caption if c.value.startswith("Rows:"))


def test_unit_order_and_top_k_choose_the_heatmap_rows():
    at, path = open_on()
    want, _ = expected(path, TEXT, layer=1)
    at.radio(key=f"{PANEL}.layer").set_value(1).run()
    at.number_input(key=f"{PANEL}.unit").set_value(4).run()
    [shape] = charts(at)["hidden"]["layout"]["shapes"]  # index order: the row is the unit
    assert (shape["y0"], shape["y1"]) == (3.5, 4.5)
    at.selectbox(key=f"{PANEL}.order").set_value("variance").run()
    at.selectbox(key=f"{PANEL}.order_by").set_value("cell").run()
    assert not at.exception, at.exception
    cell = want["cell"]  # [unit, time]
    order = sorted(range(5), key=lambda u: -cell[u].var())
    for name, spec in charts(at).items():
        heat = spec["data"][0]
        np.testing.assert_allclose(decode(heat["z"]), want[name][order], atol=1e-6, err_msg=name)
        assert [int(y) for y in heat["y"]] == order
    # The chosen unit's row is outlined in every heatmap, at its place in the order.
    at.number_input(key=f"{PANEL}.unit").set_value(order[3]).run()
    for spec in charts(at).values():
        [shape] = spec["layout"]["shapes"]
        assert (shape["y0"], shape["y1"]) == (2.5, 3.5)
    assert f"The followed unit {order[3]} is row 4." in order_caption(at)
    at.number_input(key=f"{PANEL}.top_k").set_value(2).run()
    assert not at.exception, at.exception
    assert "shapes" not in charts(at)["cell"]["layout"]  # unit order[3] is not in the top 2
    assert f"The followed unit {order[3]} is not among them" in order_caption(at)
    heat = charts(at)["forget_gate"]["data"][0]
    np.testing.assert_allclose(decode(heat["z"]), want["forget_gate"][order[:2]], atol=1e-6)

    at.selectbox(key=f"{PANEL}.order").set_value("clustered").run()
    at.number_input(key=f"{PANEL}.top_k").set_value(0).run()
    assert not at.exception, at.exception
    rows = [int(y) for y in charts(at)["hidden"]["data"][0]["y"]]
    assert sorted(rows) == list(range(5))


def test_unit_view_lines_and_coloured_text_hold_the_units_values():
    at, path = open_on()
    at.number_input(key=f"{PANEL}.unit").set_value(3).run()
    set_view(at, "unit")
    want, tokens = expected(path, TEXT)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # gates, states
    frame = pd.concat(
        [pa.ipc.open_stream(d.data.data).read_pandas() for c in charts for d in c.proto.datasets]
    )
    frame = frame[frame["quantity"].notna()]  # the step's rule has a dataset of its own
    for name in want:
        got = frame[frame["quantity"] == name]["value"].to_numpy()
        np.testing.assert_allclose(got, want[name][3], atol=1e-6, err_msg=name)
    coloured = next(m.value for m in at.markdown if "lv-coloured" in m.value)
    for step in (0, 4):
        value = want["hidden"][3, step]
        assert f"step {step} · {tokens[step]!r} · {value:.3f}".replace("'", "&#x27;") in coloured
    at.radio(key=f"{PANEL}.colour_by").set_value("forget_gate").run()
    coloured = next(m.value for m in at.markdown if "lv-coloured" in m.value)
    assert f"· {want['forget_gate'][3, 0]:.3f}" in coloured


def test_unit_and_step_views_colour_the_cell_on_the_models_scale():
    """Issue 16: the Unit view's text and the step diagram use the model's stored range for
    the cell on every input, and their words name the range drawn; without scales.json,
    this input's range, said so."""
    from lstm_viz.analysis.scales import Scales, write_scales

    at, path = open_on()
    set_view(at, "unit")
    at.radio(key=f"{PANEL}.colour_by").set_value("cell").run()
    coloured = next(m.value for m in at.markdown if "lv-coloured" in m.value)
    assert 'data-source="this input"' in coloured
    assert any("no fixed scale for c" in c.value for c in at.caption)
    write_scales(path, Scales({"cell": [[3.5], [4.5]]}, steps=77))
    for text in (TEXT, "hhh gg fedcba."):
        at.text_input(key=TEXT_KEY.format(name="tiny")).set_value(text).run()
        assert not at.exception, at.exception
        coloured = next(m.value for m in at.markdown if "lv-coloured" in m.value)
        assert 'data-zmax="3.5" data-source="model"' in coloured and "c ±3.5 (model)" in coloured
        assert any("fixed for this model: ±3.5" in c.value for c in at.caption)
    set_view(at, "step")
    at.radio(key=f"{PANEL}.layer").set_value(1).run()
    assert not at.exception, at.exception
    meta = diagram_values(at)
    assert meta["scale"] == {"zmax": 4.5, "words": "c ±4.5 (model)"}
    assert any("fixed for this model: ±4.5" in c.value for c in at.caption)


def test_a_unit_handed_over_by_another_page_is_selected_once():
    save_model(num_layers=2)
    hand = {"layer": 1, "direction": 0, "unit": 4}
    at = open_explore(**{state.EXPLORE_UNIT: hand})
    assert at.radio(key=f"{PANEL}.view").value == "unit"
    assert at.radio(key=f"{PANEL}.layer").value == 1
    assert at.number_input(key=f"{PANEL}.unit").value == 4
    at.number_input(key=f"{PANEL}.unit").set_value(1).run()  # taken once: not forced back
    assert at.number_input(key=f"{PANEL}.unit").value == 1
    assert "Gates of unit 1, layer 1" in at.get("vega_lite_chart")[0].proto.spec


def test_predictions_are_the_models_softmax_with_the_next_token_marked():
    at, path = open_on()
    set_view(at, "predictions")
    checkpoint = load_checkpoint(path)
    tokens = checkpoint.vocab.tokenize(TEXT)
    with torch.no_grad():
        logits = checkpoint.model(torch.tensor([checkpoint.vocab.encode(tokens)]))[0][0]
    probabilities = torch.softmax(logits.double(), -1).numpy()
    table = at.dataframe[0].value
    assert len(table) == len(tokens)
    for t in range(len(tokens) - 1):
        target = checkpoint.vocab.id(tokens[t + 1])
        assert table["p(next)"][t] == pytest.approx(probabilities[t, target], abs=1e-9)
        best = checkpoint.vocab.tokens[int(probabilities[t].argmax())]
        assert table["top 1"][t].startswith(best.replace(" ", "␣"))
    assert sum(c.startswith("top ") for c in table.columns) == 5
    at.slider(key=f"{PANEL}.pred_k").set_value(3).run()
    assert sum(c.startswith("top ") for c in at.dataframe[0].value.columns) == 3
    at.slider(key=f"{PANEL}.pred_step").set_value(2).run()
    title = json.loads(at.get("vega_lite_chart")[0].proto.spec)["title"]
    assert title == "After step 2 ('c'): next is '␣'"


def test_predictions_are_not_offered_for_other_models():
    torch.manual_seed(0)
    vocab = Vocab(("<pad>", "<unk>", *"ab"))
    model = SequenceModel(
        ModelConfig(
            vocab_size=4, embedding_size=2, hidden_size=3, objective="step_class", num_outputs=2
        )
    )
    save_checkpoint(models_dir() / "tagger", model, vocab, {"task": {"name": "x"}})
    at = open_explore()
    assert "🔮 Predictions" not in at.radio(key="explore.trained/tagger.view").options
    assert "⏯️ Step-through" in at.radio(key="explore.trained/tagger.view").options


def diagram_values(at) -> dict:
    for chart in at.get("plotly_chart"):
        meta = json.loads(chart.proto.spec)["layout"].get("meta", {})
        if "values" in meta:
            return meta
    raise AssertionError("no step diagram")


def test_step_slider_buttons_and_play_move_the_cell_diagram():
    at, path = open_on()
    at.number_input(key=f"{PANEL}.unit").set_value(2).run()
    set_view(at, "step")
    checkpoint = load_checkpoint(path)
    tokens = checkpoint.vocab.tokenize(TEXT)
    _, trace = record(checkpoint.model, torch.tensor([checkpoint.vocab.encode(tokens)]))
    at.slider(key=f"{PANEL}.step").set_value(4).run()
    assert not at.exception, at.exception
    meta = diagram_values(at)
    assert meta["step"] == 4 and meta["unit"] == 2
    for name in trace.names:
        assert meta["values"][name] == pytest.approx(float(trace[name][0, 0, 0, 4, 2]), abs=1e-6)
    assert meta["values"]["cell_before"] == pytest.approx(float(trace.cell[0, 0, 0, 3, 2]))
    words = " ".join(m.value for m in at.markdown)
    assert f"keeps {100 * meta['values']['forget_gate']:.0f}% of the old memory" in words
    equations = at.code[0].value
    assert f"= {meta['values']['cell']:.3f}" in equations

    at.button(key=f"{PANEL}.step_next").click().run()
    assert at.slider(key=f"{PANEL}.step").value == 5 and diagram_values(at)["step"] == 5
    assert "step=5" in next(c.value for c in at.code if "page=explore" in c.value)  # the link
    at.button(key=f"{PANEL}.step_back").click().run()
    at.button(key=f"{PANEL}.step_back").click().run()
    assert diagram_values(at)["step"] == 3

    at.session_state[state.PLAY_DELAY] = 0.0
    at.button(key=f"{PANEL}.play").click().run()
    assert not at.exception, at.exception
    assert diagram_values(at)["step"] == len(tokens) - 1
    assert at.slider(key=f"{PANEL}.step").value == len(tokens) - 1


def test_compare_two_inputs_shows_the_difference_aligned_by_step():
    at, path = open_on()
    set_view(at, "compare")
    at.selectbox(key=f"{PANEL}.compare_quantity").set_value("hidden").run()
    at.text_input(key=f"{PANEL}.compare_text").set_value("abc hh").run()
    assert not at.exception, at.exception
    a, _ = expected(path, TEXT)
    b, _ = expected(path, "abc hh")
    shown = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(shown) == 3
    np.testing.assert_allclose(decode(shown[0]["data"][0]["z"]), a["hidden"], atol=1e-6)
    np.testing.assert_allclose(decode(shown[1]["data"][0]["z"]), b["hidden"], atol=1e-6)
    diff = decode(shown[2]["data"][0]["z"])
    np.testing.assert_allclose(diff, b["hidden"] - a["hidden"][:, :6], atol=1e-6)
    assert shown[2]["data"][0]["zmin"] == -2 and shown[2]["data"][0]["zmid"] == 0
    assert any("9 and 6 steps" in i.value for i in at.info)
    assert diff[:, :3] == pytest.approx(0, abs=1e-7)  # "abc" read by both: no difference yet
    titles = [m.value for m in at.markdown if m.value.startswith(("**a: ", "**b: "))]
    assert titles[1] == "**b: “abc hh”**" and titles[0].startswith("**a: “")
    from app.components.explore.compare import quoted

    assert quoted("it's " * 10) == "“" + ("it's " * 10)[:40] + "…”"


def test_compare_two_models_needs_matching_shapes():
    at, path = open_on()
    torch.manual_seed(1)
    vocab = load_checkpoint(path).vocab
    for name, hidden in (("other", 5), ("wide", 7)):
        model = SequenceModel(
            ModelConfig(
                vocab_size=len(vocab),
                embedding_size=4,
                hidden_size=hidden,
                num_layers=2,
                num_outputs=len(vocab),
            )
        )
        save_checkpoint(models_dir() / name, model, vocab, {"task": {"name": "text-user"}})
    narrow = Vocab.build(["zzzz a"], level="char")
    model = SequenceModel(
        ModelConfig(
            vocab_size=len(narrow),
            embedding_size=4,
            hidden_size=5,
            num_layers=2,
            num_outputs=len(narrow),
        )
    )
    save_checkpoint(models_dir() / "narrow", model, narrow, {"task": {"name": "text-user"}})
    set_view(at, "compare")
    at.radio(key=f"{PANEL}.compare_mode").set_value("models").run()
    at.selectbox(key=f"{PANEL}.compare_model").set_value("trained/wide").run()
    assert not at.exception, at.exception
    assert any("5 vs 7 units" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 2  # side by side, no difference
    # so each pane keeps its own colour range (the wide one's own largest |c|, not a's)
    wide, _ = expected(models_dir() / "wide", TEXT)
    pane_b = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    assert pane_b["zmax"] == pytest.approx(np.abs(wide["cell"]).max())
    assert any("Each pane on its own scale" in c.value for c in at.caption)
    at.selectbox(key=f"{PANEL}.compare_model").set_value("trained/other").run()
    assert not at.exception, at.exception
    assert not at.warning
    a, _ = expected(path, TEXT)
    b, _ = expected(models_dir() / "other", TEXT)
    side = [json.loads(c.proto.spec)["data"][0] for c in at.get("plotly_chart")[:2]]
    bound = max(np.abs(a["cell"]).max(), np.abs(b["cell"]).max())
    assert side[0]["zmax"] == side[1]["zmax"] == pytest.approx(bound)  # one colour range
    spec = json.loads(at.get("plotly_chart")[2].proto.spec)
    diff = decode(spec["data"][0]["z"])
    np.testing.assert_allclose(diff, b["cell"] - a["cell"], atol=1e-6)
    # Issue 16: the difference is drawn on the panes' scale, and the caption and the colour
    # bars state the same range; the units of two independent models are said not to match.
    assert spec["data"][0]["zmax"] == pytest.approx(bound)
    stated = f"±{bound:.3g}"
    assert all(
        stated in json.loads(c.proto.spec)["data"][0]["colorbar"]["title"]["text"]
        for c in at.get("plotly_chart")
    )
    captions = " ".join(c.value for c in at.caption)
    assert f"colour range {stated}" in captions and f"difference: c {stated}" in captions
    assert f"Largest |difference| shown: {np.abs(diff).max():.3g}" in captions
    assert any("do not correspond" in i.value for i in at.info)

    # A model whose vocabulary lacks most of the input: a warning, with the share.
    at.selectbox(key=f"{PANEL}.compare_model").set_value("trained/narrow").run()
    assert not at.exception, at.exception
    unread = sum(c not in "za " for c in TEXT) / len(TEXT)
    assert any(f"**{unread:.0%}** of this input as unknown" in w.value for w in at.warning)


def test_export_offers_three_files_and_sets_the_figure_format():
    at, _ = open_on()
    set_view(at, "export")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[1:] == ["⬇️ .npz", "⬇️ .parquet", "⬇️ .csv"]
    # The HTML page of this model and input: built by the library, its size on the button.
    from app.resources import find_model, html_page

    page = html_page(find_model("trained/tiny"), TEXT)
    assert labels[0] == f"⬇️ HTML page ({len(page) / 1e6:.1f} MB)"
    assert any(c.value.startswith(f"One file, {len(page):,} bytes") for c in at.caption)
    assert b"abc deaf." in page and b"tiny" in page and b'id="lv-data"' in page
    assert any(c.value.startswith("270 values") for c in at.caption)  # one layer: 6 x 9 x 5
    at.radio(key=f"{PANEL}.export_scope").set_value("all").run()
    assert len(at.get("download_button")) == 4
    assert any(c.value.startswith("540 values") for c in at.caption)  # 2 layers x 6 x 9 x 5
    from app.components.explore import export

    export.MAX_CSV_VALUES = 10  # a tiny limit: the CSV button gives way to a note
    try:
        at.run()
        labels = [b.proto.label for b in at.get("download_button")]
        assert labels[1:] == ["⬇️ .npz", "⬇️ .parquet"]
        assert any("too many for a spreadsheet" in c.value for c in at.caption)
    finally:
        export.MAX_CSV_VALUES = 5_000_000
    at.radio(key=f"{PANEL}.figure_format").set_value("svg").run()
    set_view(at, "heatmaps")
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config["toImageButtonOptions"]["format"] == "svg"


def test_the_share_link_says_the_view_and_a_link_restores_it():
    at, _ = open_on()
    at.radio(key=f"{PANEL}.layer").set_value(1).run()
    at.number_input(key=f"{PANEL}.unit").set_value(2).run()
    set_view(at, "unit")
    link = next(c.value for c in at.code if "page=explore" in c.value)
    assert re.search(r"model=trained%2Ftiny&text=abc\+deaf\.&view=unit&layer=1&unit=2", link)

    from app.links import parse

    query = dict(pair.split("=", 1) for pair in link.split("?", 1)[1].split("&"))
    from urllib.parse import unquote_plus

    restored = parse({k: unquote_plus(v) for k, v in query.items()} | {"view": "step", "step": "3"})
    fresh = open_explore(**{state.LINK: restored})
    assert fresh.text_input(key=TEXT_KEY.format(name="tiny")).value == TEXT
    assert fresh.radio(key=f"{PANEL}.layer").value == 1
    assert fresh.number_input(key=f"{PANEL}.unit").value == 2
    assert fresh.radio(key=f"{PANEL}.view").value == "step"
    assert diagram_values(fresh)["step"] == 3 and diagram_values(fresh)["unit"] == 2


def test_a_link_to_a_missing_model_says_so():
    save_model()
    at = open_explore(**{state.LINK: {"model": "shipped/nope", "text": "abc"}})
    assert not at.exception, at.exception
    assert any("shipped/nope" in w.value for w in at.warning)


def test_bidirectional_gru_steps_backward_from_the_end():
    path = save_model("gru", cell="gru", bidirectional=True, objective="step_class")
    at = open_explore()
    panel = "explore.trained/gru"
    at.text_input(key=TEXT_KEY.format(name="gru")).set_value("bad cafe").run()
    at.radio(key=f"{panel}.direction").set_value(1).run()
    at.number_input(key=f"{panel}.unit").set_value(4).run()
    at.radio(key=f"{panel}.view").set_value("step").run()
    at.slider(key=f"{panel}.step").set_value(6).run()
    assert not at.exception, at.exception
    checkpoint = load_checkpoint(path)
    tokens = list("bad cafe")
    _, trace = record(checkpoint.model, torch.tensor([checkpoint.vocab.encode(tokens)]))
    meta = diagram_values(at)
    assert meta["values"]["update_gate"] == pytest.approx(float(trace.update_gate[0, 1, 0, 6, 4]))
    # Going backward, the state before step 6 is the one after step 7.
    assert meta["values"]["hidden_before"] == pytest.approx(float(trace.hidden[0, 1, 0, 7, 4]))
    assert "🔮 Predictions" not in at.radio(key=f"{panel}.view").options


def test_a_wide_layer_shows_a_window_of_the_ordered_units():
    path = save_model("wide", hidden_size=80)
    at = open_explore()
    panel = "explore.trained/wide"
    at.text_input(key=TEXT_KEY.format(name="wide")).set_value(TEXT).run()
    at.selectbox(key=f"{panel}.order").set_value("mean").run()
    assert not at.exception, at.exception
    want, _ = expected(path, TEXT)
    order = np.argsort(-want["hidden"].astype(np.float64).mean(axis=1), kind="stable")
    heat = charts(at)["cell"]["data"][0]
    np.testing.assert_allclose(decode(heat["z"]), want["cell"][order[:64]], atol=1e-6)
    # the window is of rows in this order, in the note above the charts as in their subtitles
    (note,) = [i.value for i in at.info if i.value.startswith("Too many cells")]
    assert "rows 1-64 of 80 in this order" in note and "units 0-63" not in note
    assert charts(at)["cell"]["layout"]["title"]["subtitle"]["text"].endswith(
        "rows 1-64 of 80 in this order"
    )
    at.select_slider(key=f"{panel}.units").set_value(64).run()
    heat = charts(at)["cell"]["data"][0]  # the last full window: positions 16-79 of the order
    np.testing.assert_allclose(decode(heat["z"]), want["cell"][order[16:]], atol=1e-6)
    assert [int(y) for y in heat["y"]] == list(order[16:])


@pytest.mark.parametrize("cell", ["rnn_tanh", "peephole_lstm", "numeric"])
def test_every_view_draws_for_other_kinds_of_model(cell):
    if cell == "numeric":
        torch.manual_seed(0)
        model = SequenceModel(
            ModelConfig(input_size=1, embedding_size=3, hidden_size=4, objective="step_value")
        )
        save_checkpoint(models_dir() / "other", model, None, {"task": {"name": "sines"}})
    else:
        save_model("other", cell=cell)
    at = open_explore()
    panel = "explore.trained/other"
    from app.components.explore.controls import VIEW_LABELS

    shown = at.radio(key=f"{panel}.view").options
    views = [v for v, text in VIEW_LABELS.items() if text in shown]
    assert ("predictions" in views) == (cell != "numeric")
    for view in views:
        at.radio(key=f"{panel}.view").set_value(view).run()
        assert not at.exception, (view, at.exception)
        assert not at.error, (view, [e.value for e in at.error])
