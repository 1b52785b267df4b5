"""Recording an LSTM autoencoder (``lstm_viz.models.autoencoder``) into an EncoderDecoderRecording.

The encoder is an ordinary nn.LSTM: ``record()`` records it (fused kernel, exact). The decoder
runs one step at a time here; each step's gates are computed from its weights (PyTorch's gate
order i, f, g, o) and its input is the previous true value, its own output fed back or the
encoder's final state (``feedback``), as the model's forward does (a test compares both with a
plain nn.LSTMCell loop).

The decoder trace is stored by **input position**, like a backward direction: with
``reverse=True`` the decoder's first step reconstructs the last position, and its gates sit at
that position's time index, so encoder and decoder heatmaps line up on one step axis
(``config["decoding_order"]`` says which way it ran).
"""

from __future__ import annotations

import torch

from lstm_viz.models.autoencoder import LSTMAutoencoder
from lstm_viz.recording.encoder_decoder import EncoderDecoderRecording
from lstm_viz.recording.recorder import record
from lstm_viz.trace import RECORDED_NAMES, Trace


@torch.no_grad()
def record_autoencoder(model: LSTMAutoencoder, windows: torch.Tensor) -> EncoderDecoderRecording:
    """Record the encoder and decoder on ``windows`` [B, T, F] (or [B, T]), in the signal's units.

    Returns an EncoderDecoderRecording with extras "input" and "reconstruction" [B, T, F] (the
    signal's units), "error" [B, T] (absolute error, summed over features) and "code" [B, b]
    (what the decoder is given: the bottleneck, or the encoder's final h and c). ValueError for a
    wrong feature size, an empty window or non-finite values.
    """
    x = windows[..., None] if windows.dim() == 2 else windows
    config = model.config
    if x.dim() != 3 or x.shape[2] != config.input_size:
        raise ValueError(
            f"windows of shape {tuple(windows.shape)} do not fit a model of "
            f"{config.input_size} value(s) per step: give [batch, steps, {config.input_size}]"
        )
    if x.shape[1] < 1 or x.shape[0] < 1:
        raise ValueError("the windows are empty: give at least one step")
    if not torch.isfinite(x).all():
        raise ValueError("the windows hold NaN or infinite values")
    x = x.float()
    z = model.normalize(x)  # [B, T, F]
    (_, (h, c)), encoder = record(model.encoder, z)
    (h, c), repeat, code = model.begin(z)  # the same encoder run, through the bottleneck if any
    batch, steps = z.shape[:2]
    w_ih, w_hh = model.decoder.weight_ih_l0, model.decoder.weight_hh_l0
    bias = model.decoder.bias_ih_l0 + model.decoder.bias_hh_l0
    h, c = h[0], c[0]  # [B, H]
    y = z.new_zeros(batch, config.input_size)
    given = model.decoder_inputs(z, repeat) if config.feedback != "output" else None  # [B, T, .]
    rows = {name: [] for name in RECORDED_NAMES["lstm"]}
    outputs = []
    for k in range(steps):
        if given is not None:
            y = given[:, k]
        gates = y @ w_ih.T + h @ w_hh.T + bias  # [B, 4H]
        i, f, g, o = gates.chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        y = model.head(h)  # [B, F]
        for name, value in zip(rows, (i, f, g, o, c, h), strict=True):
            rows[name].append(value)
        outputs.append(y)
    order = "last step first" if config.reverse else "first step first"

    def by_position(values: list[torch.Tensor]) -> torch.Tensor:
        stacked = torch.stack(values, dim=1)  # [B, T, ...] in decoding order
        return stacked.flip(1) if config.reverse else stacked

    decoder = Trace(
        "lstm",
        {name: by_position(v)[None, None].contiguous() for name, v in rows.items()},
        torch.full((batch,), steps, dtype=torch.int64),
        None,
        {
            "kind": "lstm",
            "name": "decoder",
            "input_size": model.decoder.input_size,
            "hidden_size": config.hidden_size,
            "num_layers": 1,
            "bidirectional": False,
            "decoding_order": order,
        },
    )
    reconstruction = model.denormalize(by_position(outputs))  # [B, T, F]
    error = (reconstruction - x).abs().sum(-1)  # [B, T]
    return EncoderDecoderRecording(
        encoder,
        decoder,
        {"input": x, "reconstruction": reconstruction, "error": error, "code": code},
        None,
        {"family": "autoencoder", "reverse": config.reverse, "decoding_order": order},
    )
