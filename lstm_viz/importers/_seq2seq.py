"""Recognising an encoder-decoder in a state dict of the common tutorial layout:
``encoder.embedding``, ``encoder.lstm|gru``, ``decoder.embedding``, ``decoder.attention|attn``,
``decoder.lstm|gru``, ``decoder.out`` (under any outer prefix, e.g. ``encoder_state_dict.``).

The attention is told from the shapes of the decoder's attention parameters, never from their
names alone: none (dot attention, or no attention), one [D, E] matrix (Luong's general), a
vector v with one or two matrices (Bahdanau's additive), a [max_length, 2H] matrix (the PyTorch
tutorial's location-based attention over a fixed length). When the shapes fit none of these, the
note says so and names what it found. Each recurrent layer is still recorded on its own (the
Upload page lists them); this note says how they belong together.
"""

from __future__ import annotations

import re

import torch

_RNN = re.compile(r"^(?P<prefix>.*?)(?P<rnn>[^.]+)\.weight_hh_l0$")


def _side(key: str) -> str | None:
    for segment in key.lower().split("."):
        if "encoder" in segment:
            return "encoder"
        if "decoder" in segment:
            return "decoder"
    return None


def recognise_encoder_decoder(tensors: dict[str, torch.Tensor]) -> str | None:
    """One sentence describing the encoder-decoder in ``tensors``, or None when it is not one."""
    found: dict[str, tuple[str, str, bool, int]] = {}
    for key, value in tensors.items():
        match = _RNN.match(key)
        side = _side(key)
        if not match or side is None or side in found or value.dim() != 2:
            continue
        hidden = value.shape[1]
        gates = value.shape[0] // max(hidden, 1)
        kind = {4: "LSTM", 3: "GRU", 1: "RNN"}.get(gates, f"{gates}-gate RNN")
        base = key.removesuffix(".weight_hh_l0")
        found[side] = (base, kind, f"{base}.weight_hh_l0_reverse" in tensors, hidden)
    if set(found) != {"encoder", "decoder"}:
        return None
    encoder, decoder = found["encoder"], found["decoder"]
    attention = {
        k: tuple(v.shape)
        for k, v in tensors.items()
        if _side(k) == "decoder" and re.search(r"(^|\.)(attn|attention)[^.]*\.", k.lower())
    }
    encoder_size = encoder[3] * (2 if encoder[2] else 1)
    kind = attention_kind(attention, decoder[3], encoder_size)
    directions = "bidirectional " if encoder[2] else ""
    return (
        f"This file looks like an encoder-decoder: encoder {directions}{encoder[1]} "
        f"`{encoder[0]}` ({encoder[3]} units), decoder {decoder[1]} `{decoder[0]}` "
        f"({decoder[3]} units); attention: {kind}. Each recurrent layer is recorded on its own "
        "here (pick it below); lstm-viz's own encoder-decoders (python -m lstm_viz generate, "
        "Explore's attention view) are trained in lstm-viz."
    )


def attention_kind(shapes: dict[str, tuple[int, ...]], decoder: int, encoder: int) -> str:
    """The attention told from its parameters' shapes (name -> shape)."""
    if not shapes:
        return (
            "no attention parameters: dot-product attention (Luong) or none; the shapes cannot "
            "tell these apart"
        )
    matrices = [s for s in shapes.values() if len(s) == 2]
    vectors = [s for k, s in shapes.items() if len(s) == 1 and not k.endswith("bias")]
    ones = [s for s in matrices if 1 in s]
    if (vectors or ones) and len(matrices) - len(ones) in (1, 2):
        return "additive (Bahdanau), told from a score vector v beside its W and U matrices"
    if len(matrices) == 1 and matrices[0] in ((decoder, encoder), (encoder, decoder)):
        return f"general (Luong), told from one {matrices[0][0]} x {matrices[0][1]} matrix"
    if len(matrices) == 1 and matrices[0][1] == 2 * decoder:
        return (
            f"location-based over a fixed length of {matrices[0][0]} steps (the PyTorch "
            "tutorial's AttnDecoderRNN), told from a [max_length, 2 x hidden] matrix"
        )
    named = ", ".join(f"{k} {list(s)}" for k, s in list(shapes.items())[:4])
    return f"not told from the shapes ({named}): additive, general or concat, say which"
