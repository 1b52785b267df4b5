"""The LSTM autoencoder's recording: both traces exact against a plain PyTorch step loop written
here (nn.LSTMCell with the model's weights), and the reconstruction equal to the model's own."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_viz.models.autoencoder import AutoencoderConfig, LSTMAutoencoder
from lstm_viz.recording.autoencoder import record_autoencoder
from lstm_viz.recording.encoder_decoder import EncoderDecoderRecording


def cell_like(lstm: nn.LSTM) -> nn.LSTMCell:
    cell = nn.LSTMCell(lstm.input_size, lstm.hidden_size)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(lstm, f"{name}_l0"))
    return cell


@torch.no_grad()
def reference(model: LSTMAutoencoder, x: torch.Tensor):
    """Every gate and state by hand: nn.LSTMCell steps, gates from the cell's own weights."""
    config = model.config
    z = (x - config.mean) / config.std
    batch, steps, _ = z.shape
    h = c = torch.zeros(batch, config.hidden_size)

    def gates(cell, inp, h, c):
        pre = inp @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
        i, f, g, o = pre.chunk(4, 1)
        return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)

    enc, dec = cell_like(model.encoder), cell_like(model.decoder)
    encoder = {k: [] for k in ("i", "f", "g", "o", "c", "h")}
    for t in range(steps):
        i, f, g, o = gates(enc, z[:, t], h, c)
        h, c = enc(z[:, t], (h, c))
        for k, v in zip(encoder, (i, f, g, o, c, h), strict=True):
            encoder[k].append(v)
    if config.bottleneck:  # the code, by hand from the two linear layers' weights
        sq, ex = model.squeeze, model.expand
        code = torch.tanh(torch.cat([h, c], 1) @ sq.weight.T + sq.bias)
        h, c = (code @ ex.weight.T + ex.bias).chunk(2, 1)
        h = torch.tanh(h)
    code = h  # what "repeat" feeds at every step
    if config.start == "zeros":  # Keras' layout: the decoder starts from zeros
        h, c = torch.zeros_like(h), torch.zeros_like(c)
    order = list(range(steps))[::-1] if config.reverse else list(range(steps))
    decoder = {k: [None] * steps for k in encoder}
    out = torch.zeros(batch, steps, config.input_size)
    y = torch.zeros(batch, config.input_size)
    decoded = []
    for position in order:
        if config.feedback == "repeat":
            y = code
        elif config.feedback == "signal":  # the value decoded `lag` steps ago, zeros before
            lag = config.lag
            y = z[:, decoded[-lag]] if len(decoded) >= lag else torch.zeros(batch, 1)
        i, f, g, o = gates(dec, y, h, c)
        h, c = dec(y, (h, c))
        y = model.head(h)
        out[:, position] = y
        for k, v in zip(decoder, (i, f, g, o, c, h), strict=True):
            decoder[k][position] = v
        decoded.append(position)
    stack = lambda d: {k: torch.stack(v, 1) for k, v in d.items()}  # noqa: E731
    return stack(encoder), stack(decoder), out * config.std + config.mean


NAMES = dict(i="input_gate", f="forget_gate", g="candidate", o="output_gate", c="cell", h="hidden")


@pytest.mark.parametrize(
    "feedback, reverse, bottleneck, lag, start",
    [
        ("signal", True, 0, 1, "encoder"),
        ("signal", False, 3, 2, "encoder"),
        ("signal", True, 3, 3, "encoder"),
        ("output", True, 0, 1, "encoder"),
        ("output", False, 2, 1, "encoder"),
        ("repeat", True, 0, 1, "encoder"),
        ("repeat", True, 3, 1, "encoder"),
        ("repeat", False, 0, 1, "zeros"),
    ],
)
def test_both_traces_match_a_plain_step_loop(feedback, reverse, bottleneck, lag, start):
    torch.manual_seed(0)
    config = AutoencoderConfig(
        hidden_size=5,
        window=7,
        reverse=reverse,
        feedback=feedback,
        bottleneck=bottleneck,
        lag=lag,
        start=start,
        mean=0.3,
        std=2.0,
    )
    model = LSTMAutoencoder(config).eval()
    x = torch.randn(3, 7, 1)
    recording = record_autoencoder(model, x)
    assert isinstance(recording, EncoderDecoderRecording)
    encoder, decoder, out = reference(model, x)
    for short, name in NAMES.items():
        torch.testing.assert_close(recording.encoder[name][0, 0], encoder[short], atol=1e-6, rtol=0)
        torch.testing.assert_close(recording.decoder[name][0, 0], decoder[short], atol=1e-6, rtol=0)
    torch.testing.assert_close(recording["reconstruction"], out, atol=1e-6, rtol=0)
    assert recording["code"].shape == (3, bottleneck or 10)
    # the model's own forward (fused decoder for feedback="signal") agrees too
    torch.testing.assert_close(model.reconstruct(x), out, atol=1e-5, rtol=0)
    torch.testing.assert_close(recording["error"], (out - x).abs()[..., 0], atol=1e-6, rtol=0)
    assert recording.decoder.config["decoding_order"] == (
        "last step first" if reverse else "first step first"
    )


def test_a_wrong_decoder_order_would_be_caught():
    """The comparison above can fail: a decoder trace stored in decoding order differs."""
    torch.manual_seed(1)
    model = LSTMAutoencoder(AutoencoderConfig(hidden_size=4, window=6)).eval()
    x = torch.randn(2, 6, 1)
    recording = record_autoencoder(model, x)
    _, decoder, _ = reference(model, x)
    assert not torch.allclose(recording.decoder.forget_gate[0, 0].flip(1), decoder["f"], atol=1e-3)


def test_bad_windows_are_clear_errors():
    model = LSTMAutoencoder(AutoencoderConfig(hidden_size=3, window=4)).eval()
    with pytest.raises(ValueError, match="do not fit"):
        record_autoencoder(model, torch.zeros(1, 4, 2))
    with pytest.raises(ValueError, match="NaN"):
        record_autoencoder(model, torch.full((1, 4), float("nan")))
