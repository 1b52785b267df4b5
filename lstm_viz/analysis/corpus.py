"""A corpus to analyse: a model's recording over many sequences, with their tokens and features.

    corpus = record_corpus(model, task=make_task("dyck"), max_steps=20_000)
    corpus.trace       # one Trace, [layer, direction, sequence, time, unit], NaN past each end
    corpus.tokens      # the tokens of each sequence, as the model read them
    corpus.hidden      # [sequence, time] the task's known hidden variable (NaN on padding)

Sequences are recorded in batches (``batch_size``) and joined into one Trace, padded with NaN
to the longest. ``max_steps`` caps the real steps recorded: whole sequences are taken in order
until the next one would pass it (the first one is cut if it alone is longer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lstm_viz.models.vocab import Vocab
from lstm_viz.recording.recorder import record

from ..trace import Trace

DEFAULT_MAX_STEPS = 50_000
DEFAULT_CHUNK = 200  # tokens per sequence when a user's text is cut into sequences


@dataclass(frozen=True)
class Corpus:
    """What a model did on many sequences (see the module docstring)."""

    trace: Trace
    tokens: list[list[str]]  # per sequence, one label per real step
    hidden: np.ndarray | None  # [B, T] float32 the task's hidden variable, NaN on padding
    hidden_name: str | None  # e.g. "depth"
    inputs: torch.Tensor  # [B, T] ids or [B, T, F] numbers, padded with 0
    level: str = "char"  # "char", "word" or "numeric": how the tokens were split

    @property
    def lengths(self) -> torch.Tensor:
        return self.trace.lengths

    @property
    def num_steps(self) -> int:
        """Real (unpadded) steps recorded."""
        return int(self.trace.lengths.sum())


def record_corpus(
    model: nn.Module,
    task=None,
    *,
    texts: Sequence[str] | None = None,
    vocab: Vocab | None = None,
    split: str = "validation",
    max_steps: int = DEFAULT_MAX_STEPS,
    batch_size: int = 64,
    chunk: int = DEFAULT_CHUNK,
    device: str | torch.device = "cpu",
    progress: Callable[[float], None] | None = None,
) -> Corpus:
    """Record ``model`` (a SequenceModel: embedding/linear -> recurrent core -> head) over its
    task's ``split`` or over ``texts`` (cut into sequences of ``chunk`` tokens by ``vocab``).

    ``progress(fraction)`` is called after each batch. ValueError for no data, or text the
    vocabulary reads as nothing.
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    if (task is None) == (texts is None):
        raise ValueError("record_corpus needs a task or texts (exactly one)")
    batches = (
        _task_batches(task, split, max_steps, batch_size)
        if task is not None
        else _text_batches(texts, vocab, max_steps, batch_size, chunk)
    )
    level = "numeric"
    if task is not None and task.vocab is not None:
        level = task.vocab.level
    elif vocab is not None:
        level = vocab.level
    token_vocab = task.vocab if task is not None else vocab

    device = torch.device(device)
    if device.type != "cpu":  # a model may be shared (a web app's cache): move a copy, once
        import copy

        model = copy.deepcopy(model).to(device)
    traces, tokens, hidden, inputs = [], [], [], []
    total = sum(int(b[1].sum()) for b in batches)
    done = 0
    for ids, lengths, batch_hidden in batches:
        trace = _record_batch(model, ids, lengths, device)
        traces.append(trace)
        inputs.append(ids)
        hidden.append(batch_hidden)
        for b in range(ids.shape[0]):
            n = int(lengths[b])
            if token_vocab is not None:
                tokens.append(token_vocab.decode(ids[b, :n].tolist()))
            else:
                tokens.append([" ".join(f"{v:.3g}" for v in row) for row in ids[b, :n].tolist()])
        done += int(lengths.sum())
        if progress is not None:
            progress(done / max(total, 1))
    if not traces:
        raise ValueError("there is nothing to record: the data has no sequences")

    trace = concat_traces(traces)
    steps = trace.num_steps
    joined_hidden = None
    if any(h is not None for h in hidden):
        joined_hidden = np.full((trace.batch_size, steps), np.nan, dtype=np.float32)
        row = 0
        for h, ids in zip(hidden, inputs, strict=True):
            if h is not None:
                joined_hidden[row : row + h.shape[0], : h.shape[1]] = h.numpy()
            row += ids.shape[0]
        valid = np.arange(steps)[None] < trace.lengths.numpy()[:, None]
        joined_hidden[~valid] = np.nan
    trace = Trace(trace.kind, trace.values, trace.lengths, tokens, trace.config)
    return Corpus(
        trace,
        tokens,
        joined_hidden,
        getattr(task, "hidden_variable", None) if joined_hidden is not None else None,
        _pad_cat(inputs, steps),
        level,
    )


def _task_batches(task, split: str, max_steps: int, batch_size: int):
    """Whole sequences in order while they fit in ``max_steps`` (the first one may be cut)."""
    batches, used = [], 0
    for batch in task.batches(split, batch_size, shuffle=False):
        lengths = []
        for n in batch.lengths.tolist():
            if used + n > max_steps:
                if used == 0:
                    lengths.append(max_steps)
                    used = max_steps
                break
            lengths.append(n)
            used += n
        if lengths:
            keep, steps = len(lengths), max(lengths)
            hidden = None if batch.hidden is None else batch.hidden[:keep, :steps].clone()
            batches.append(
                (batch.inputs[:keep, :steps], torch.tensor(lengths, dtype=torch.int64), hidden)
            )
        if len(lengths) < batch.lengths.shape[0]:
            break
    return batches


def _text_batches(texts, vocab: Vocab | None, max_steps: int, batch_size: int, chunk: int):
    if vocab is None:
        raise ValueError("reading text needs the model's vocabulary (a token model)")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    pieces = []
    used = 0
    for text in texts:
        ids = vocab.encode(text)[: max_steps - used]
        used += len(ids)
        pieces += [ids[s : s + chunk] for s in range(0, len(ids), chunk)]
        if used >= max_steps:
            break
    if not pieces:
        what = "characters" if vocab.level == "char" else "words"
        raise ValueError(f"the text is empty: type some text (the model reads {what})")
    batches = []
    for start in range(0, len(pieces), batch_size):
        group = pieces[start : start + batch_size]
        lengths = torch.tensor([len(p) for p in group], dtype=torch.int64)
        ids = torch.zeros(len(group), int(lengths.max()), dtype=torch.int64)
        for b, p in enumerate(group):
            ids[b, : len(p)] = torch.tensor(p, dtype=torch.int64)
        batches.append((ids, lengths, None))
    return batches


def _record_batch(model: nn.Module, inputs: torch.Tensor, lengths: torch.Tensor, device) -> Trace:
    """One padded batch through the model; steps past each length set to NaN."""
    _, trace = record(model, inputs.to(device), forward_kwargs={"lengths": lengths.to(device)})
    if isinstance(trace, dict):
        raise ValueError("the model runs more than one recurrent module; analyse one at a time")
    steps = trace.num_steps
    padded = torch.arange(steps)[None, :] >= lengths[:, None]  # [B, T]
    values = {
        name: v.masked_fill(padded[None, None, :, :, None], float("nan"))
        for name, v in trace.values.items()
    }
    return Trace(trace.kind, values, lengths.clone(), None, trace.config)


def concat_traces(traces: Sequence[Trace]) -> Trace:
    """Join traces of one module along the batch, padding time with NaN to the longest."""
    first = traces[0]
    steps = max(t.num_steps for t in traces)
    values = {}
    for name in first.names:
        parts = []
        for t in traces:
            v = t[name]
            if v.shape[3] < steps:
                pad = torch.full(
                    (*v.shape[:3], steps - v.shape[3], v.shape[4]), float("nan"), dtype=v.dtype
                )
                v = torch.cat([v, pad], dim=3)
            parts.append(v)
        values[name] = torch.cat(parts, dim=2)
    lengths = torch.cat([t.lengths for t in traces])
    tokens = None
    if all(t.tokens is not None for t in traces):
        tokens = [seq for t in traces for seq in t.tokens]
    return Trace(first.kind, values, lengths, tokens, dict(first.config))


def _pad_cat(inputs: list[torch.Tensor], steps: int) -> torch.Tensor:
    padded = []
    for x in inputs:
        if x.shape[1] < steps:
            shape = (x.shape[0], steps - x.shape[1], *x.shape[2:])
            x = torch.cat([x, torch.zeros(shape, dtype=x.dtype)], dim=1)
        padded.append(x)
    return torch.cat(padded)


def span_text(
    tokens: Sequence[str], start: int, stop: int, context: int = 8, joiner: str | None = None
) -> str:
    """The tokens of steps start..stop-1 in «guillemets», with ``context`` tokens either side.
    ``joiner``: "" for characters, " " for words; None guesses from the tokens' lengths."""
    left = tokens[max(0, start - context) : start]
    inside = tokens[start:stop]
    right = tokens[stop : stop + context]
    if joiner is None:
        joiner = "" if all(len(t) == 1 for t in [*left, *inside, *right]) else " "
    parts = [joiner.join(left), f"«{joiner.join(inside)}»", joiner.join(right)]
    return joiner.join(p for p in parts if p)
