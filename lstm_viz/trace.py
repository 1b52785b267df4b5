"""The Trace: one type for everything the recorder records.

Every recorded quantity is a tensor shaped [layer, direction, batch, time, unit]:
- time is the input position for both directions (the backward direction is flipped back),
- the batch dimension is always there, even for one unbatched sequence,
- padded steps (past a sequence's length) are NaN, never silently zero,
- tensors are detached and on the CPU; methods return new Traces and never mutate one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

# The recorded names per kind of recurrent layer, in a fixed order. A test pins these:
# renaming one is a conscious act, because pages, analyses and saved files all use them.
RECORDED_NAMES: dict[str, tuple[str, ...]] = {
    "lstm": ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"),
    "peephole_lstm": ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"),
    # ConvLSTM: units are channel x height x width (C order); config["spatial_shape"] = [C, H, W]
    "conv_lstm": ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"),
    "gru": ("reset_gate", "update_gate", "new_gate", "hidden"),
    "rnn_tanh": ("pre_activation", "hidden"),
    "rnn_relu": ("pre_activation", "hidden"),
    # States recorded by another tool (an LSTMVis project): no gates, no model to re-run.
    "lstm_states": ("cell", "hidden"),
    "hidden_states": ("hidden",),
}

DIRECTION_NAMES = ("forward", "backward")
_FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class Trace:
    """What one recurrent module did on one input, step by step.

    Quantities are read as attributes (``trace.forget_gate``) or by name (``trace["cell"]``);
    ``trace.names`` lists them. ``lengths`` is int64 [batch]; ``tokens`` is one list of strings
    per batch element (or None); ``config`` describes the recurrent module (kind, sizes, ...).
    """

    kind: str
    values: dict[str, torch.Tensor]  # name -> [layer, direction, batch, time, unit]
    lengths: torch.Tensor  # [batch], int64: the number of real (unpadded) steps
    tokens: list[list[str]] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    # After select(): which layer, direction and batch element of the recording each position
    # holds, e.g. {"layer": [1], "direction": [0, 1], "batch": [3]}. None: positions are ids.
    origin: dict[str, list[int]] | None = None

    def __post_init__(self) -> None:
        expected = RECORDED_NAMES.get(self.kind)
        if expected is None:
            raise ValueError(f"unknown trace kind {self.kind!r}; known: {sorted(RECORDED_NAMES)}")
        if tuple(self.values) != expected:
            raise ValueError(f"a {self.kind} trace records {expected}, got {tuple(self.values)}")
        shapes = {name: tuple(v.shape) for name, v in self.values.items()}
        first = next(iter(shapes.values()))
        for name, shape in shapes.items():
            if len(shape) != 5 or shape[:4] != first[:4]:
                raise ValueError(
                    f"{name} has shape {shape}; all must share [layer, dir, batch, time]"
                )
        if tuple(self.lengths.shape) != (first[2],):
            raise ValueError(
                f"lengths has shape {tuple(self.lengths.shape)}, expected ({first[2]},)"
            )
        if self.tokens is not None and len(self.tokens) != first[2]:
            raise ValueError(f"tokens has {len(self.tokens)} sequences for a batch of {first[2]}")

    # ---- reading -----------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.values)

    def __getitem__(self, name: str) -> torch.Tensor:
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"a {self.kind} trace has no {name!r}; it has {self.names}") from None

    def __getattr__(self, name: str) -> torch.Tensor:
        # Only called when normal lookup fails; guard the dataclass fields against recursion.
        if name.startswith("_") or name in ("values", "kind", "lengths", "tokens", "config"):
            raise AttributeError(name)
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(f"a {self.kind} trace has no {name!r}; it has {tuple(values)}")

    @property
    def shape(self) -> dict[str, tuple[int, ...]]:
        return {name: tuple(v.shape) for name, v in self.values.items()}

    @property
    def num_layers(self) -> int:
        return self._first.shape[0]

    @property
    def num_directions(self) -> int:
        return self._first.shape[1]

    @property
    def batch_size(self) -> int:
        return self._first.shape[2]

    @property
    def num_steps(self) -> int:
        return self._first.shape[3]

    def ids(self, dim: str) -> list[int]:
        """The recording's indices along ``dim`` ("layer", "direction" or "batch")."""
        size = {
            "layer": self.num_layers,
            "direction": self.num_directions,
            "batch": self.batch_size,
        }
        if self.origin and dim in self.origin:
            return list(self.origin[dim])
        return list(range(size[dim]))

    @property
    def _first(self) -> torch.Tensor:
        return next(iter(self.values.values()))

    def __repr__(self) -> str:
        dims = "x".join(str(d) for d in self._first.shape[:4])
        units = ", ".join(f"{n}:{v.shape[-1]}" for n, v in self.values.items())
        return f"Trace(kind={self.kind!r}, [layer x dir x batch x time]={dims}, units=({units}))"

    def _repr_html_(self) -> str:
        """Notebooks: kind, shape, quantities and the first tokens (escaped)."""
        from lstm_viz.figures.notebook import trace_html

        return trace_html(self)

    def maps(self, name: str) -> torch.Tensor:
        """A ConvLSTM quantity as pictures: [layer, direction, batch, time, C, H, W].

        The unit axis is channel x height x width flattened in C order, as
        ``config["spatial_shape"]`` = [C, H, W] says. ValueError for a trace without a spatial
        shape (every kind but conv_lstm) or one whose units do not fit it."""
        shape = self.config.get("spatial_shape")
        if not shape:
            raise ValueError(f"a {self.kind} trace has no spatial shape: its units are a vector")
        value = self[name]
        if value.shape[-1] != int(np.prod(shape)):
            raise ValueError(
                f"{name} has {value.shape[-1]} units, spatial_shape {list(shape)} needs "
                f"{int(np.prod(shape))}"
            )
        return value.reshape(*value.shape[:4], *(int(s) for s in shape))

    # ---- selecting ---------------------------------------------------------------------------
    def select(
        self,
        layer: int | slice | list[int] | None = None,
        direction: int | str | slice | list[int] | None = None,
        batch: int | slice | list[int] | None = None,
    ) -> Trace:
        """A new Trace restricted to some layers, directions or batch elements.

        Dimensions are kept (an int selects a size-1 slice), so every Trace has the same layout.
        ``direction`` also takes "forward" or "backward".
        """
        if isinstance(direction, str):
            if direction not in DIRECTION_NAMES[: self.num_directions]:
                raise ValueError(
                    f"direction must be one of {DIRECTION_NAMES[: self.num_directions]}"
                )
            direction = DIRECTION_NAMES.index(direction)

        def as_ids(sel: Any, size: int, what: str) -> list[int]:
            if sel is None:
                return list(range(size))
            if isinstance(sel, slice):
                return list(range(size))[sel]
            ids = [sel] if isinstance(sel, int) else list(sel)
            for i in ids:
                if not -size <= i < size:
                    raise IndexError(f"{what} {i} out of range for {size} {what}s")
            return [i % size for i in ids]

        layers = as_ids(layer, self.num_layers, "layer")
        dirs = as_ids(direction, self.num_directions, "direction")
        batch_ids = as_ids(batch, self.batch_size, "batch element")
        values = {
            name: v[layers][:, dirs][:, :, batch_ids].clone() for name, v in self.values.items()
        }
        lengths = self.lengths[batch_ids]
        tokens = None if self.tokens is None else [self.tokens[i] for i in batch_ids]
        origin = {
            "layer": [self.ids("layer")[i] for i in layers],
            "direction": [self.ids("direction")[i] for i in dirs],
            "batch": [self.ids("batch")[i] for i in batch_ids],
        }
        return Trace(self.kind, values, lengths, tokens, dict(self.config), origin)

    # ---- converting --------------------------------------------------------------------------
    def to_numpy(self) -> dict[str, np.ndarray]:
        """Every quantity as a numpy array, [layer, direction, batch, time, unit]."""
        return {name: v.numpy() for name, v in self.values.items()}

    def to_frame(self):
        """A long-form pandas table: one row per (quantity, layer, direction, batch, time, unit).

        Padded steps are left out. Columns: quantity, layer, direction, batch, time, unit,
        token (when tokens are known), value. Layer, direction and batch are the recording's own
        indices, also after select().
        """
        import pandas as pd

        layer_ids, dir_ids, batch_ids = (
            np.array(self.ids(d)) for d in ("layer", "direction", "batch")
        )
        parts = []
        for name, v in self.values.items():
            layers, dirs, batch, steps, units = v.shape
            grid = np.indices((layers, dirs, batch, steps, units)).reshape(5, -1)
            part = pd.DataFrame(
                {
                    "quantity": pd.Categorical([name] * grid.shape[1], categories=self.names),
                    "layer": layer_ids[grid[0]],
                    "direction": dir_ids[grid[1]],
                    "batch": grid[2],  # a position until the tokens are looked up
                    "time": grid[3],
                    "unit": grid[4],
                    "value": v.reshape(-1).numpy(),
                }
            )
            real = part["time"].to_numpy() < self.lengths.numpy()[part["batch"].to_numpy()]
            parts.append(part[real])
        frame = pd.concat(parts, ignore_index=True)
        if self.tokens is not None:
            frame.insert(
                6,
                "token",
                [self.tokens[b][t] for b, t in zip(frame["batch"], frame["time"], strict=True)],
            )
        frame["batch"] = batch_ids[frame["batch"].to_numpy()]
        return frame

    # ---- saving and loading ------------------------------------------------------------------
    def _metadata(self) -> dict[str, Any]:
        return {
            "format": "lstm_viz.Trace",
            "version": _FORMAT_VERSION,
            "kind": self.kind,
            "names": list(self.names),
            "shapes": {name: list(v.shape) for name, v in self.values.items()},
            "dtype": str(self._first.dtype).removeprefix("torch."),
            "lengths": self.lengths.tolist(),
            "tokens": self.tokens,
            "config": self.config,
            "origin": {d: self.ids(d) for d in ("layer", "direction", "batch")},
        }

    def save(self, path: str | Path) -> Path:
        """Write ``.npz`` (an array per name, plus metadata) or ``.parquet`` (long form)."""
        path = Path(path)
        meta = json.dumps(self._metadata())
        if path.suffix == ".npz":
            np.savez_compressed(path, __metadata__=np.array(meta), **self.to_numpy())
        elif path.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(self.to_frame(), preserve_index=False)
            schema_meta = dict(table.schema.metadata or {})
            schema_meta[b"lstm_viz"] = meta.encode()
            pq.write_table(table.replace_schema_metadata(schema_meta), path)
        else:
            raise ValueError(f"save() writes .npz or .parquet, not {path.suffix!r} ({path})")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        """Read a trace written by :meth:`save`. Never unpickles anything."""
        path = Path(path)
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if "__metadata__" not in archive:
                    raise ValueError(f"{path} is not a trace saved by lstm_viz (no metadata)")
                meta = json.loads(str(archive["__metadata__"]))
                values = {name: torch.from_numpy(archive[name].copy()) for name in meta["names"]}
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            raw = (table.schema.metadata or {}).get(b"lstm_viz")
            if raw is None:
                raise ValueError(f"{path} is not a trace saved by lstm_viz (no metadata)")
            meta = json.loads(raw)
            frame = table.to_pandas()
            dtype = (
                np.dtype(meta["dtype"]) if meta["dtype"] in ("float32", "float64") else np.float32
            )
            values = {}
            origin = meta.get("origin") or {}
            for name in meta["names"]:
                array = np.full(meta["shapes"][name], np.nan, dtype=dtype)
                rows = frame[frame["quantity"] == name]
                index = tuple(  # the recording's ids back to positions in this trace
                    _positions(rows[c].to_numpy(), origin.get(c))
                    for c in ("layer", "direction", "batch")
                ) + (rows["time"].to_numpy(), rows["unit"].to_numpy())
                array[index] = rows["value"].to_numpy()
                values[name] = torch.from_numpy(array)
        else:
            raise ValueError(f"load() reads .npz or .parquet, not {path.suffix!r} ({path})")
        if meta.get("format") != "lstm_viz.Trace":
            raise ValueError(f"{path} is not a trace saved by lstm_viz")
        lengths = torch.tensor(meta["lengths"], dtype=torch.int64)
        return cls(
            meta["kind"], values, lengths, meta["tokens"], meta["config"], meta.get("origin")
        )


def _positions(ids: np.ndarray, origin: list[int] | None) -> np.ndarray:
    if origin is None:
        return ids
    lookup = {index: position for position, index in enumerate(origin)}
    return np.array([lookup[i] for i in ids], dtype=np.int64)
