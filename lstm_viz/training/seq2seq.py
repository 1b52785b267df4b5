"""Training an encoder-decoder (lstm_viz.models.seq2seq) with teacher forcing.

A small dedicated loop: the Trainer serves one-sequence-in, one-prediction-per-step models, while
an encoder-decoder reads one sequence and writes another. Fixed epochs, fresh examples per epoch
drawn from fixed seeds, AdamW, cross-entropy over the target characters and the end token; the
model with the best validation exact match is kept. Same seed, same thread count: same weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from lstm_viz.models.seq2seq import Seq2Seq


@dataclass
class Seq2SeqResult:
    """What training did: the best validation exact match, when it was reached, the time."""

    best_exact_match: float
    best_epoch: int
    steps: int
    seconds: float  # training only (validation excluded)
    history: list[dict[str, float]] = field(default_factory=list)


def target_batch(model: Seq2Seq, targets: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(decoder input [B, T+1] starting with <s>, decoder target [B, T+1] ending with </s>;
    padding 0 in both)."""
    ids = {t: i for i, t in enumerate(model.config.target_tokens)}
    longest = max(len(t) for t in targets) + 1
    inputs = torch.zeros(len(targets), longest, dtype=torch.long)
    outputs = torch.zeros(len(targets), longest, dtype=torch.long)
    for row, text in enumerate(targets):
        chars = [ids[c] for c in text]
        inputs[row, : len(chars) + 1] = torch.tensor([1, *chars])
        outputs[row, : len(chars) + 1] = torch.tensor([*chars, 2])
    return inputs, outputs


def exact_match(model: Seq2Seq, pairs: Sequence[tuple[str, str]], batch_size: int = 512) -> float:
    """The fraction of (source, target) pairs whose greedy output equals the target exactly."""
    model.eval()
    outputs = model.translate([s for s, _ in pairs], batch_size)
    return sum(o == t for o, (_, t) in zip(outputs, pairs, strict=True)) / len(pairs)


def train_seq2seq(
    model: Seq2Seq,
    train_pairs: Callable[[int], Sequence[tuple[str, str]]],
    validation_pairs: Sequence[tuple[str, str]],
    *,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    seed: int = 0,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    on_step: Callable[[int, int, float], None] | None = None,
) -> Seq2SeqResult:
    """Train ``model`` in place for ``epochs`` epochs; ``train_pairs(epoch)`` gives that epoch's
    (source, target) pairs. Leaves the best validation weights in ``model``. ``on_step(step,
    total steps, loss)`` after every batch, ``on_epoch(row)`` after every validation."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    loss_fn = nn.CrossEntropyLoss(ignore_index=0)
    best, best_epoch, best_state = -1.0, 0, None
    steps, seconds, history = 0, 0.0, []
    for epoch in range(1, epochs + 1):
        pairs = list(train_pairs(epoch))
        order = torch.randperm(len(pairs), generator=generator).tolist()
        model.train()
        started = time.perf_counter()
        total = 0.0
        for start in range(0, len(order), batch_size):
            chunk = [pairs[i] for i in order[start : start + batch_size]]
            source, lengths = model.encode([s for s, _ in chunk])
            target_in, target_out = target_batch(model, [t for _, t in chunk])
            logits = model(source, lengths, target_in)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), target_out.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += float(loss.detach())
            steps += 1
            if on_step:
                on_step(steps, epochs * -(-len(order) // batch_size), float(loss.detach()))
        seconds += time.perf_counter() - started
        score = exact_match(model, validation_pairs)
        row = {
            "epoch": epoch,
            "loss": total / max(1, -(-len(order) // batch_size)),
            "exact_match": score,
            "seconds": seconds,
        }
        history.append(row)
        if on_epoch:
            on_epoch(row)
        if score > best:
            best, best_epoch = score, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return Seq2SeqResult(best, best_epoch, steps, seconds, history)
