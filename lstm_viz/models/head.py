"""What an uploaded model's head scores: the next token (and which output scores which token of
the checkpoint's vocabulary), or not (and why). No streamlit here.

lstm_viz.importers.save_as_checkpoint writes it into config.json as ``"head"``; Explore's
Predictions view reads it. A model trained here says it with ``objective="next_token"`` instead.

    {"scores": "next_token", "ids": false, "outputs": [[first output, first vocab id, length],
     ...]}                                   # runs of outputs that score consecutive vocab ids
    {"scores": null, "why": "its head fc has 3 outputs, ..."}

An uploaded model keeps its head exactly as the file has it (its outputs in the file's token
order), while our vocabulary reserves ids 0 and 1 (<pad>, <unk>): the runs map one onto the
other, and the softmax stays over the file's own outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

KEY = "head"  # config.json's field
NEXT_TOKEN = "next_token"


def encode_outputs(vocab_ids: Sequence[int]) -> list[list[int]]:
    """Per head output, the vocabulary id it scores (-1: no token) -> runs [first output, first
    vocabulary id, length] of outputs that score consecutive ids (outputs without a token are
    left out). A file whose tokens are in our order is one or two runs."""
    runs: list[list[int]] = []
    for output, vid in enumerate(int(v) for v in vocab_ids):
        if vid < 0:
            continue
        if runs and runs[-1][0] + runs[-1][2] == output and runs[-1][1] + runs[-1][2] == vid:
            runs[-1][2] += 1
        else:
            runs.append([output, vid, 1])
    return runs


def next_token_outputs(
    info: dict[str, Any], num_outputs: int, vocab_size: int
) -> np.ndarray | None:
    """[num_outputs] int64: the vocabulary id each head output scores (-1: no token), when
    ``info`` (a checkpoint's config.json) says its head scores the next token; None when it does
    not say so, or its runs do not fit the head's ``num_outputs`` and the ``vocab_size``."""
    head = info.get(KEY)
    if not isinstance(head, dict) or head.get("scores") != NEXT_TOKEN:
        return None
    runs = head.get("outputs")
    if not isinstance(runs, list) or not runs:
        return None
    mapping = np.full(num_outputs, -1, dtype=np.int64)
    for run in runs:
        if not (
            isinstance(run, list)
            and len(run) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) for v in run)
        ):
            return None
        output, vid, length = run
        if length < 1 or output < 0 or vid < 0:
            return None
        if output + length > num_outputs or vid + length > vocab_size:
            return None
        mapping[output : output + length] = np.arange(vid, vid + length)
    return mapping


def only_ids(info: dict[str, Any]) -> bool:
    """True when the head's tokens are the file's token ids (it came without a vocabulary)."""
    head = info.get(KEY)
    return isinstance(head, dict) and head.get("ids") is True


def why_not(info: dict[str, Any]) -> str | None:
    """Why an uploaded model's head is not read as next-token scores (config.json's words),
    or None when the checkpoint says nothing about it."""
    head = info.get(KEY)
    why = head.get("why") if isinstance(head, dict) else None
    return why[:300] if isinstance(why, str) and why else None
