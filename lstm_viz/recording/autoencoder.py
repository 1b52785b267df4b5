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
    (_, final), encoder = record(model.encoder, z)
    (h, c), repeat, code = model.begin(z, final)  # through the bottleneck if any
    if config.feedback != "output":  # the decoder's inputs are known: one fused recording
        given = model.decoder_inputs(z, repeat)  # [B, T, .], decoding order
        (out, _), recorded = record(model.decoder, given, initial_state=(h, c))
        rows = {name: v[0, 0] for name, v in recorded.values.items()}  # [B, T, H] each
        outputs = model.head(out)  # [B, T, F]
    else:
        rows, outputs = _decode_own_output(model, h[0], c[0], z.shape)
    # rows and outputs are in decoding order
    batch, steps = z.shape[:2]
    order = "last step first" if config.reverse else "first step first"

    def by_position(values: torch.Tensor) -> torch.Tensor:  # [B, T, ...] in input order
        return values.flip(1) if config.reverse else values

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


def _decode_own_output(model: LSTMAutoencoder, h: torch.Tensor, c: torch.Tensor, shape):
    """feedback="output": each step reads the previous step's reconstruction, so the decoder
    runs step by step (the LSTM equations of nn.LSTM, PyTorch's documentation). ({name:
    [B, T, H]}, the reconstruction [B, T, F]), in decoding order."""
    batch, steps, features = shape
    w_ih, w_hh = model.decoder.weight_ih_l0, model.decoder.weight_hh_l0
    bias = model.decoder.bias_ih_l0 + model.decoder.bias_hh_l0
    y = h.new_zeros(batch, features)
    rows = {name: [] for name in RECORDED_NAMES["lstm"]}
    outputs = []
    for _ in range(steps):
        gates = y @ w_ih.T + h @ w_hh.T + bias  # [B, 4H]
        i, f, g, o = gates.chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        y = model.head(h)  # [B, F]
        for name, value in zip(rows, (i, f, g, o, c, h), strict=True):
            rows[name].append(value)
        outputs.append(y)
    return {k: torch.stack(v, dim=1) for k, v in rows.items()}, torch.stack(outputs, dim=1)
