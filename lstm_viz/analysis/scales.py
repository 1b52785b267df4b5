"""Colour scales fixed per model: the range of each unbounded quantity (the cell state; an RNN's
pre-activation) measured once on the model's validation data and stored beside its weights, so
every heatmap of that model uses the same colours and two inputs compare by eye (issue 16).

    scales = measure_scales(model, task)          # over up to 20,000 validation steps
    write_scales(folder, scales)                  # folder/scales.json (model.safetensors untouched)
    scales = read_scales(folder)                  # None when the folder has none
    scales.bound("cell", layer=0)                 # e.g. 12.5: colours run over -12.5..12.5
    scales.describe("cell", layer=0)              # the sentence a caption shows

The bound is the 99th percentile of |value| over every real validation step and unit of that
layer and direction (rounded up to 2 significant digits): the rare larger values take the end
colour, and the caption says so. Written by the shipped-model build, by training (after the
best checkpoint), and for existing folders by ``python -m lstm_viz.pretrained scales``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lstm_viz.models.folders import CheckpointError, read_json
from lstm_viz.quantities import QUANTITY_SYMBOLS, UNBOUNDED

SCALES_FILE = "scales.json"
QUANTILE = 0.99
DEFAULT_STEPS = 20_000
MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class Scales:
    """bounds: quantity -> [layer][direction] of the colour range's half-width (> 0); steps:
    validation steps measured; quantile: of |value|; source: what was measured."""

    bounds: dict[str, list[list[float]]]
    steps: int
    quantile: float = QUANTILE
    source: str = "validation"
    extra: dict = field(default_factory=dict)
    # A model of two recurrent parts (an encoder-decoder): each part's {"bounds", "steps"}, by
    # part name ("encoder", "decoder"); ``part(name)`` gives them as Scales of their own.
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def part(self, name: str) -> Scales | None:
        """The scales of one part of an encoder-decoder (None when it has none stored)."""
        if name not in self.parts:
            return None
        part = self.parts[name]
        return Scales(part["bounds"], part["steps"], self.quantile, f"{self.source} ({name})")

    def bound(self, quantity: str, layer: int, direction: int = 0) -> float | None:
        """The stored half-width of ``quantity``'s colour range for that layer and direction,
        or None when this model has none stored for it."""
        rows = self.bounds.get(quantity)
        try:
            return float(rows[layer][direction]) if rows is not None else None
        except IndexError:
            return None

    def describe(self, quantity: str, layer: int, direction: int = 0) -> str:
        """One sentence: the fixed range, where it comes from, what happens beyond it."""
        bound = self.bound(quantity, layer, direction)
        if bound is None:
            return ""
        symbol = QUANTITY_SYMBOLS.get(quantity, quantity)
        return (
            f"Colours of {symbol} are fixed for this model: ±{bound:.3g}, the "
            f"{self.quantile * 100:g}th percentile of |{symbol}| in layer {layer} over "
            f"{self.steps:,} {self.source} steps; larger values take the end colour."
        )

    def to_json(self) -> dict:
        return {
            "version": 1,
            "source": self.source,
            "steps": self.steps,
            "quantile": self.quantile,
            "bounds": self.bounds,
            **({"parts": self.parts} if self.parts else {}),
        }


def round_up(value: float, digits: int = 2) -> float:
    """``value`` rounded up to ``digits`` significant digits (12.31 -> 13, 0.0412 -> 0.042)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    scale = 10 ** (math.floor(math.log10(value)) - digits + 1)
    return float(round(math.ceil(value / scale - 1e-9) * scale, 12))


def measure_scales(
    model: torch.nn.Module,
    task,
    max_steps: int = DEFAULT_STEPS,
    device: str | torch.device = "cpu",
) -> Scales:
    """The colour ranges of ``model``'s unbounded quantities over up to ``max_steps`` steps of
    ``task``'s validation split (lstm_viz.analysis.record_corpus). ValueError when the task
    has no validation data."""
    from lstm_viz.analysis.corpus import record_corpus

    corpus = record_corpus(model, task, split="validation", max_steps=max_steps, device=device)
    return Scales(trace_bounds(corpus.trace), corpus.num_steps)


def trace_bounds(trace) -> dict[str, list[list[float]]]:
    """The colour range's half-width of each unbounded quantity of ``trace``, per layer and
    direction: the QUANTILE of |value| over its real steps and units, rounded up."""
    from lstm_viz.analysis._common import valid_mask

    mask = valid_mask(trace)  # [B, T] real steps
    bounds = {}
    for name in trace.names:
        if name not in UNBOUNDED:
            continue
        values = trace[name].numpy()  # [L, D, B, T, U]
        rows = []
        for layer in range(values.shape[0]):
            row = []
            for direction in range(values.shape[1]):
                real = np.abs(values[layer, direction][mask])  # [steps, U]
                real = real[np.isfinite(real)]
                row.append(round_up(float(np.quantile(real, QUANTILE))) if real.size else 1.0)
            rows.append(row)
        bounds[name] = rows
    return bounds


def measure_seq2seq_scales(model, texts: list[str], batch_size: int = 256) -> Scales:
    """The colour ranges of an encoder-decoder's encoder and decoder (``Scales.part``), over
    its greedy decoding of ``texts`` (validation inputs), in batches. ValueError for no texts."""
    from lstm_viz.recording.seq2seq import record_seq2seq

    if not texts:
        raise ValueError("no validation texts to measure the colour scales on")
    traces: dict[str, list] = {"encoder": [], "decoder": []}
    for start in range(0, len(texts), batch_size):
        recording = record_seq2seq(model, texts[start : start + batch_size])
        traces["encoder"].append(recording.encoder)
        traces["decoder"].append(recording.decoder)
    parts = {
        name: {
            "bounds": _merged_bounds(found),
            "steps": sum(int(trace.lengths.sum()) for trace in found),
        }
        for name, found in traces.items()
    }
    return Scales({}, parts["encoder"]["steps"], parts=parts)


def measure_autoencoder_scales(model, signal) -> Scales:
    """The colour ranges of an LSTM autoencoder's encoder and decoder (``Scales.part``), over
    ``signal`` (normal validation values, [steps], the signal's units) cut into windows laid end
    to end, as the anomaly view tiles a series. ValueError when it is shorter than one window."""
    from lstm_viz.recording.autoencoder import record_autoencoder

    window = model.config.window
    count = len(signal) // window
    if count < 1:
        raise ValueError(f"{len(signal)} values are fewer than one window of {window} steps")
    values = np.asarray(signal[: count * window], dtype=np.float32).reshape(count, window)
    recording = record_autoencoder(model, torch.from_numpy(values))
    parts = {
        name: {"bounds": trace_bounds(getattr(recording, name)), "steps": count * window}
        for name in ("encoder", "decoder")
    }
    return Scales({}, count * window, parts=parts)


def _merged_bounds(traces) -> dict[str, list[list[float]]]:
    """trace_bounds over several traces of one module (batches): the largest bound of each."""
    merged: dict[str, list[list[float]]] = {}
    for trace in traces:
        for name, rows in trace_bounds(trace).items():
            if name not in merged:
                merged[name] = rows
            else:
                merged[name] = [
                    [max(a, b) for a, b in zip(old, new, strict=True)]
                    for old, new in zip(merged[name], rows, strict=True)
                ]
    return merged


def write_scales(folder: str | Path, scales: Scales) -> Path:
    """``folder``/scales.json, written atomically (a temporary file renamed into place)."""
    folder = Path(folder)
    target = folder / SCALES_FILE
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".scales-", suffix=".json")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(scales.to_json(), file, indent=1)
            file.write("\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def read_scales(folder: str | Path) -> Scales | None:
    """The scales stored in ``folder``, None when it has no scales.json. CheckpointError (one
    line) for a file that is not a valid scales file."""
    path = Path(folder) / SCALES_FILE
    if not path.is_file():
        return None
    data = read_json(path, MAX_BYTES)
    try:
        bounds = data["bounds"]
        steps = int(data["steps"])
        quantile = float(data.get("quantile", QUANTILE))
        source = str(data.get("source", "validation"))
        checked = _checked_bounds(bounds)
        parts = {
            str(name): {"bounds": _checked_bounds(part["bounds"]), "steps": int(part["steps"])}
            for name, part in dict(data.get("parts") or {}).items()
            if name in ("encoder", "decoder")
        }
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CheckpointError(f"{SCALES_FILE} is not a scales file ({error})") from None
    return Scales(checked, steps, quantile, source, parts=parts)


def _checked_bounds(bounds: dict) -> dict[str, list[list[float]]]:
    """The unbounded quantities' rows of positive, finite bounds; ValueError otherwise."""
    checked = {}
    for name, rows in bounds.items():
        if name not in UNBOUNDED:
            continue
        checked[name] = [[float(b) for b in row] for row in rows]
        if not all(math.isfinite(b) and b > 0 for row in checked[name] for b in row):
            raise ValueError(f"{name}: every bound must be a positive number")
    return checked


def write_measured_scales(
    folder: str | Path, model: torch.nn.Module, task, device="cpu", max_steps=DEFAULT_STEPS
) -> Path | None:
    """measure_scales + write_scales; None (nothing written) when the task has no validation
    data to measure on."""
    try:
        scales = measure_scales(model, task, max_steps=max_steps, device=device)
    except ValueError:
        return None
    return write_scales(folder, scales)


def scale_sentence(quantity: str, layer: int, direction: int, scales: Scales | None) -> str:
    """The sentence every page shows under a figure coloured by an unbounded ``quantity``: the
    model's fixed range (:meth:`Scales.describe`), or, when ``scales`` has none for it, that
    the colours span this input's largest |value| (the words "(this input)" on the colour bar).
    "" for a bounded quantity (its scale is fixed for every model)."""
    if quantity not in UNBOUNDED:
        return ""
    fixed = scales.describe(quantity, layer, direction) if scales is not None else ""
    if fixed:
        return fixed
    symbol = QUANTITY_SYMBOLS.get(quantity, quantity)
    return (
        f"This model has no fixed scale for {symbol} (no scales.json): its colours span "
        f"this input's largest |{symbol}|, so the same colour can mean different values "
        "on different inputs; compare the colour bars' ranges."
    )


def scale_note(quantities, layer: int, direction: int, scales: Scales | None) -> str:
    """:func:`scale_sentence` of each unbounded quantity of ``quantities``, joined."""
    return " ".join(s for q in quantities if (s := scale_sentence(q, layer, direction, scales)))


__all__ = [
    "QUANTILE",
    "SCALES_FILE",
    "Scales",
    "measure_scales",
    "measure_autoencoder_scales",
    "measure_seq2seq_scales",
    "read_scales",
    "round_up",
    "scale_note",
    "scale_sentence",
    "write_measured_scales",
    "write_scales",
]
