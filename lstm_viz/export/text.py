"""A checkpoint reads a text: the one recording every export starts from."""

from __future__ import annotations

import torch

from lstm_viz.models.checkpoints import Checkpoint
from lstm_viz.recording.recorder import record
from lstm_viz.trace import Trace


class ExportError(ValueError):
    """Anything an export cannot do, said in one line (what, what was wrong, what to do)."""


def record_text(checkpoint: Checkpoint, text: str, max_steps: int = 100_000) -> Trace:
    """Record ``checkpoint``'s model reading ``text`` as one sequence (batch 1).

    Returns a Trace [layer, direction, 1, time, unit] with the tokens as the vocabulary split
    them. Raises ExportError for a model without a vocabulary (it reads numbers, not text),
    empty text, or more than ``max_steps`` tokens.
    """
    vocab = checkpoint.vocab
    if vocab is None:
        raise ExportError(
            f"{checkpoint.path} reads numbers, not text: export a token model (it has vocab.json)"
        )
    tokens = vocab.tokenize(text)
    if not tokens:
        what = "characters" if vocab.level == "char" else "words"
        raise ExportError(f"the input is empty: the model reads {what}; give it some text")
    if len(tokens) > max_steps:
        raise ExportError(
            f"the input has {len(tokens):,} steps; this export takes at most {max_steps:,}: "
            "shorten it (record-corpus streams long texts)"
        )
    ids = torch.tensor([vocab.encode(tokens)], dtype=torch.int64)  # [1, T]
    with torch.no_grad():
        _, trace = record(checkpoint.model, ids, tokens=[tokens])
    if isinstance(trace, dict):
        raise ExportError(f"{checkpoint.path} runs more than one recurrent module")
    return trace
