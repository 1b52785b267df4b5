"""Agreement and number units (Lakretz et al. 2019) on the shipped agreement-word-lstm."""

from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_viz.analysis.agreement import (
    MAX_SENTENCES,
    AgreementError,
    agreement,
    cell_over_sentence,
    make_items,
    usable_words,
)
from lstm_viz.figures.agreement import number_unit_figure
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab

PRETRAINED = Path(__file__).resolve().parents[3] / "pretrained"


@pytest.fixture(scope="module")
def shipped():
    checkpoint = load_checkpoint(PRETRAINED / "agreement-word-lstm")
    model = checkpoint.model.eval()
    return model, checkpoint.vocab, agreement(model, checkpoint.vocab, per_condition=12, seed=0)


def test_shipped_model_shows_a_number_unit(shipped):
    _, _, result = shipped
    assert result.attractor_accuracy() >= 0.95
    units = result.number_units()
    assert units, "no unit's ablation drops attractor agreement by 0.1"
    assert result.attractor_drops()[units[0]] >= 0.20
    assert result.median_drop() <= 0.03
    table = result.ablation_table()
    assert tuple(table.loc[0, ["layer", "unit"]]) == units[0]  # sorted, largest drop first
    assert len(table) == 64 and set(result.counts.values()) == {12}
    assert len(result.conditions()) == 10  # 2 without, 4 prepositional, 4 relative


def test_ablating_by_hand_matches_the_batched_table(shipped):
    """Zero the number unit in a hand-written loop over nn.LSTM steps: same accuracy."""
    model, vocab, result = shipped
    layer, unit = result.number_units()[0]
    items = [i for i in result.items if i.condition == "prepositional SP"]
    rnn = model.rnn
    correct = []
    for item in items:
        h = torch.zeros(1, 1, 64)
        c = torch.zeros(1, 1, 64)
        with torch.no_grad():
            for token in vocab.encode(item.tokens):
                out, (h, c) = rnn(model.embedding(torch.tensor([[token]])), (h, c))
                h[..., unit], c[..., unit] = 0.0, 0.0
            logits = model.head(h[0])[0]
        correct += [
            float(logits[vocab.id(a)] > logits[vocab.id(b)])
            for a, b in (("is", "are"), ("was", "were"))
        ]
    expected = result.ablated[layer, unit, result.names.index("prepositional SP")]
    assert np.mean(correct) == pytest.approx(expected)


def test_number_unit_figure_separates_the_subjects(shipped):
    model, vocab, result = shipped
    unit = result.number_units()[0]
    cells = cell_over_sentence(model, vocab, unit, per_condition=8)
    verb = cells[cells["word"] == "verb"].set_index("condition")["value"]
    assert np.sign(verb["SS"]) == np.sign(verb["SP"]) != np.sign(verb["PS"]) == np.sign(verb["PP"])
    figure = number_unit_figure(cells, unit)
    assert len(figure.data) == 4 and figure.layout.meta["unit"] == list(unit)


def test_bad_models_get_one_line_reasons():
    chars = Vocab(("<pad>", "<unk>", "a", "b"), level="char")
    with pytest.raises(AgreementError, match="word-level"):
        usable_words(chars)
    words = Vocab(("<pad>", "<unk>", "the", "cat", "cats"), level="word")
    with pytest.raises(AgreementError, match="is'/'are"):
        usable_words(words)
    config = ModelConfig(cell="lstm", vocab_size=5, embedding_size=4, hidden_size=4,
                         objective="sequence_class", num_outputs=2)  # fmt: skip
    vocab = Vocab(("<pad>", "<unk>", "the", "cat", "cats", "is", "are"), level="word")
    with pytest.raises(AgreementError, match="next-word"):
        agreement(SequenceModel(config), vocab)
    assert len(make_items(usable_words(vocab), per_condition=10_000)) == 2 * MAX_SENTENCES


def test_the_tour_stop_states_the_measured_ablation(shipped):
    """Every number of the Learn tour's ablation stop is the result's own."""
    from lstm_viz.learn.ablation_stop import ablation_stop
    from lstm_viz.learn.tour_figures import ablation_bars

    _, _, result = shipped
    layer, unit = result.number_units()[0]
    drops = result.attractor_drops()
    stop = ablation_stop(result, (layer, unit))
    before = result.attractor_accuracy()
    assert (stop.layer, stop.unit) == (layer, unit)
    assert f"**{before:.0%}**" in stop.text
    assert f"**{before - drops[layer, unit]:.0%}**" in stop.text
    # One unit: the drop in percentage points, the difference of the two percentages shown.
    points = int(f"{before * 100:.0f}") - int(f"{(before - drops[layer, unit]) * 100:.0f}")
    assert abs(points - drops[layer, unit] * 100) <= 1
    assert f"drop of **{points} percentage points**" in stop.text
    assert f"median unit drops it by **{result.median_drop() * 100:.0f} points**" in stop.text
    assert f"Over {4 * 12} sentences" in stop.text
    assert "It is the unit of the stop before" in stop.text
    other = ablation_stop(result, (layer, unit + 1))
    assert f"pointed at unit {unit + 1} of layer {layer}" in other.text
    figure = ablation_bars(stop)
    np.testing.assert_allclose(figure.data[0].y, np.asarray(drops[0]) * 100)  # points, as said
    assert figure.data[0].marker.color[unit] == "#d62728"
    assert sum(c == "#d62728" for c in figure.data[0].marker.color) == 1


def test_work_is_capped():
    """No choice can freeze the server: wide models get fewer sentences, or a one-line no."""
    from lstm_viz.analysis.agreement import MAX_FLOPS, affordable, work

    def model(hidden, layers=1):
        config = ModelConfig(cell="lstm", vocab_size=8, embedding_size=4, hidden_size=hidden,
                             num_layers=layers, objective="next_token", num_outputs=8)  # fmt: skip
        return SequenceModel(config)

    medium = model(128)
    assert affordable(medium, 64) == 16 and work(medium, 16) <= MAX_FLOPS
    with pytest.raises(AgreementError, match="too much work"):
        affordable(model(1024, 2), 4)
