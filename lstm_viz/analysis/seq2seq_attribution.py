"""Attention beside attribution for an encoder-decoder (Jain and Wallace 2019: they often differ).

    result = attention_and_attribution(model, "3rd of March 2021")
    result.attention     # [T, S] what each generated token attended to (rows sum to 1)
    result.attribution   # [T, S] integrated gradients of log p(generated token) per source char
    result.share         # [T, S] |attribution| / its row sum (0..1, comparable with attention)
    result.agree         # [T] True where both put their largest weight on the same character

The attribution is integrated gradients (Sundararajan et al. 2017) over the source embeddings,
from a baseline of all-padding embeddings (zeros) to the input, with ``steps`` midpoint steps,
for the log-probability of each generated token given the tokens generated before it (teacher
forced with the model's own greedy output, so the outputs explained are the ones shown).
``completeness`` [T] is sum_s attribution - (log p(input) - log p(baseline)): near 0 when enough
steps were taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lstm_viz.models.seq2seq import Seq2Seq
from lstm_viz.recording.seq2seq import record_seq2seq


@dataclass(frozen=True)
class AttentionAttribution:
    source: list[str]  # S source characters
    generated: list[str]  # T generated tokens (the last may be "</s>")
    attention: np.ndarray  # [T, S]
    attribution: np.ndarray  # [T, S], signed, in nats of log-probability
    share: np.ndarray  # [T, S], |attribution| normalised per row
    completeness: np.ndarray  # [T]

    @property
    def agree(self) -> np.ndarray:
        """[T] bool: attention's and attribution's largest weight fall on the same character."""
        return self.attention.argmax(-1) == self.share.argmax(-1)

    def disagreements(self) -> list[tuple[int, str, tuple[int, str], tuple[int, str]]]:
        """(step, generated token, attention's top (source position, char), attribution's top
        (position, char)) where the positions differ (the same character can stand twice)."""
        top_a, top_b = self.attention.argmax(-1), self.share.argmax(-1)
        return [
            (
                t,
                self.generated[t],
                (int(top_a[t]), self.source[top_a[t]]),
                (int(top_b[t]), self.source[top_b[t]]),
            )
            for t in range(len(self.generated))
            if top_a[t] != top_b[t]
        ]


def attention_and_attribution(model: Seq2Seq, text: str, steps: int = 24) -> AttentionAttribution:
    """Attention and integrated-gradients attribution of each generated token of ``text``.
    ValueError for an empty text. Does not modify ``model`` (no hooks; eval mode kept)."""
    recording = record_seq2seq(model, [text])
    generated = recording.generated[0]
    ids = {t: i for i, t in enumerate(model.config.target_tokens)}
    out_ids = torch.tensor([[ids[t] for t in generated]])
    in_ids = torch.cat([torch.tensor([[1]]), out_ids[:, :-1]], dim=1)
    source, lengths = model.encode([text])
    with torch.no_grad():
        embedded = model.encoder.embedding(source)  # [1, S, E]
    count = len(generated)
    alphas = (torch.arange(steps, dtype=embedded.dtype) + 0.5) / steps
    # One batch of count x steps copies: copy (t, a) is the path point a, explained for token t,
    # so one backward pass gives every row.
    path = (alphas.repeat(count)[:, None, None] * embedded).requires_grad_(True)  # [T*A, S, E]
    rows = torch.arange(count).repeat_interleave(steps)  # which token each copy explains
    batch = count * steps
    with torch.enable_grad():
        logits = model(
            source.expand(batch, -1), lengths.expand(batch), in_ids.expand(batch, -1), path
        )
        chosen = torch.log_softmax(logits, -1)[torch.arange(batch), rows, out_ids[0, rows]]
        (grad,) = torch.autograd.grad(chosen.sum(), path)
    mean_grad = grad.reshape(count, steps, *grad.shape[1:]).mean(1)  # [T, S, E]
    attribution = (embedded[0] * mean_grad).sum(-1).detach()  # [T, S]
    with torch.no_grad():
        ends = []
        for scale in (0.0, 1.0):
            lp = torch.log_softmax(model(source, lengths, in_ids, embedded * scale), -1)
            ends.append(lp[0, torch.arange(count), out_ids[0]])
    completeness = attribution.sum(-1) - (ends[1] - ends[0])
    magnitude = attribution.abs()
    share = magnitude / magnitude.sum(-1, keepdim=True).clamp_min(1e-12)
    return AttentionAttribution(
        list(text),
        list(generated),
        recording["attention"][0, :count, : len(text)].numpy(),
        attribution.numpy(),
        share.numpy(),
        completeness.numpy(),
    )
