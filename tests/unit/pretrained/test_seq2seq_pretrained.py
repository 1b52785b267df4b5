"""The shipped encoder-decoder: its card's numbers hold (on a sample here; `python -m
lstm_viz.pretrained check dates-attention-lstm` re-measures them all), and a rebuild is
deterministic."""

from __future__ import annotations

import dataclasses

import torch
from safetensors.torch import load_file

from lstm_viz.models.seq2seq_files import load_seq2seq
from lstm_viz.pretrained import MAX_MODEL_BYTES, PRETRAINED_DIR
from lstm_viz.pretrained.build import shipped_seq2seq
from lstm_viz.pretrained.recipes import SEQ2SEQ_RECIPES
from lstm_viz.pretrained.seq2seq import (
    build_seq2seq,
    month_attention,
    read_seq2seq_card,
    validation_pairs,
)
from lstm_viz.training.seq2seq import exact_match

PATH = PRETRAINED_DIR / "dates-attention-lstm"


def test_the_shipped_model_is_small_and_its_card_holds_on_a_sample():
    assert [p.name for p in shipped_seq2seq(PRETRAINED_DIR)] == sorted(SEQ2SEQ_RECIPES)
    assert (PATH / "model.safetensors").stat().st_size < MAX_MODEL_BYTES
    metric, month = read_seq2seq_card(PATH)
    assert metric >= 0.995 and month >= 0.5
    card = (PATH / "README.md").read_text()
    assert " s on one CPU thread" in card  # the training time is stated
    model = load_seq2seq(PATH).model
    checkpoint = load_seq2seq(PATH)
    examples = validation_pairs(checkpoint.info["task"]["params"])[:210]
    assert exact_match(model, [(s, t) for s, t, _, _ in examples]) >= 0.995
    fraction, count = month_attention(model, examples)
    assert count == 2 * 150  # 5 of every 7 forms name the month in words; two digits each
    assert abs(fraction - month) <= 0.05


def test_rebuild_is_deterministic(tmp_path):
    recipe = dataclasses.replace(
        SEQ2SEQ_RECIPES["dates-attention-lstm"],
        train_size=64,
        validation_size=14,
        hidden_size=4,
        embedding_size=4,
        epochs=1,
    )
    first = build_seq2seq(recipe, tmp_path / "a", progress=False)
    second = build_seq2seq(recipe, tmp_path / "b", progress=False)
    a = load_file(first.path / "model.safetensors")
    b = load_file(second.path / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert read_seq2seq_card(first.path) == read_seq2seq_card(second.path)
