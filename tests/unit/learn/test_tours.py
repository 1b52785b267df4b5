"""Guided tours: every stop points at the unit its criterion picks (checked by brute force) and
says the numbers of the recording."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from lstm_viz import record
from lstm_viz.learn.agreement_tour import AGREEMENT_PLURAL, AGREEMENT_TEXT, agreement_tour
from lstm_viz.learn.tour_figures import stop_figure
from lstm_viz.learn.tours import CAT_TEXT, cat_tour
from tests.lesson_models import char_model, word_model


def read(model, vocab, text):
    tokens = vocab.tokenize(text)
    _, trace = record(model, torch.tensor([vocab.encode(tokens)]), tokens=[tokens])
    return trace


def test_cat_tour_points_at_the_units_its_criteria_pick():
    model, vocab = char_model()
    trace = read(model, vocab, CAT_TEXT)
    stops = {s.title: s for s in cat_tour(trace)}
    assert list(stops)[0] == "One character at a time"

    spaces = [t for t, c in enumerate(CAT_TEXT) if c == " "]
    letters = [t for t, c in enumerate(CAT_TEXT) if c.isalpha()]
    forget = trace.forget_gate[0, 0, 0].double().numpy()
    drop = [forget[letters, u].mean() - forget[spaces, u].mean() for u in range(8)]
    words = stops["Words end: some memory is let go"]
    assert words.unit == int(np.argmax(drop)) and words.steps == tuple(spaces)
    assert f"{forget[spaces, words.unit].mean():.2f}** on average over the sentence's" in words.text
    # which steps the mean covers: spaces only (Explore's hint also counts the full stop)
    assert f"{len(spaces)} spaces (spaces only: Explore's hint also counts" in words.text

    mat = stops['What is written at "mat"']
    cell = trace.cell[1, 0, 0].double().numpy()
    at = CAT_TEXT.rfind("mat")
    written = np.abs((trace.input_gate * trace.candidate)[1, 0, 0].double().numpy())
    steps = [at, at + 1, at + 2]
    others = [t for t in range(len(CAT_TEXT)) if t not in steps]
    score = [written[steps, u].mean() - written[others, u].mean() for u in range(8)]
    assert mat.steps == tuple(steps) and mat.unit == int(np.argmax(score))
    assert f"{cell[at + 2, mat.unit]:+.2f}" in mat.text
    assert f"{written[steps, mat.unit].mean():.2f}" in mat.text

    dot = stops["The full stop"]
    hidden = trace.hidden[1, 0, 0].double().numpy()
    assert dot.unit == int(np.argmax(np.abs(hidden[-1] - hidden[-2])))

    for stop in stops.values():
        figure = stop_figure(trace, stop)
        assert figure.layout.meta["unit"] == stop.unit


def test_a_cell_drawn_with_gates_gets_its_own_panel():
    model, vocab = char_model()
    trace = read(model, vocab, CAT_TEXT)
    stop = next(s for s in cat_tour(trace) if s.figure == "line")
    big = dataclasses.replace(trace, values={**trace.values, "cell": trace.cell * 10})
    figure = stop_figure(big, stop)
    axes = {t.name: t.yaxis for t in figure.data}
    assert axes["Cell state c"] == "y" and axes["Input gate i"] == "y2"
    assert figure.layout.meta["panels"]["y"] == ["Cell state c"]
    assert tuple(figure.layout.yaxis2.range) == (-0.05, 1.05)  # gates: their fixed range
    assert figure.layout.yaxis.range is None  # the cell: its own range, one axis
    np.testing.assert_allclose(
        figure.data[0].y, big.cell[stop.layer, 0, 0, :, stop.unit].numpy(), atol=1e-6
    )


def test_heatmap_stop_outlines_its_unit_and_steps():
    model, vocab = char_model()
    trace = read(model, vocab, CAT_TEXT)
    stop = cat_tour(trace)[1]
    figure = stop_figure(trace, stop)
    heat = figure.data[0]
    assert list(heat.y) == list(range(8))  # 8 units: all shown
    np.testing.assert_allclose(heat.z, trace.forget_gate[0, 0, 0].numpy().T, atol=1e-6)
    row, *columns = figure.layout.shapes
    assert (row.y0, row.y1) == (stop.unit - 0.5, stop.unit + 0.5)
    assert [c.x0 + 0.5 for c in columns] == list(stop.steps)


def test_agreement_tour_follows_the_subject_through_the_clause():
    model, vocab = word_model()
    trace, plural = read(model, vocab, AGREEMENT_TEXT), read(model, vocab, AGREEMENT_PLURAL)
    assert vocab.unknown(vocab.tokenize(AGREEMENT_TEXT)) == [False] * 12
    r = np.zeros((1, 1, 6))
    r[0, 0, 4] = -0.9
    stops = {s.title: s for s in agreement_tour(trace, plural, r)}
    number = stops["The unit that remembers the number"]
    assert number.unit == 4 and "r = -0.90" in number.text
    assert number.steps == (2, 3, 4, 5, 6)  # ", which was hungry ,"
    singular, many = number.compare.values()
    np.testing.assert_allclose(singular, trace.cell[0, 0, 0, :, 4].numpy(), atol=1e-6)
    np.testing.assert_allclose(many, plural.cell[0, 0, 0, :, 4].numpy(), atol=1e-6)
    figure = stop_figure(trace, number)
    assert len(figure.data) == 2

    subject = stops['The subject: "cat"']
    cell = trace.cell[0, 0, 0].double().numpy()
    assert subject.unit == int(np.argmax(np.abs(cell[1] - cell[0]))) and subject.steps == (1,)
    assert stops['The verb: "sat"'].steps == (7,)

    # Without validation correlations: the unit whose cell differs most between the sentences.
    by_pair = {s.title: s for s in agreement_tour(trace, plural, None)}
    gap = np.abs(cell - plural.cell[0, 0, 0].double().numpy())[2:7].mean(0)
    assert by_pair["The unit that remembers the number"].unit == int(np.argmax(gap))


def test_drift_note():
    from lstm_viz.learn.tours import drift_note

    assert "climbs steadily" in drift_note(np.arange(10.0) ** 1.1)
    assert "falls steadily" in drift_note(-np.arange(10.0))
    assert drift_note(np.sin(np.arange(10.0))) == ""
    assert drift_note(np.ones(10)) == "" and drift_note(np.arange(3.0)) == ""


def test_a_stop_of_many_units_gets_rows_a_student_can_see():
    """A stop without a unit shows 64 units: 6 px a row at least (300 px gave 2.7)."""
    model, vocab = char_model()
    trace = read(model, vocab, CAT_TEXT)
    wide = dataclasses.replace(
        trace, values={**trace.values, "cell": trace.cell.repeat(1, 1, 1, 1, 10)}
    )
    stop = dataclasses.replace(cat_tour(trace)[1], quantity="cell", unit=None)
    figure = stop_figure(wide, stop)
    assert len(figure.data[0].y) == 64
    assert figure.layout.height >= 140 + 6 * 64
    small = stop_figure(trace, dataclasses.replace(stop, unit=None))
    assert small.layout.height == 300  # 8 units fit the usual height
