"""FrameModel: a stacked ConvLSTM that reads frames and predicts the next one at every step.

    model = FrameModel(FrameModelConfig(hidden_channels=8, num_layers=2))
    prediction, state = model(frames)   # frames [B, T, C, H, W] -> prediction [B, T, C, H, W]

prediction[:, t] is the model's guess of frame t+1 after reading frames 0..t: frame t plus a
1 x 1 convolution of the last layer's h_t (the change it expects), clipped to [0, 1]. The head
starts at zero, so an untrained model copies the last frame (the baseline it must beat).
Saved and loaded as a checkpoint like a SequenceModel (``cell`` "conv_lstm" in config.json's
"model" section tells them apart).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from lstm_viz.recording.conv_lstm import ConvLSTM


@dataclass(frozen=True)
class FrameModelConfig:
    """Everything needed to rebuild a FrameModel; saved as the "model" part of config.json."""

    cell: str = "conv_lstm"  # always: what tells a frame model's config from a SequenceModel's
    input_channels: int = 1  # channels per frame
    hidden_channels: int = 8  # channels of every gate and state map, per layer
    kernel_size: int = 5  # square convolution kernels (input and recurrent), padding "same"
    num_layers: int = 1
    objective: str = "next_frame"

    def __post_init__(self) -> None:
        problems = []
        if self.cell != "conv_lstm":
            problems.append(f"cell must be 'conv_lstm', got {self.cell!r}")
        if self.objective != "next_frame":
            problems.append(f"objective must be 'next_frame', got {self.objective!r}")
        for name, low, high in (
            ("input_channels", 1, 64),
            ("hidden_channels", 1, 256),
            ("kernel_size", 1, 15),
            ("num_layers", 1, 8),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                problems.append(f"{name} must be a whole number in [{low}, {high}], got {value!r}")
        if problems:
            raise ValueError("; ".join(problems))

    # What pages read off every model config.
    @property
    def bidirectional(self) -> bool:
        return False

    @property
    def hidden_size(self) -> int:
        """Channels per layer (units are channels x height x width, known per recording)."""
        return self.hidden_channels

    @property
    def vocab_size(self) -> int:
        return 0

    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        k, c = self.kernel_size, self.hidden_channels
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(self.num_layers):
            inputs = self.input_channels if layer == 0 else c
            shapes[f"rnn.weight_ih_l{layer}"] = (4 * c, inputs, k, k)
            shapes[f"rnn.weight_hh_l{layer}"] = (4 * c, c, k, k)
            shapes[f"rnn.bias_l{layer}"] = (4 * c,)
        shapes["head.weight"] = (self.input_channels, c, 1, 1)
        shapes["head.bias"] = (self.input_channels,)
        return shapes

    def num_parameters(self) -> int:
        return sum(math.prod(s) for s in self.state_shapes().values())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FrameModelConfig:
        if not isinstance(data, dict):
            raise ValueError(f"the model settings must be an object, got {type(data).__name__}")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown frame-model settings {sorted(unknown)}")
        return cls(**data)


def is_frame_config(data: Any) -> bool:
    """A checkpoint's "model" section describes a FrameModel."""
    return isinstance(data, dict) and data.get("cell") == "conv_lstm"


class FrameModel(nn.Module):
    """ConvLSTM -> 1 x 1 convolution -> added to the frame just read: the next frame.

    forward(frames [B, T, C, H, W] in [0, 1], state None or (h0, c0) [L, B, ch, H, W])
      -> (prediction [B, T, C, H, W], (h_n, c_n)).
    """

    def __init__(self, config: FrameModelConfig) -> None:
        super().__init__()
        self.config = config
        self.rnn = ConvLSTM(
            config.input_channels, config.hidden_channels, config.kernel_size, config.num_layers
        )
        self.head = nn.Conv2d(config.hidden_channels, config.input_channels, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, frames: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        out, state = self.rnn(frames, state)  # [B, T, ch, H, W]
        batch, steps = out.shape[:2]
        change = self.head(out.flatten(0, 1)).view(batch, steps, *frames.shape[2:])
        return (frames + change).clamp(0.0, 1.0), state  # the frame just read, changed

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
