"""record_seq2seq(): record an encoder-decoder with attention (lstm_viz.models.seq2seq.Seq2Seq).

    recording = record_seq2seq(model, ["3rd of March 2021"])
    recording.encoder          # Trace of the encoder LSTM/GRU (lstm_viz.record), tokens = chars
    recording.decoder          # Trace of the decoder's LSTMCell, one step per generated token
    recording["attention"]     # [batch, target_step, source_step]
    recording.generated        # [["2", "0", "2", "1", "-", ..., "</s>"]]

The encoder is recorded by :func:`lstm_viz.record` (its own fused kernel, packed). The decoder
runs step by step; at each step its gates are computed from the cell's own weights and input
(i, f, g, o = chunks of W_ih x + b_ih + W_hh h + b_hh, PyTorch's order) while the cell and hidden
states recorded are the ``nn.LSTMCell``'s own outputs, so the decoding is the model's.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lstm_viz.models.seq2seq import END, Seq2Seq, next_token
from lstm_viz.recording.encoder_decoder import EncoderDecoderRecording
from lstm_viz.recording.recorder import record
from lstm_viz.trace import RECORDED_NAMES, Trace


@torch.no_grad()
def record_seq2seq(
    model: Seq2Seq,
    texts: Sequence[str],
    *,
    targets: Sequence[str] | None = None,
) -> EncoderDecoderRecording:
    """Run ``model`` on ``texts`` (greedy decoding, or teacher-forced ``targets``) and record it.

    Returns an EncoderDecoderRecording whose extras are ``attention`` [B, T, S] (rows sum to 1 on
    real target steps, 0 on padded source steps and on target steps past a sequence's end) and
    ``context`` [B, T, encoder_size]; ``generated`` lists each sequence's tokens up to and
    including ``</s>``; the decoder Trace has one step per generated token (NaN past the end).
    ValueError for an empty input or mismatched targets.
    """
    texts = list(texts)
    source, lengths = model.encode(texts)
    was_training = model.training
    model.eval()
    try:
        (outputs, final), encoder = record(
            model.encoder,
            source,
            tokens=[list(t) for t in texts],
            forward_kwargs={"lengths": lengths},
        )
        return _decode(model, texts, source, lengths, outputs, final, encoder, targets)
    finally:
        model.train(was_training)


def _decode(model, texts, source, lengths, outputs, final, encoder, targets):
    config = model.config
    batch = source.shape[0]
    keys, mask, state = model.start(outputs, final, lengths)
    target_ids = _target_ids(model, targets, batch) if targets is not None else None
    steps = target_ids.shape[1] if target_ids is not None else config.max_target_length
    cell = model.cell
    token = torch.full((batch,), 1, dtype=torch.long)
    done = torch.zeros(batch, dtype=torch.bool)
    end_at = torch.full((batch,), steps, dtype=torch.long)
    inputs, previous, cells, hiddens = [], [], [], []  # per step: the cell's input and states
    attention, context, produced = [], [], []
    for t in range(steps):
        previous.append(state[0])
        logits, state, weights, ctx, cell_input = model.step(token, state, keys, outputs, mask)
        inputs.append(cell_input)
        hiddens.append(state[0])
        cells.append(state[1])
        attention.append(weights)
        context.append(ctx)
        chosen = next_token(logits) if target_ids is None else target_ids[:, t]
        produced.append(chosen)
        newly = (chosen == 2) & ~done
        end_at[newly] = t + 1
        done |= newly
        token = chosen
        if target_ids is None and bool(done.all()):
            break
    taken = len(produced)
    end_at = end_at.clamp(max=taken)
    real = torch.arange(taken)[None, :] < end_at[:, None]  # [B, T]
    # The gates of every step at once, from the inputs and states the steps used (nn.LSTMCell's
    # equations, PyTorch's documentation): one product instead of one per step.
    gates = torch.stack(inputs, 1) @ cell.weight_ih.T + torch.stack(previous, 1) @ cell.weight_hh.T
    i, f, g, o = (gates + (cell.bias_ih + cell.bias_hh)).chunk(4, dim=-1)  # [B, T, D] each
    parts = (i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid())
    parts += (torch.stack(cells, 1), torch.stack(hiddens, 1))
    values = {
        name: part.masked_fill(~real[..., None], float("nan"))[None, None].contiguous()
        for name, part in zip(RECORDED_NAMES["lstm"], parts, strict=True)
    }
    generated = [
        [config.target_tokens[i] for i in row[: int(n)]]
        for row, n in zip(torch.stack(produced, 1).tolist(), end_at, strict=True)
    ]
    decoder = Trace(
        "lstm",
        values,
        end_at.clone(),
        generated,
        {
            "module": "cell",
            "kind": "lstm",
            "input_size": cell.input_size,
            "hidden_size": cell.hidden_size,
            "proj_size": 0,
            "num_layers": 1,
            "bidirectional": False,
            "bias": True,
            "batch_first": True,
            "dropout": 0.0,
        },
    )
    extras = {
        "attention": torch.stack(attention, 1) * real[..., None],
        "context": torch.stack(context, 1) * real[..., None],
    }
    summary = {k: v for k, v in config.to_json().items() if not k.endswith("_tokens")}
    summary["texts"] = texts
    return EncoderDecoderRecording(encoder, decoder, extras, generated, summary)


def _target_ids(model: Seq2Seq, targets: Sequence[str], batch: int) -> torch.Tensor:
    """Teacher-forced ids [B, T] (each target's characters then </s>, padded with </s>)."""
    if len(targets) != batch:
        raise ValueError(f"got {len(targets)} targets for {batch} inputs")
    ids = {t: i for i, t in enumerate(model.config.target_tokens)}
    missing = sorted({ch for text in targets for ch in text if ch not in ids})
    if missing:
        raise ValueError(f"targets hold characters the model cannot produce: {missing}")
    longest = max(len(t) for t in targets) + 1
    out = torch.full((batch, longest), 2, dtype=torch.long)
    for row, text in enumerate(targets):
        if text:
            out[row, : len(text)] = torch.tensor([ids[ch] for ch in text])
    return out


def generated_text(tokens: Sequence[str]) -> str:
    """The text of one sequence's generated tokens (without the end token)."""
    return "".join(t for t in tokens if t != END)
