"""The shipped models: each loads, its card's numbers hold when re-measured, and a rebuild is
deterministic."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from lstm_viz.models.checkpoints import load_checkpoint
from lstm_viz.pretrained import (
    MAX_MODEL_BYTES,
    PRETRAINED_DIR,
    RECIPES,
    Recipe,
    build,
    claim_correlation,
    read_card,
    shipped,
    validation_metric,
)
from lstm_viz.pretrained.build import machine
from lstm_viz.pretrained.cards import card, task_of

SHIPPED = shipped(PRETRAINED_DIR)
NAMES = [p.name for p in SHIPPED]
# Sequence models state a validation metric and a unit; the ConvLSTM frame model states its
# next-frame MSE against a baseline instead (tests/unit/pretrained/test_frames.py).
SEQUENCE = [p for p in SHIPPED if RECIPES[p.name].cell != "conv_lstm"]
SEQUENCE_NAMES = [p.name for p in SEQUENCE]


def test_every_recipe_is_shipped_and_nothing_else():
    assert NAMES == sorted(RECIPES)
    assert len(NAMES) >= 5
    assert "english-char-lstm" in NAMES  # the app's default model


@pytest.mark.parametrize("path", SHIPPED, ids=NAMES)
def test_files_and_size(path):
    assert (path / "model.safetensors").stat().st_size <= MAX_MODEL_BYTES
    assert not (path / "optimizer.safetensors").exists()  # only what the app needs ships
    checkpoint = load_checkpoint(path)
    assert (checkpoint.vocab is None) == (checkpoint.model.config.vocab_size == 0)
    recipe = RECIPES[path.name]
    assert checkpoint.model.config.cell == recipe.cell
    assert checkpoint.model.config.hidden_size == recipe.hidden_size


@pytest.mark.parametrize("path", SEQUENCE, ids=SEQUENCE_NAMES)
def test_card_metric_holds_on_held_out_data(path):
    name, stated, _ = read_card(path)
    checkpoint = load_checkpoint(path)
    assert name == checkpoint.info["task"]["metric"]
    measured = validation_metric(checkpoint)
    assert measured == pytest.approx(stated, abs=1e-3, rel=1e-3)


@pytest.mark.parametrize("path", SEQUENCE, ids=SEQUENCE_NAMES)
def test_card_unit_claim_holds(path):
    _, _, claim = read_card(path)
    measured = claim_correlation(load_checkpoint(path), claim)
    assert abs(measured - claim.r) <= 0.05
    assert abs(claim.r) >= 0.5  # a claim worth stating


def test_the_default_model_reads_the_default_sentence():
    from lstm_viz import record

    checkpoint = load_checkpoint(PRETRAINED_DIR / "english-char-lstm")
    text = "The cat sat on the mat."
    assert not any(checkpoint.vocab.unknown(list(text)))
    _, trace = record(checkpoint.model, torch.tensor([checkpoint.vocab.encode(text)]))
    assert trace.num_steps == len(text)


def test_rebuild_is_deterministic(tmp_path):
    recipe = dataclasses.replace(
        RECIPES["brackets-lstm"],
        task_params={**RECIPES["brackets-lstm"].task_params, "train_size": 96},
        hidden_size=4,
        epochs=2,
    )
    assert isinstance(recipe, Recipe)
    first = build(recipe, tmp_path / "a", progress=False)
    second = build(recipe, tmp_path / "b", progress=False)
    a = load_file(first.path / "model.safetensors")
    b = load_file(second.path / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert first.metric == second.metric
    assert read_card(first.path)[2] == read_card(second.path)[2]
    # The card says where it was trained (the machine's cores; "a CUDA GPU (name)" on a GPU).
    assert f"s on {machine(torch.device('cpu'))};" in (first.path / "README.md").read_text()
    gpu = card(
        dataclasses.replace(first, machine="a CUDA GPU (H200)"),
        task_of(load_checkpoint(first.path)),
    )
    assert "s on a CUDA GPU (H200);" in gpu and "build brackets-lstm --device cuda" in gpu


def test_a_warm_restart_trains_on_and_keeps_its_own_best_checkpoint(tmp_path):
    """Recipe.tail_epochs: after the first cosine schedule, a second one (SGDR) from its best
    checkpoint; the steps and the probe's history go on over it, and what is shipped is the
    tail's best validation checkpoint, as the card says."""
    from lstm_viz import record
    from lstm_viz.training.probe import load_probe, probe_input

    tiny = dataclasses.replace(
        RECIPES["brackets-lstm"],
        task_params={**RECIPES["brackets-lstm"].task_params, "train_size": 96},
        hidden_size=4,
        epochs=2,
    )
    plain = build(tiny, tmp_path / "plain", progress=False)
    restart = dataclasses.replace(tiny, tail_epochs=2, tail_learning_rate=0.01)
    built = build(restart, tmp_path / "restart", progress=False)
    assert built.steps == 2 * plain.steps
    history = load_probe(built.path)
    assert history.steps == sorted(history.steps) and len(history.steps) == 4
    assert history.steps[-1] == built.steps
    assert history.steps[:2] == load_probe(plain.path).steps
    # The tail trained: other weights, and the kept one is the tail's best evaluation.
    a = load_file(plain.path / "model.safetensors")
    b = load_file(built.path / "model.safetensors")
    assert any(not torch.equal(a[k], b[k]) for k in a)
    tail = history.metrics[2:]  # accuracy: higher is better
    kept = int(np.argmax(tail)) + 2
    assert built.metric == pytest.approx(history.metrics[kept], rel=1e-6)
    checkpoint = load_checkpoint(built.path)
    inputs, _ = probe_input(task_of(checkpoint))
    _, trace = record(checkpoint.model, inputs)
    assert float((history.at(kept).hidden - trace.hidden).abs().max()) < 1e-2
    text = (built.path / "README.md").read_text()
    assert "a warm restart (SGDR): 2 more epochs from 0.01" in text
    assert "the best validation checkpoint of the tail is kept" in text


def test_a_gpu_build_without_a_gpu_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        build(RECIPES["brackets-lstm"], tmp_path, progress=False, device="cuda")


WITH_PROBE = [p for p in SHIPPED if (p / "probe.npz").exists()]


@pytest.mark.parametrize("path", WITH_PROBE, ids=[p.name for p in WITH_PROBE])
def test_shipped_probe_history_belongs_to_the_shipped_weights(path):
    """The build's probe.npz (units emerging during training) belongs to these weights: one
    snapshot is the shipped model's own recording of the probe (float16 storage), and it is the
    evaluation whose validation metric the card states (the kept, best checkpoint)."""
    from lstm_viz import record
    from lstm_viz.pretrained import task_of
    from lstm_viz.training.probe import load_probe, probe_input

    checkpoint = load_checkpoint(path)
    history = load_probe(path)
    inputs, _ = probe_input(task_of(checkpoint))
    _, trace = record(checkpoint.model, inputs)
    errors = [
        float((history.at(k).hidden - trace.hidden).abs().max()) for k in range(len(history.steps))
    ]
    index = int(np.argmin(errors))
    assert errors[index] < 5e-3, errors
    assert history.metrics[index] == pytest.approx(read_card(path)[1], abs=1e-3)
