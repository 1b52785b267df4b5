"""Small models for the Learn page's tests: a hand-built bracket counter, a char model, a word
model over the agreement grammar's vocabulary. Seeded: the same weights every run."""

from __future__ import annotations

from pathlib import Path

import torch

from lstm_viz.models.checkpoints import save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab
from lstm_viz.tasks import make_task
from lstm_viz.tasks.grammar import VOCAB as GRAMMAR_VOCAB

DYCK = {
    "types": 2,
    "max_depth": 6,
    "min_length": 6,
    "max_length": 20,
    "train_size": 20,
    "validation_size": 60,
    "seed": 0,
}
COUNTER_UNIT = 2  # the unit of the counter model whose cell counts the depth


def counter_model(hidden_size: int = 5) -> tuple[SequenceModel, Vocab]:
    """A 1-layer LSTM over Dyck-2 whose unit COUNTER_UNIT counts the depth: its gates are held
    open by large biases and its candidate is +tanh(0.5) for an opening bracket, -tanh(0.5) for
    a closing one; the other units have small random weights."""
    torch.manual_seed(0)
    task = make_task("dyck", **DYCK)
    vocab = task.vocab
    config = ModelConfig(
        cell="lstm",
        vocab_size=len(vocab),
        embedding_size=4,
        hidden_size=hidden_size,
        objective="step_class",
        num_outputs=task.num_outputs,
    )
    model = SequenceModel(config)
    h, u = hidden_size, COUNTER_UNIT
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.mul_(0.3)
        emb = model.embedding.weight
        emb[:, 0] = 0.0
        for token in "([":
            emb[vocab.id(token), 0] = 1.0
        for token in ")]":
            emb[vocab.id(token), 0] = -1.0
        w_ih, w_hh = model.rnn.weight_ih_l0, model.rnn.weight_hh_l0
        b_ih, b_hh = model.rnn.bias_ih_l0, model.rnn.bias_hh_l0
        for gate in range(4):  # i, f, g, o rows of the counter unit
            row = gate * h + u
            w_ih[row].zero_()
            w_hh[row].zero_()
            b_hh[row] = 0.0
            b_ih[row] = 0.0 if gate == 2 else 12.0
        w_ih[2 * h + u, 0] = 0.5  # candidate reads the bracket's direction
    return model.eval(), vocab


def save_counter(root: Path, name: str = "dyck-counter", hidden_size: int = 5) -> Path:
    model, vocab = counter_model(hidden_size)
    task = {"name": "dyck", "title": "Bracket depth", "params": DYCK}
    return save_checkpoint(root / name, model, vocab, {"task": task})


def char_model(hidden_size: int = 8, num_layers: int = 2) -> tuple[SequenceModel, Vocab]:
    torch.manual_seed(1)
    vocab = Vocab.build(["The quick brown fox jumps over the lazy dog. A cat sat on a mat,"])
    config = ModelConfig(
        vocab_size=len(vocab),
        embedding_size=6,
        hidden_size=hidden_size,
        num_layers=num_layers,
        num_outputs=len(vocab),
    )
    return SequenceModel(config).eval(), vocab


def save_char(root: Path, name: str = "english-char-lstm") -> Path:
    model, vocab = char_model()
    task = {"name": "text-english", "title": "English prose", "params": {}}
    return save_checkpoint(root / name, model, vocab, {"task": task})


AGREEMENT = {"train_size": 20, "validation_size": 40, "seed": 0}


def word_model(hidden_size: int = 6) -> tuple[SequenceModel, Vocab]:
    torch.manual_seed(2)
    config = ModelConfig(
        vocab_size=len(GRAMMAR_VOCAB),
        embedding_size=6,
        hidden_size=hidden_size,
        objective="sequence_class",
        num_outputs=2,
    )
    return SequenceModel(config).eval(), GRAMMAR_VOCAB


def save_word(root: Path, name: str = "agreement-word-lstm") -> Path:
    model, vocab = word_model()
    task = {"name": "agreement", "title": "Agreement", "params": AGREEMENT}
    return save_checkpoint(root / name, model, vocab, {"task": task})


def save_dyck(root: Path, name: str, cell: str = "gru") -> Path:
    """A random (untrained) Dyck-2 model with another cell, e.g. a GRU."""
    torch.manual_seed(3)
    task = make_task("dyck", **DYCK)
    config = ModelConfig(
        cell=cell,
        vocab_size=len(task.vocab),
        embedding_size=4,
        hidden_size=4,
        objective="step_class",
        num_outputs=task.num_outputs,
    )
    info = {"task": {"name": "dyck", "title": "Bracket depth", "params": DYCK}}
    return save_checkpoint(root / name, SequenceModel(config).eval(), task.vocab, info)
