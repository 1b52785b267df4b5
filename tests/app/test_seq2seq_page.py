"""AppTest: Explore for an encoder-decoder shows what record_seq2seq records (attention, the
decoder's gates), the picked token's row, and other pages say they cannot show it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from app import state
from lstm_viz.models.checkpoints import models_dir
from lstm_viz.models.seq2seq import Seq2Seq, Seq2SeqConfig
from lstm_viz.models.seq2seq_files import save_seq2seq
from lstm_viz.recording.seq2seq import record_seq2seq
from lstm_viz.tasks.dates import source_tokens, target_tokens
from tests.app.test_explore_page import decode

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TEXT = "3rd of March 2021"
KEY = "explore.seq2seq.trained/tiny-dates"


def save_tiny() -> Seq2Seq:
    torch.manual_seed(0)
    config = Seq2SeqConfig(
        source_tokens(), target_tokens(), embedding_size=4, hidden_size=4, max_target_length=5
    )
    model = Seq2Seq(config).eval()
    save_seq2seq(models_dir() / "tiny-dates", model, {"task": {"name": "dates"}})
    return model


def open_page(page: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.session_state[state.SELECT_MODEL] = "trained/tiny-dates"
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def specs(at: AppTest) -> list[dict]:
    """The page's plotly figures, in order (attention, attribution, bars, decoder, encoder)."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_explore_shows_the_recorded_attention_and_decoder_gates():
    model = save_tiny()
    at = open_page()
    recording = record_seq2seq(model, [TEXT])
    steps = len(recording.generated[0])
    charts = specs(at)
    attention = decode(charts[0]["data"][0]["z"])
    want = recording["attention"][0, :steps, : len(TEXT)].numpy()
    np.testing.assert_allclose(attention, want, atol=1e-6)
    np.testing.assert_allclose(attention.sum(-1), 1, atol=1e-6)
    share = decode(charts[1]["data"][0]["z"])
    np.testing.assert_allclose(share.sum(-1), 1, atol=1e-5)  # attribution shares per token
    picked = at.select_slider(key=f"{KEY}.step").value
    assert picked == min(5, steps - 1)
    outline = charts[0]["layout"]["shapes"][0]
    assert outline["y0"] == picked - 0.5
    decoder = next(c for c in charts if c["layout"]["title"]["text"].startswith("Decoder"))
    gate = decode(decoder["data"][0]["z"])
    name = decoder["layout"]["meta"]["quantity"]
    np.testing.assert_allclose(gate, recording.decoder[name][0, 0, 0].numpy().T, atol=1e-6)

    at.select_slider(key=f"{KEY}.step").set_value(0).run()
    assert not at.exception
    charts = specs(at)
    assert charts[0]["layout"]["shapes"][0]["y0"] == -0.5
    at.text_input(key=f"{KEY}.input").set_value("2021-03-03").run()
    assert not at.exception
    assert "Output:" in " ".join(m.value for m in at.markdown)


def test_other_pages_say_they_cannot_show_an_encoder_decoder():
    save_tiny()
    at = open_page("views/analyze.py")
    assert any("is an encoder-decoder" in i.value for i in at.info)
    assert not at.error
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "unreadable" not in sidebar


def test_the_dates_tour_measures_the_month_attention(shipped_models):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.run()
    at.switch_page("views/learn.py")
    at.session_state[state.LEARN_SECTION] = "tours"
    at.session_state[state.LEARN_TOUR] = "dates"
    at.run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "2021-03-03" in text and "3rd of March 2021" in text
    at.button(key="learn.tour.dates.next").click().run()
    text = " ".join(m.value for m in at.markdown)
    assert "first month digit" in text and "inside the month's name" in text
    at.button(key="learn.tour.dates.explore").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key="explore.seq2seq.shipped/dates-attention-lstm.input").value == (
        "3rd of March 2021"
    )


def test_train_page_trains_and_saves_an_encoder_decoder():
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.run()
    at.switch_page("views/train.py")
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key="train.seq2seq.attention").set_value("general")
    at.number_input(key="train.seq2seq.hidden").set_value(4)
    at.number_input(key="train.seq2seq.epochs").set_value(1)
    at.number_input(key="train.seq2seq.size").set_value(200)
    at.button(key="train.seq2seq.go").click()
    at.run()
    assert not at.exception, at.exception
    saved = models_dir() / "dates-general-lstm"
    assert (saved / "model.safetensors").is_file()
    assert at.session_state[state.CHOICES]["model"] == "trained/dates-general-lstm"
    assert any("dates-general-lstm saved" in s.value for s in at.success)


def test_the_train_pages_dates_note_says_what_the_shipped_card_measured():
    """Issue 16 audit: the note's numbers are the shipped model's card's."""
    import re
    from pathlib import Path

    from app.components.train.seq2seq import SHIPPED_DATES

    card = Path(__file__).resolve().parents[2] / "pretrained" / "dates-attention-lstm" / "README.md"
    text = card.read_text(encoding="utf-8")
    epochs, seconds = re.search(
        r"(\d+) epochs, .*? steps in (\d+) s on one CPU thread", text
    ).groups()
    assert f"{epochs} epochs of 10,000" in SHIPPED_DATES and f"in {seconds} s" in SHIPPED_DATES
    assert "10,000 fresh training examples per epoch" in text
    assert "32 units per direction" in text and "32 units per direction" in SHIPPED_DATES
    metric, count = re.search(r"`exact_match`\): ([\d.]+), the fraction of ([\d,]+)", text).groups()
    assert float(metric) == 1.0 and f"all {count} validation inputs exactly" in SHIPPED_DATES


def test_the_cell_state_uses_the_models_fixed_scales_of_each_part():
    from lstm_viz.analysis.scales import measure_seq2seq_scales, read_scales, write_scales

    model = save_tiny()
    folder = models_dir() / "tiny-dates"
    write_scales(folder, measure_seq2seq_scales(model, ["3 March 2021", "2021-03-03"] * 4))
    scales = read_scales(folder)
    at = open_page()
    at.radio(key=f"{KEY}.quantity").set_value("cell").run()
    assert not at.exception, at.exception
    charts = specs(at)
    for part in ("Decoder", "Encoder"):
        chart = next(c for c in charts if c["layout"]["title"]["text"].startswith(part))
        bound = scales.part(part.lower()).bound("cell", 0, 0)
        assert chart["layout"]["meta"]["scale"]["zmax"] == bound == -chart["data"][0]["zmin"]
    caption = " ".join(c.value for c in at.caption)
    assert "Decoder: Colours of c are fixed for this model" in caption
    assert "Encoder: Colours of c are fixed for this model" in caption
