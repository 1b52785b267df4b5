"""What an encoder-decoder did on one input: two Traces and what passed between them.

Encoder-decoders with attention (Bahdanau et al. 2015; Luong et al. 2015) and LSTM autoencoders
(Malhotra et al. 2016, EncDec-AD) are two recurrent networks run one after the other. Each is
recorded as an ordinary :class:`~lstm_viz.trace.Trace` (every gate and state of every step, shaped
[layer, direction, batch, time, unit]); this container keeps the pair together with the tensors
that belong to neither alone, e.g.

- ``"attention"``: attention weights [batch, target_step, source_step], each row summing to 1,
  zero on padded source steps;
- ``"context"``: context vectors [batch, target_step, unit];
- ``"reconstruction"``: an autoencoder's output [batch, time, feature].

It is not a second Trace type: analyses and figures take ``recording.encoder`` or
``recording.decoder``. Saved as one ``.npz`` (``encoder/<name>``, ``decoder/<name>``,
``extra/<name>`` arrays plus JSON metadata); loading never unpickles anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lstm_viz.trace import Trace

_FORMAT = "lstm_viz.EncoderDecoderRecording"


@dataclass(frozen=True, eq=False)
class EncoderDecoderRecording:
    """An encoder Trace, a decoder Trace, and the tensors between them.

    ``extras`` maps a name to a tensor whose first dimension is the batch; ``generated`` holds the
    decoder's output tokens per batch element (None for numeric outputs); ``config`` describes
    the model (attention kind, sizes, ...). Raises ValueError when the batch sizes disagree.
    """

    encoder: Trace
    decoder: Trace
    extras: dict[str, torch.Tensor] = field(default_factory=dict)
    generated: list[list[str]] | None = None
    config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        batch = self.encoder.batch_size
        if self.decoder.batch_size != batch:
            raise ValueError(
                f"encoder batch {batch} and decoder batch {self.decoder.batch_size} differ"
            )
        for name, value in self.extras.items():
            if value.dim() == 0 or value.shape[0] != batch:
                raise ValueError(f"extra {name!r} has shape {tuple(value.shape)}; batch is {batch}")
        if self.generated is not None and len(self.generated) != batch:
            raise ValueError(f"generated has {len(self.generated)} sequences; batch is {batch}")

    def __getitem__(self, name: str) -> torch.Tensor:
        try:
            return self.extras[name]
        except KeyError:
            raise KeyError(f"no extra {name!r}; this recording has {tuple(self.extras)}") from None

    def __repr__(self) -> str:
        extras = ", ".join(f"{k} {list(v.shape)}" for k, v in self.extras.items())
        return (
            f"EncoderDecoderRecording(encoder={self.encoder.kind} x{self.encoder.num_steps} steps,"
            f" decoder={self.decoder.kind} x{self.decoder.num_steps} steps, extras: {extras})"
        )

    def save(self, path: str | Path) -> Path:
        """Write one ``.npz``; raises ValueError for another suffix."""
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"an encoder-decoder recording saves to .npz, not {path.suffix!r}")
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {"format": _FORMAT, "version": 1, "config": self.config}
        meta["generated"] = self.generated
        for part, trace in (("encoder", self.encoder), ("decoder", self.decoder)):
            meta[part] = trace._metadata()
            for name, array in trace.to_numpy().items():
                arrays[f"{part}/{name}"] = array
        meta["extras"] = list(self.extras)
        for name, value in self.extras.items():
            arrays[f"extra/{name}"] = value.detach().cpu().numpy()
        np.savez_compressed(path, __metadata__=np.array(json.dumps(meta)), **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> EncoderDecoderRecording:
        """Read what :meth:`save` wrote; raises ValueError for any other file."""
        path = Path(path)
        with np.load(path, allow_pickle=False) as archive:
            if "__metadata__" not in archive:
                raise ValueError(f"{path} is not a recording saved by lstm_viz (no metadata)")
            meta = json.loads(str(archive["__metadata__"]))
            if meta.get("format") != _FORMAT:
                raise ValueError(f"{path} is not an encoder-decoder recording")
            traces = {}
            for part in ("encoder", "decoder"):
                m = meta[part]
                values = {n: torch.from_numpy(archive[f"{part}/{n}"].copy()) for n in m["names"]}
                lengths = torch.tensor(m["lengths"], dtype=torch.int64)
                traces[part] = Trace(
                    m["kind"], values, lengths, m["tokens"], m["config"], m.get("origin")
                )
            extras = {n: torch.from_numpy(archive[f"extra/{n}"].copy()) for n in meta["extras"]}
        return cls(traces["encoder"], traces["decoder"], extras, meta["generated"], meta["config"])
