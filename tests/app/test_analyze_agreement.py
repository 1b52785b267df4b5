"""AppTest: Analyze's Agreement section shows what lstm_viz.analysis.agreement computes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from lstm_viz.analysis.agreement import agreement
from lstm_viz.models.checkpoints import load_checkpoint
from tests.app.test_analyze_page import figures, frames, open_analyze, save_dyck

SHIPPED = Path(__file__).resolve().parents[2] / "pretrained" / "agreement-word-lstm"
W = "analyze.shipped/agreement-word-lstm.agreement"


def test_agreement_tables_and_figure_equal_the_library(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "agreement-word-lstm").symlink_to(SHIPPED)
    monkeypatch.setenv("LSTM_VIZ_PRETRAINED_DIR", str(shipped))
    at = open_analyze(**{f"{W}.sentences": 8})
    at.radio(key="analyze.section").set_value("agreement").run()
    assert not at.exception, at.exception
    checkpoint = load_checkpoint(SHIPPED)
    want = agreement(checkpoint.model, checkpoint.vocab, per_condition=8)
    conditions, ablation = frames(at)
    # in percent, shown with one decimal like the sentence above it (98.5%, not 98.46%)
    np.testing.assert_allclose(conditions["accuracy"], want.conditions()["accuracy"] * 100)
    top = want.ablation_table()
    assert ablation[["layer", "unit"]].head(3).values.tolist() == (
        top[["layer", "unit"]].head(3).values.tolist()
    )
    # drops in percentage points, like the accuracies beside them (the library's are fractions)
    np.testing.assert_allclose(ablation["attractor drop"], top["attractor drop"].head(12) * 100)
    layer, unit = want.number_units()[0]
    text = " ".join(m.value for m in at.markdown)
    assert f"layer {layer} unit {unit}" in text
    before = want.attractor_accuracy()
    after = before - want.attractor_drops()[layer, unit]
    points = float(f"{before * 100:.1f}") - float(f"{after * 100:.1f}")  # adds up as shown
    assert f"from {before:.1%} to {after:.1%}, by **{points:.1f} percentage points**" in text
    assert f"median unit drops it by **{want.median_drop() * 100:.1f} points**" in text
    assert not re.search(r"\*\*\d\.\d\d\*\*", text)  # no drop left as a fraction (0.43)
    assert f"**{want.attractor_accuracy():.1%}**" in text
    assert any("in percentage points" in c.value for c in at.caption)
    # Every condition column reads in words: a short header the legend above explains, and
    # the condition in full on hover (a new user met "prepositional SP" unexplained).
    config = json.loads(at.dataframe[1].proto.columns)
    names = [c for c in ablation.columns if c not in ("layer", "unit", "attractor drop")]
    assert len(names) == 10 and config["prepositional SP"]["label"] == "PP: S/P"
    assert config["prepositional SP"]["help"].startswith(
        "prepositional phrase, singular subject, plural attractor"
    )
    assert config["none S"]["label"] == "none: S" and "no attractor" in config["none S"]["help"]
    assert all(config[n]["label"] != n and "subject" in config[n]["help"] for n in names)
    assert "**PP** a prepositional phrase" in text and "**RC** a relative clause" in text
    labels = json.loads(at.dataframe[0].proto.columns)
    assert labels["accuracy"]["label"] == "agreement accuracy"
    figure = figures(at)["number_unit"]
    assert figure["layout"]["meta"]["unit"] == [layer, unit]
    assert len(figure["data"]) == 4


def test_a_character_model_gets_a_one_line_reason():
    save_dyck()
    at = open_analyze("agreement")
    assert not at.exception, at.exception
    assert any("word-level" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_agreement_tour_ends_on_the_measured_ablation(tmp_path, monkeypatch):
    from app.components.learn.tours import TOUR_SENTENCES
    from app.corpora import agreement_store
    from lstm_viz.learn.ablation_stop import ablation_stop
    from tests.app.test_learn_page import open_learn

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "agreement-word-lstm").symlink_to(SHIPPED)
    monkeypatch.setenv("LSTM_VIZ_PRETRAINED_DIR", str(shipped))
    at = open_learn({"page": "learn", "view": "tour-agreement", "step": "99"})
    progress = at.get("progress")[0].proto.text
    assert re.match(r"Stop (\d+) of \1$", progress), progress  # the last stop
    text = " ".join(m.value for m in at.markdown)
    assert "Zero it, and agreement breaks" in text
    ((key, result),) = agreement_store().items()
    assert key[2] == TOUR_SENTENCES
    number = result.number_units()[0]
    stop = ablation_stop(result, number)  # the correlation stop found the same unit
    assert stop.text in text
    assert result.attractor_drops()[number] >= 0.20 and result.median_drop() <= 0.03
    assert figures(at)["ablation"]["layout"]["meta"]["unit"] == number[1]
    assert not any("Colours of" in c.value for c in at.caption)  # bars: no colour scale to state


def test_saturation_states_the_per_layer_finding():
    """Analyze > Saturation: Karpathy et al.'s per-layer comparison, as the library counts it."""
    from app.text import escape_markdown
    from lstm_viz.analysis import saturation, saturation_finding, saturation_summary
    from tests.app.test_analyze_page import corpus_of

    path = save_dyck(num_layers=2)
    at = open_analyze()
    _, corpus = corpus_of(path)
    want = saturation_summary(saturation(corpus.trace))
    shown = frames(at)[0]
    np.testing.assert_array_equal(shown["open"], want["open"])
    np.testing.assert_array_equal(shown["shut"], want["shut"])
    np.testing.assert_allclose(shown["right"], want["right"] * 100)  # in percent
    sentence = saturation_finding(want)
    assert sentence and any(escape_markdown(sentence) in m.value for m in at.markdown)
