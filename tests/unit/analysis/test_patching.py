"""Activation patching across time: against nn.LSTM/nn.GRU run by pieces, and on the shipped
agreement model (the number unit found by ablation is among the largest effects)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_viz.analysis import Intervention, intervene
from lstm_viz.analysis.patching import (
    Patch,
    Patcher,
    PatchingError,
    logit,
    logit_diff,
    patching_sweep,
)
from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel

AGREEMENT = Path(__file__).parents[3] / "pretrained" / "agreement-word-lstm"


def tiny(cell: str, layers: int = 1, seed: int = 0) -> SequenceModel:
    torch.manual_seed(seed)
    config = ModelConfig(
        cell=cell, vocab_size=9, embedding_size=4, hidden_size=5, num_layers=layers, num_outputs=9
    )
    model = SequenceModel(config).eval()
    with torch.no_grad():  # larger weights: one changed token moves the output clearly
        for parameter in model.parameters():
            parameter *= 3
    return model


def by_pieces(model, corrupt, clean, unit, step) -> float:
    """The reference: PyTorch's own module up to ``step``, the unit's clean state copied in,
    PyTorch's module again from there (one-layer models); metric logit 3 - logit 4."""
    rnn = model.rnn
    with torch.no_grad():
        xc, xk = model.embedding(corrupt), model.embedding(clean)
        _, state_c = rnn(xc[:, : step + 1])
        _, state_k = rnn(xk[:, : step + 1])
        lstm = isinstance(state_c, tuple)
        parts_c = list(state_c) if lstm else [state_c]
        parts_k = list(state_k) if lstm else [state_k]
        for mine, theirs in zip(parts_c, parts_k, strict=True):
            mine[..., unit] = theirs[..., unit]
        state = tuple(parts_c) if lstm else parts_c[0]
        if step + 1 < corrupt.shape[1]:
            out, _ = rnn(xc[:, step + 1 :], state)
            last = out[:, -1]
        else:
            last = parts_c[0][-1]
        logits = model.head(last)
    return float(logits[0, 3] - logits[0, 4])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_sweep_equals_patching_by_pieces_with_pytorch_modules(cell):
    model = tiny(cell)
    clean = torch.tensor([[2, 3, 4, 5, 6, 7]])
    corrupt = torch.tensor([[2, 8, 4, 5, 6, 7]])
    patcher = Patcher(model, clean, corrupt, logit_diff(3, 4))
    effects = patcher.sweep()
    assert effects.shape == (1, 6, 5)
    span = patcher.clean_metric - patcher.corrupt_metric
    assert abs(span) > 0.01
    patched = effects * span + patcher.corrupt_metric  # m(patched), the metric itself
    for step in range(6):
        for unit in range(5):
            want = by_pieces(model, corrupt, clean, unit, step)
            assert patched[0, step, unit] == pytest.approx(want, abs=1e-5), (step, unit)
    # Before the corruption nothing differs: no effect (float rounding aside).
    assert np.allclose(patched[0, 0], patcher.corrupt_metric, atol=1e-5)


def test_patching_every_unit_of_every_layer_restores_the_clean_output():
    model = tiny("lstm", layers=2)
    clean = torch.tensor([[2, 3, 4, 5, 6, 7]])
    corrupt = torch.tensor([[2, 8, 4, 5, 6, 7]])
    patcher = Patcher(model, clean, corrupt, logit(3))
    everything = tuple(range(5))
    got = patcher.effects(
        [
            Patch(0, everything, (1,)),  # layer 0 clean from the corrupted step: all restored
            Patch(1, everything, (5,)),  # the head reads the top layer at the last step
            Patch(0, everything, (0,)),  # before the corruption: nothing to restore
            Patch(1, everything, (1,)),  # the top alone at step 1: layer 0 still differs
        ]
    )
    assert got[:3] == pytest.approx([1.0, 1.0, 0.0], abs=1e-5)
    assert abs(got[3] - 1.0) > 1e-3
    # A span of steps of the top layer, from the corrupted step on, restores everything too.
    span = patcher.effects([Patch(1, everything, (1, 2, 3, 4, 5))])
    assert span[0] == pytest.approx(1.0, abs=1e-5)


def test_bad_patches_and_inputs_say_what_is_wrong():
    model = tiny("lstm")
    clean = torch.tensor([[2, 3, 4]])
    with pytest.raises(PatchingError, match="same length"):
        Patcher(model, clean, torch.tensor([[2, 3]]), logit(3))
    with pytest.raises(PatchingError, match="nothing to restore"):
        Patcher(model, clean, clean, logit(3))
    patcher = Patcher(model, clean, torch.tensor([[2, 8, 4]]), logit(3))
    with pytest.raises(PatchingError, match="units"):
        patcher.effects([Patch(0, (7,), (1,))])
    with pytest.raises(PatchingError, match="steps"):
        patcher.effects([Patch(0, (1,), (3,))])


SUBJECTS = [("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("key", "keys"), ("boy", "boys")]
ATTRACTORS = [("table", "tables"), ("tree", "trees"), ("box", "boxes")]


def agreement_drop(model, vocab) -> np.ndarray:
    """[units]: how much ablating each unit (its cell held at 0, so h = 0, at every step)
    lowers the share of sentences 'the SUBJ near the ATTRACTOR' (attractor of the other
    number) whose 'is' vs 'are' logit agrees with the subject."""
    sentences, plural = [], []
    for singular, plural_form in SUBJECTS:
        for a_singular, a_plural in ATTRACTORS:
            sentences += [
                f"the {singular} near the {a_plural}",
                f"the {plural_form} near the {a_singular}",
            ]
            plural += [False, True]
    ids = torch.tensor([vocab.encode(s) for s in sentences])
    plural = np.array(plural)
    is_, are = vocab.id("is"), vocab.id("are")

    def accuracy(probabilities: torch.Tensor) -> float:
        last = probabilities[:, -1]
        says_plural = (last[:, are] > last[:, is_]).numpy()
        return float((says_plural == plural).mean())

    steps = ids.shape[1]
    drops = []
    for unit in range(model.rnn.hidden_size):
        result = intervene(model, ids, [Intervention("cell", unit, 0.0, 0, steps)])
        drops.append(accuracy(result.original_output) - accuracy(result.intervened_output))
    return np.array(drops)


def test_patching_finds_the_agreement_models_number_unit():
    """Acceptance: the unit whose ablation hurts agreement most is among the three units of
    largest total effect when patching 'the cat near the dogs' into 'the cats near the dogs'."""
    checkpoint = load_checkpoint(AGREEMENT)
    model, vocab = checkpoint.model, checkpoint.vocab
    words = "the cat cats near dogs is are".split()
    assert not any(vocab.unknown(words)), "the agreement vocabulary lacks a test word"
    drops = agreement_drop(model, vocab)
    number_unit = int(np.argmax(drops))
    assert drops[number_unit] > 0.1, drops.max()  # ablating it really hurts agreement
    clean = torch.tensor([vocab.encode("the cat near the dogs")])
    corrupt = torch.tensor([vocab.encode("the cats near the dogs")])
    result = patching_sweep(model, clean, corrupt, logit_diff(vocab.id("is"), vocab.id("are")))
    assert result.clean_metric > 0 > result.corrupt_metric  # is vs are, each the right way
    totals = np.abs(result.unit_totals(0))
    top3 = np.argsort(-totals)[:3]
    assert number_unit in top3, (number_unit, top3, totals[top3])
    table = result.table()
    assert list(table.columns) == ["layer", "unit", "step", "effect"]
    assert len(table) == 64 * 5


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_relu", "peephole_lstm"])
def test_fused_sweep_equals_the_stepped_reference(cell):
    """Two layers: the fused path (one-step patches) against stepping.run_core."""
    model = tiny(cell, layers=2, seed=1)
    clean = torch.tensor([[2, 3, 4, 5, 6, 7, 8]])
    corrupt = torch.tensor([[2, 3, 8, 5, 6, 7, 8]])
    fused = Patcher(model, clean, corrupt, logit_diff(3, 4)).sweep()
    stepped = Patcher(model, clean, corrupt, logit_diff(3, 4), fused=False).sweep()
    span = Patcher(model, clean, corrupt, logit_diff(3, 4))
    scale = abs(span.clean_metric - span.corrupt_metric)
    size = max(1.0, abs(span.clean_metric), abs(span.corrupt_metric))  # float32 rounding
    np.testing.assert_allclose(fused * scale, stepped * scale, atol=1e-5 * size)
    assert np.abs(fused[:, 3:]).max() > 0.01  # something moved after the corruption
