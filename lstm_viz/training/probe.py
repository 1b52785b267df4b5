"""Units emerging during training: the model's recording of one probe input at every evaluation.

The Trainer keeps a ProbeRecorder when it saves checkpoints: after each validation run it
records the task's sample input (what Explore shows first; at most MAX_PROBE_STEPS steps) and
writes the whole history to ``probe.npz`` in the checkpoint folder, as one Trace whose batch
dimension is training time: batch k is the model after ``steps[k]`` training steps. So any
heatmap or unit line drawn from a Trace can be scrubbed over training:

    history = load_probe("models/dyck-lstm")
    history.trace.select(batch=k)        # the recording after history.steps[k] steps

Small by design: the probe is one short input (at most MAX_PROBE_STEPS steps), stored as
float16 (read back as float32; about 1e-3 relative precision, plenty for a scrubber) in a
compressed npz; beyond MAX_SNAPSHOTS evaluations every other one is dropped (first and last
stay). english-char-lstm (2 x 128 units, 23 steps, 36 evaluations): about 2.1 MB.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lstm_viz.models.sequence import SequenceModel
from lstm_viz.recording.recorder import record
from lstm_viz.tasks.base import Task
from lstm_viz.trace import Trace

PROBE_FILE = "probe.npz"
MAX_PROBE_STEPS = 48
MAX_SNAPSHOTS = 50


@dataclass(frozen=True)
class ProbeHistory:
    """trace: [layer, direction, evaluation, time, unit] per quantity; steps and metrics: the
    training step and validation metric of each evaluation (batch index)."""

    trace: Trace
    steps: list[int]
    metrics: list[float]
    metric: str

    def at(self, index: int) -> Trace:
        """The recording after evaluation ``index`` (batch of one)."""
        if not -len(self.steps) <= index < len(self.steps):
            raise ValueError(f"evaluation {index} out of range ({len(self.steps)} recorded)")
        return self.trace.select(batch=[index % len(self.steps)])


def probe_input(task: Task) -> tuple[torch.Tensor, list[str] | None]:
    """The probe: the task's sample as a batch of one ([1, T] ids or [1, T, F] numbers), cut to
    MAX_PROBE_STEPS, and its tokens (None for numbers)."""
    sample = task.sample()
    if isinstance(sample, str):
        tokens = task.vocab.tokenize(sample)[:MAX_PROBE_STEPS]
        return torch.tensor([task.vocab.encode(tokens)]), tokens
    values = torch.as_tensor(sample, dtype=torch.float32)[:MAX_PROBE_STEPS]
    return values[None], None


class ProbeRecorder:
    """Records ``task``'s probe with the model at each evaluation into ``folder``/probe.npz
    (folder None: kept in memory until ``save(folder)``)."""

    def __init__(self, task: Task, folder: str | Path | None, resume: bool = False) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.metric = task.metric
        self.inputs, self.tokens = probe_input(task)
        self.snapshots: list[dict[str, torch.Tensor]] = []
        self.steps: list[int] = []
        self.metrics: list[float] = []
        self.template: Trace | None = None
        if resume and self.folder is not None and (self.folder / PROBE_FILE).exists():
            try:
                self._load_existing()
            except (ValueError, KeyError, OSError):
                pass  # a broken history is started again, not fatal to training

    def _load_existing(self) -> None:
        history = load_probe(self.folder)
        if history is None:
            return
        for index in range(len(history.steps)):
            trace = history.at(index)
            self.snapshots.append(dict(trace.values))
        self.steps, self.metrics = list(history.steps), list(history.metrics)
        self.template = history.at(0)

    def record(self, model: SequenceModel, step: int, metric: float) -> Path | None:
        """Record the probe with ``model`` (eval mode, flags restored) and rewrite the file."""
        device = next(model.parameters()).device
        _, trace = record(model, self.inputs.to(device), tokens=self.tokens)
        self.template = trace
        self.snapshots.append(dict(trace.values))
        self.steps.append(int(step))
        self.metrics.append(float(metric))
        if len(self.steps) > MAX_SNAPSHOTS:
            keep = sorted(set(range(0, len(self.steps) - 1, 2)) | {len(self.steps) - 1})
            self.snapshots = [self.snapshots[k] for k in keep]
            self.steps = [self.steps[k] for k in keep]
            self.metrics = [self.metrics[k] for k in keep]
        return self.save(self.folder) if self.folder is not None else None

    def save(self, folder: str | Path) -> Path:
        """Write the history to ``folder``/probe.npz (atomically: a temporary file renamed)."""
        template = self.template
        if template is None:
            raise ValueError("nothing recorded yet: no evaluation has run")
        values = {
            name: torch.cat([s[name] for s in self.snapshots], dim=2).half()
            for name in template.names
        }
        count = len(self.steps)
        tokens = [list(self.tokens)] * count if self.tokens is not None else None
        config = {
            **template.config,
            "probe": {"steps": self.steps, "metrics": self.metrics, "metric": self.metric},
        }
        lengths = template.lengths.repeat(count)
        trace = Trace(template.kind, values, lengths, tokens, config)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".probe-{uuid.uuid4().hex[:8]}.npz"
        try:
            trace.save(staging)
            os.replace(staging, folder / PROBE_FILE)
        finally:
            staging.unlink(missing_ok=True)
        return folder / PROBE_FILE


def probe_recorder(
    task: Task, folder: str | Path | None, resume: bool = False, in_memory: bool = False
):
    """A ProbeRecorder for ``folder`` (``in_memory``: for none, saved later), or None without a
    folder or for a task without a sample."""
    if folder is None and not in_memory:
        return None
    try:
        return ProbeRecorder(task, folder, resume)
    except (NotImplementedError, ValueError, TypeError):
        return None


def load_probe(folder: str | Path) -> ProbeHistory | None:
    """The probe history of a checkpoint folder; None when it has none. ValueError (one line)
    for a file that is not one."""
    path = Path(folder) / PROBE_FILE
    if not path.exists():
        return None
    trace = Trace.load(path)
    probe = (trace.config or {}).get("probe")
    if (
        not isinstance(probe, dict)
        or len(probe.get("steps", ())) != trace.values[trace.names[0]].shape[2]
    ):
        raise ValueError(f"{path} is not a probe history (no matching 'probe' record)")
    trace = Trace(
        trace.kind,
        {n: v.float() for n, v in trace.values.items()},
        trace.lengths,
        trace.tokens,
        trace.config,
    )
    steps = [int(s) for s in probe["steps"]]
    metrics = [float(m) for m in np.asarray(probe.get("metrics", []), dtype=np.float64)]
    return ProbeHistory(trace, steps, metrics, str(probe.get("metric", "")))
