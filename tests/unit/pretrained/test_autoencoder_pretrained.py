"""The shipped ECG autoencoder: its card's figures hold when re-measured, and the `anomalies`
command on held-out normal ECG with anomalies injected (another seed than the card's) flags the
events it should and few normal steps (issue 18's acceptance, measured)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from lstm_viz.analysis.anomaly import detection
from lstm_viz.cli import main
from lstm_viz.models.autoencoder import load_autoencoder
from lstm_viz.pretrained import MAX_MODEL_BYTES, PRETRAINED_DIR
from lstm_viz.pretrained.autoencoder_build import check_autoencoder, shipped_autoencoders
from lstm_viz.tasks.ecg import RATE, ecg_signal, inject_anomalies

FOLDER = PRETRAINED_DIR / "ecg-autoencoder-lstm"
# Kinds of sharp departures, which the shipped model must find (almost) always
SHARP_KINDS = ("spike", "noise_burst", "amplitude_change")


def test_it_ships_small_with_a_calibrated_threshold():
    assert [p.name for p in shipped_autoencoders(PRETRAINED_DIR)] == [FOLDER.name]
    assert (FOLDER / "model.safetensors").stat().st_size <= MAX_MODEL_BYTES
    rule = load_autoencoder(FOLDER).anomaly
    assert rule["rule"] == "error > threshold" and rule["threshold"] > 0


def test_card_figures_hold_when_re_measured():
    result = check_autoencoder(FOLDER)
    stated, measured = result["stated"], result["measured"]
    assert measured.validation_mse == pytest.approx(stated["validation_mse"], abs=2e-5)
    assert (measured.detected, measured.events) == (stated["detected"], stated["events"])
    assert measured.false_positives == pytest.approx(stated["false_positives"], abs=2)


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """`anomalies` on 300 s of held-out ECG (seed 11) with 6 anomalies of each kind (seed 5)."""
    folder = tmp_path_factory.mktemp("acceptance")
    values, events = inject_anomalies(ecg_signal(int(300 * RATE), 11)[0], per_kind=6, seed=5)
    signal = folder / "signal.csv"
    signal.write_text("value\n" + "\n".join(f"{v:.6g}" for v in values) + "\n")
    out = folder / "scores.csv"
    assert (
        main(["anomalies", "--model", str(FOLDER), "--input", str(signal), "--out", str(out)]) == 0
    )
    with open(out, newline="") as file:
        flags = np.array([int(r["anomaly"]) for r in csv.DictReader(file)], dtype=bool)
    return detection(flags, events)


def test_few_normal_steps_are_flagged_and_sharp_anomalies_are_found(scored):
    assert scored.false_positive_rate <= 0.02, scored.sentence()
    for kind in SHARP_KINDS:
        found, count = scored.by_kind[kind]
        assert found / count >= 0.9, scored.sentence()


def test_ninety_percent_of_all_events_are_found(scored):
    """Issue 18's acceptance: >= 90% of the events (every kind, missing beats and flat lines
    included) on a held-out signal and anomaly draw the card does not use."""
    assert scored.detection_rate >= 0.9, scored.sentence()
    for kind in ("missing_beat", "flat_line"):
        found, count = scored.by_kind[kind]
        assert found / count >= 0.8, scored.sentence()
