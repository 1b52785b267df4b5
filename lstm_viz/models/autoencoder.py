"""An LSTM autoencoder for numeric windows (after EncDec-AD, Malhotra et al. 2016), and its folder.

    encoder LSTM reads x_1..x_T  ->  its final (h, c) starts the decoder (with ``bottleneck``
    = b > 0, through a code of b numbers: (h, c) -> Linear -> tanh -> code [b] -> Linear ->
    (h0, c0), h0 squashed by tanh; the decoder then knows only what b numbers hold)
    decoder LSTM, one step at a time: output = head(h) = the reconstruction of x_T, x_{T-1},
    ..., x_1 (``reverse=True``, as EncDec-AD: the last step is the freshest in the encoder's
    state) or x_1..x_T. Its input at each step (zeros at the first) is
      feedback="signal": the true value of the position decoded ``lag`` steps before (zeros
                          until then; lag=1 is EncDec-AD's training input). With lag=1 the
                          decoder can copy its neighbour, and a quiet stretch where a beat is
                          missing is reconstructed as quiet; with a lag longer than a QRS-T
                          complex (15 steps = 0.3 s) it must predict each beat from the rhythm
                          it has seen, so a beat that does not come is an error;
      feedback="output":  its own previous output (EncDec-AD at inference);
      feedback="repeat":  the encoder's final hidden state at every step (Keras' LSTM ->
                          RepeatVector -> LSTM layout): everything the decoder knows of the
                          window passes through the encoder's final state.

The model reads and writes values normalized by ``mean`` and ``std`` (the training signal's);
``reconstruct`` takes and returns the signal's own units. A model folder holds
``model.safetensors`` and ``config.json`` with ``"format": "lstm_viz.autoencoder"``, the model
settings, the anomaly rule (``lstm_viz.analysis.anomaly``: threshold, stride) and what it was
trained on. Folders are read through ``lstm_viz.models.folders.read_json`` (size and nesting
checked) and every weight's name and shape is checked against the config before loading;
problems are a ``CheckpointError`` (ValueError) with a one-line reason.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

from lstm_viz.models.folders import MAX_CONFIG_BYTES, CheckpointError, one_line, read_json
from lstm_viz.models.writing import created, write_folder

FORMAT = "lstm_viz.autoencoder"
WEIGHTS, CONFIG = "model.safetensors", "config.json"
FEEDBACKS = ("signal", "output", "repeat")


@dataclass(frozen=True)
class AutoencoderConfig:
    """Everything needed to rebuild an LSTMAutoencoder; the "model" part of its config.json."""

    input_size: int = 1  # values per step
    hidden_size: int = 32  # units of the encoder and of the decoder
    window: int = 64  # steps per window (the length it is trained and scored on)
    reverse: bool = True  # the decoder reconstructs the window last step first (EncDec-AD)
    feedback: str = "signal"  # the decoder's input: "signal", "output" or "repeat" (see above)
    bottleneck: int = 0  # > 0: the encoder's final state passes through a code of this size
    lag: int = 1  # feedback="signal": the decoder reads the true value this many positions back
    start: str = "encoder"  # the decoder starts from the encoder's final state, or "zeros" (Keras'
    # LSTM -> RepeatVector -> LSTM: the repeated vector is all the decoder knows of the window)
    mean: float = 0.0  # the model sees (x - mean) / std
    std: float = 1.0

    def __post_init__(self) -> None:
        problems = []
        for name, low, high in (("input_size", 1, 1000), ("hidden_size", 1, 4096)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                problems.append(f"{name} must be a whole number in [{low}, {high}], got {value!r}")
        if not isinstance(self.bottleneck, int) or not 0 <= self.bottleneck <= 4096:
            problems.append(
                f"bottleneck must be a whole number in [0, 4096], got {self.bottleneck!r}"
            )
        if self.start not in ("encoder", "zeros"):
            problems.append(f'start must be "encoder" or "zeros", got {self.start!r}')
        if not isinstance(self.lag, int) or isinstance(self.lag, bool) or self.lag < 1:
            problems.append(f"lag must be a whole number >= 1, got {self.lag!r}")
        if not isinstance(self.window, int) or not 2 <= self.window <= 10_000:
            problems.append(f"window must be a whole number in [2, 10000], got {self.window!r}")
        if self.feedback not in FEEDBACKS:
            problems.append(f"feedback must be one of {FEEDBACKS}, got {self.feedback!r}")
        if not isinstance(self.reverse, bool):
            problems.append(f"reverse must be true or false, got {self.reverse!r}")
        for name in ("mean", "std"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{name} must be a number, got {value!r}")
            elif not math.isfinite(value):
                problems.append(f"{name} must be finite, got {value!r}")
        if not problems and not self.std > 0:
            problems.append(f"std must be > 0, got {self.std}")
        if problems:
            raise ValueError("; ".join(problems))

    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        """{name: shape} of LSTMAutoencoder(self).state_dict(), computed without building it."""
        f, h = self.input_size, self.hidden_size
        shapes = {}
        for part in ("encoder", "decoder"):
            reads = h if part == "decoder" and self.feedback == "repeat" else f
            shapes[f"{part}.weight_ih_l0"] = (4 * h, reads)
            shapes[f"{part}.weight_hh_l0"] = (4 * h, h)
            shapes[f"{part}.bias_ih_l0"] = (4 * h,)
            shapes[f"{part}.bias_hh_l0"] = (4 * h,)
        if self.bottleneck:
            shapes["squeeze.weight"] = (self.bottleneck, 2 * h)
            shapes["squeeze.bias"] = (self.bottleneck,)
            shapes["expand.weight"] = (2 * h, self.bottleneck)
            shapes["expand.bias"] = (2 * h,)
        shapes["head.weight"] = (f, h)
        shapes["head.bias"] = (f,)
        return shapes

    @classmethod
    def from_json(cls, data: Any) -> AutoencoderConfig:
        if not isinstance(data, dict):
            raise ValueError(f"the model settings must be an object, got {type(data).__name__}")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown model settings {sorted(unknown)}")
        return cls(**data)


class LSTMAutoencoder(nn.Module):
    """encoder nn.LSTM -> final (h, c) -> decoder nn.LSTM -> head (see the module docstring).

    forward(x [B, T, F], normalized) -> reconstruction [B, T, F], normalized, in input order.
    """

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.config = config
        f, h = config.input_size, config.hidden_size
        self.encoder = nn.LSTM(f, h, batch_first=True)
        self.decoder = nn.LSTM(h if config.feedback == "repeat" else f, h, batch_first=True)
        self.head = nn.Linear(h, f)
        if config.bottleneck:
            self.squeeze = nn.Linear(2 * h, config.bottleneck)
            self.expand = nn.Linear(config.bottleneck, 2 * h)

    def encode(self, x: torch.Tensor) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """((h0, c0) for the decoder, each [1, B, H]; the code [B, b or 2H]) of x [B, T, F]."""
        _, (h, c) = self.encoder(x)
        return self.encoded(h, c)

    def encoded(self, h: torch.Tensor, c: torch.Tensor):
        """``encode`` from the encoder's final (h, c), each [1, B, H]."""
        if not self.config.bottleneck:
            return (h, c), torch.cat([h[0], c[0]], dim=-1)
        code = torch.tanh(self.squeeze(torch.cat([h[0], c[0]], dim=-1)))  # [B, b]
        h0, c0 = self.expand(code).chunk(2, dim=-1)
        return (torch.tanh(h0)[None].contiguous(), c0[None].contiguous()), code

    def begin(self, x: torch.Tensor, final: tuple[torch.Tensor, torch.Tensor] | None = None):
        """(the decoder's initial (h, c), each [1, B, H]; the vector "repeat" feeds it [B, H];
        the code [B, b or 2H]) of x [B, T, F]; ``final``: the encoder's final (h, c) on x when
        already known (the encoder is not run again)."""
        (h, c), code = self.encode(x) if final is None else self.encoded(*final)
        repeat = h[0]
        if self.config.start == "zeros":
            h, c = torch.zeros_like(h), torch.zeros_like(c)
        return (h, c), repeat, code

    def decoder_inputs(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """The decoder's inputs in decoding order for feedback "signal" ([B, T, F]: ``lag``
        zeros, then the value of the position decoded ``lag`` steps before) or "repeat"
        ([B, T, H]: the decoder's initial hidden state ``code`` [B, H] at every step)."""
        if self.config.feedback == "repeat":
            return code[:, None, :].expand(-1, x.shape[1], -1)
        ordered = x.flip(1) if self.config.reverse else x
        lag = min(self.config.lag, x.shape[1])
        return torch.cat([torch.zeros_like(ordered[:, :lag]), ordered[:, : x.shape[1] - lag]], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state, repeat, _ = self.begin(x)  # state: (h, c), each [1, B, H]
        if self.config.feedback != "output":
            out, _ = self.decoder(
                self.decoder_inputs(x, repeat), state
            )  # [B, T, H], decoding order
            reconstruction = self.head(out)
            return reconstruction.flip(1) if self.config.reverse else reconstruction
        y = x.new_zeros(x.shape[0], 1, x.shape[2])  # the decoder's first input [B, 1, F]
        outputs = []
        for _ in range(x.shape[1]):
            out, state = self.decoder(y, state)  # [B, 1, H]
            y = self.head(out)  # [B, 1, F]
            outputs.append(y)
        reconstruction = torch.cat(outputs, dim=1)  # [B, T, F] in decoding order
        return reconstruction.flip(1) if self.config.reverse else reconstruction

    def normalize(self, values: torch.Tensor) -> torch.Tensor:
        return (values - self.config.mean) / self.config.std

    def denormalize(self, values: torch.Tensor) -> torch.Tensor:
        return values * self.config.std + self.config.mean

    @torch.no_grad()
    def reconstruct(self, windows: torch.Tensor) -> torch.Tensor:
        """windows [B, T, F] (or [B, T] for one feature) in the signal's units -> the
        reconstruction, same shape and units."""
        squeeze = windows.dim() == 2
        x = windows[..., None] if squeeze else windows
        out = self.denormalize(self(self.normalize(x.float())))
        return out[..., 0] if squeeze else out

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


@dataclass
class Autoencoder:
    """A loaded autoencoder folder: the model (eval mode, CPU) and what config.json says.

    ``anomaly`` is the calibrated rule: {"rule", "threshold", "stride", ...}
    (lstm_viz.analysis.anomaly); empty until calibrated."""

    path: Path | None
    model: LSTMAutoencoder
    anomaly: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # task, training, metrics, recipe

    @property
    def name(self) -> str:
        return self.path.name if self.path else "autoencoder"


def is_autoencoder(path: str | Path) -> bool:
    """True when ``path`` holds a config.json whose format is an autoencoder's (never raises)."""
    try:
        config = read_json(Path(path) / CONFIG, MAX_CONFIG_BYTES)
    except (CheckpointError, OSError):
        return False
    return isinstance(config, dict) and config.get("format") == FORMAT


def save_autoencoder(directory: str | Path, autoencoder: Autoencoder) -> Path:
    """Write the folder atomically (lstm_viz.models.writing: never seen half written)."""
    model = autoencoder.model
    config = {
        "format": FORMAT,
        "version": 1,
        "model": asdict(model.config),
        "anomaly": autoencoder.anomaly,
        "created": created(),
        **autoencoder.info,
    }
    return write_folder(directory, config, model.state_dict())


def load_autoencoder(directory: str | Path) -> Autoencoder:
    """Load an autoencoder folder; CheckpointError (one line) when it is not a valid one."""
    path = Path(directory)
    if not (path / CONFIG).is_file() or not (path / WEIGHTS).is_file():
        raise CheckpointError(f"{path.name} is not a model folder: it needs {CONFIG} and {WEIGHTS}")
    config = read_json(path / CONFIG, MAX_CONFIG_BYTES)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not an LSTM autoencoder (no format {FORMAT!r})")
    try:
        model_config = AutoencoderConfig.from_json(config.get("model"))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{CONFIG}: bad model settings: {one_line(error)}") from None
    anomaly = config.get("anomaly") or {}
    threshold = anomaly.get("threshold") if isinstance(anomaly, dict) else None
    if not isinstance(anomaly, dict) or (
        threshold is not None
        and (not isinstance(threshold, (int, float)) or not math.isfinite(threshold))
    ):
        raise CheckpointError(f'{CONFIG}: "anomaly" must be an object with a finite threshold')
    expected = model_config.state_shapes()
    try:
        with safe_open(str(path / WEIGHTS), framework="pt") as weights:
            found = {k: tuple(weights.get_slice(k).get_shape()) for k in weights.keys()}  # noqa: SIM118
    except Exception as error:  # safetensors raises its own error types
        raise CheckpointError(
            f"{WEIGHTS} is not a readable safetensors file: {one_line(error)}"
        ) from None
    if found != expected:
        wrong = sorted(set(found) ^ set(expected)) or sorted(
            k for k in expected if expected[k] != found[k]
        )
        raise CheckpointError(f"{WEIGHTS} does not fit the model in {CONFIG}: {wrong[:3]}")
    model = LSTMAutoencoder(model_config)
    model.load_state_dict(load_file(path / WEIGHTS))
    info = {k: v for k, v in config.items() if k not in ("format", "version", "model", "anomaly")}
    return Autoencoder(path, model.eval(), dict(anomaly), info)
