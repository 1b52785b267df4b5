"""Encoder-decoder folders: model.safetensors + config.json (format "lstm_viz.seq2seq").

A separate format from ``lstm_viz.checkpoint`` (a SequenceModel), so that code reading sequence
checkpoints never mistakes an encoder-decoder for one: ``is_seq2seq_folder`` tells them apart
without reading weights. Loading checks config.json (size, nesting, fields) and the weights'
names and shapes before use; any problem is a CheckpointError (a ValueError) with one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetensors import safe_open
from safetensors.torch import load_file

from lstm_viz.models.folders import MAX_CONFIG_BYTES, CheckpointError, one_line, read_json
from lstm_viz.models.seq2seq import Seq2Seq, Seq2SeqConfig
from lstm_viz.models.writing import created, write_folder

FORMAT = "lstm_viz.seq2seq"
WEIGHTS, CONFIG = "model.safetensors", "config.json"


@dataclass
class Seq2SeqCheckpoint:
    """A loaded encoder-decoder: the model (eval mode, CPU) and what config.json says."""

    path: Path
    model: Seq2Seq
    info: dict[str, Any] = field(default_factory=dict)  # task, training, recipe, created

    @property
    def name(self) -> str:
        return self.path.name


def save_seq2seq(directory: str | Path, model: Seq2Seq, info: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (+ info) to ``directory`` (lstm_viz.models.writing: never half written)."""
    config = {
        "format": FORMAT,
        "version": 1,
        "model": model.config.to_json(),
        "created": created(),
        **(info or {}),
    }
    return write_folder(directory, config, model.state_dict())


def is_seq2seq_folder(path: str | Path) -> bool:
    """True when ``path`` holds a config.json that names this format (nothing else is read)."""
    try:
        config = read_json(Path(path) / CONFIG, MAX_CONFIG_BYTES)
    except (CheckpointError, OSError):
        return False
    return isinstance(config, dict) and config.get("format") == FORMAT


def load_seq2seq(directory: str | Path) -> Seq2SeqCheckpoint:
    """Load an encoder-decoder folder; CheckpointError (one line) when it is not a valid one."""
    path = Path(directory)
    try:
        config = read_json(path / CONFIG, MAX_CONFIG_BYTES)
    except CheckpointError as error:
        raise CheckpointError(f"{path} is not a model folder: {error}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not an encoder-decoder (config.json format)")
    try:
        model_config = Seq2SeqConfig.from_json(config.get("model"))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"config.json: {one_line(error)}") from None
    model = Seq2Seq(model_config)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    try:
        with safe_open(path / WEIGHTS, framework="pt") as file:
            found = {k: tuple(file.get_slice(k).get_shape()) for k in file.keys()}  # noqa: SIM118
    except Exception as error:  # safetensors raises its own error types for broken files
        raise CheckpointError(f"{WEIGHTS} cannot be read: {one_line(error)}") from None
    if found != expected:
        wrong = sorted(set(found) ^ set(expected)) or [
            k for k in expected if found[k] != expected[k]
        ]
        raise CheckpointError(f"{WEIGHTS} does not match config.json (e.g. {wrong[0]})")
    model.load_state_dict(load_file(path / WEIGHTS))
    info = {k: v for k, v in config.items() if k not in ("format", "version", "model")}
    return Seq2SeqCheckpoint(path, model.eval(), info)
