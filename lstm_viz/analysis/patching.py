"""Activation patching across time: which units, at which steps, carry what made the output.

Read a clean input and a corrupted one of the same length (e.g. "the cat near the dogs" and
"the cats near the dogs"). For a layer, a set of units and a set of steps, re-run the corrupted
input with the clean state (h, c; h alone for GRU and RNN) of those units copied in at those
steps, and measure a metric m of the output at the last step (e.g. logit(is) - logit(are)):

    effect = (m(patched) - m(corrupt)) / (m(clean) - m(corrupt))

1 means the patch restores the clean behaviour, 0 that it changes nothing. A sweep patches
every (layer, unit, step) alone. Runs are batched: the patches of one layer that start at the same
step run as one batch from the corrupted run's state just before that step, from that layer up
(one-step patches: two calls of each layer's own fused module around the patch; spans of steps:
stepping.run_core), so a full sweep costs L x T batched partial runs, not L x U x T single ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .interventions import _head
from .stepping import LSTMS, core_kind, run_core, single_layer

Metric = Callable[[torch.Tensor], torch.Tensor]  # head output at the last step [R, O] -> [R]
MAX_ROWS = 4096  # patched runs per batch


class PatchingError(ValueError):
    """Inputs or patches that cannot be patched (one line, says what to change)."""


@dataclass(frozen=True)
class Patch:
    """Copy the clean state of ``units`` of ``layer`` at ``steps`` into the corrupted run."""

    layer: int
    units: tuple[int, ...]
    steps: tuple[int, ...]


def logit_diff(good: int, bad: int) -> Metric:
    """m = output[good] - output[bad] (e.g. logit(is) - logit(are))."""
    return lambda out: out[:, good] - out[:, bad]


def logit(index: int) -> Metric:
    """m = output[index] (a logit, a class score, a regression value)."""
    return lambda out: out[:, index]


@dataclass(frozen=True)
class PatchingResult:
    """A sweep: effects [layer, step, unit] and the two reference metrics."""

    effects: np.ndarray  # [L, T, U] float64
    clean_metric: float
    corrupt_metric: float
    clean_tokens: list[str] | None = None
    corrupt_tokens: list[str] | None = None

    def table(self):
        """pandas DataFrame with columns layer, unit, step, effect (one row per cell)."""
        import pandas as pd

        layers, steps, units = np.meshgrid(
            *(np.arange(n) for n in self.effects.shape), indexing="ij"
        )
        return pd.DataFrame(
            {
                "layer": layers.ravel(),
                "unit": units.ravel(),
                "step": steps.ravel(),
                "effect": self.effects.ravel(),
            }
        ).sort_values(["layer", "unit", "step"], ignore_index=True)

    def unit_totals(self, layer: int = 0) -> np.ndarray:
        """[U]: each unit's effect summed over the steps (signed)."""
        return self.effects[layer].sum(axis=0)


class Patcher:
    """A model with its clean and corrupted runs recorded, ready to patch.

    model: a SequenceModel with a one-direction core (any kind, no projection);
    clean, corrupt: [1, T] token ids or [1, T, F] numbers, the same T.
    fused: run one-step patches on each layer's own module (PyTorch's fused kernel for LSTM,
    GRU and RNN); False steps every patch through stepping.run_core (the reference).
    """

    def __init__(
        self,
        model: nn.Module,
        clean: torch.Tensor,
        corrupt: torch.Tensor,
        metric: Metric,
        fused: bool = True,
    ):
        rnn = getattr(model, "rnn", None)
        self.kind = core_kind(rnn)
        if rnn.bidirectional:
            raise PatchingError("patching across time reads one-direction cores only")
        if getattr(rnn, "proj_size", 0):
            raise PatchingError("patching does not handle LSTMs with a projection (proj_size)")
        if clean.shape != corrupt.shape or clean.shape[0] != 1:
            raise PatchingError(
                f"clean and corrupted inputs must be one sequence each of the same length; "
                f"got shapes {list(clean.shape)} and {list(corrupt.shape)}"
            )
        self.model, self.rnn, self.metric = model, rnn, metric
        with torch.no_grad():
            self.x_clean = model.embedding(clean)
            self.x_corrupt = model.embedding(corrupt)
        self.steps = clean.shape[1]
        self.layers, self.units = rnn.num_layers, rnn.hidden_size
        self.names = ("hidden", "cell") if self.kind in LSTMS else ("hidden",)
        self.fused = fused
        self.single = [single_layer(rnn, layer) for layer in range(self.layers)]
        out, self.clean_values = run_core(rnn, self.x_clean)
        self.clean_metric = float(metric(self._last(out))[0])
        out, self.corrupt_values = run_core(rnn, self.x_corrupt)
        self.corrupt_metric = float(metric(self._last(out))[0])
        if abs(self.clean_metric - self.corrupt_metric) < 1e-9:
            raise PatchingError(
                f"the metric is the same on both inputs ({self.clean_metric:.4g}): there is "
                "nothing to restore; choose a corruption that changes the output"
            )

    def _last(self, out: torch.Tensor) -> torch.Tensor:
        head = _head(self.model, out[:, -1:])  # one-direction core: the last step suffices
        return head[:, -1] if head.dim() == 3 else head  # [R, O]

    def check(self, patch: Patch) -> None:
        if not 0 <= patch.layer < self.layers:
            raise PatchingError(f"layer {patch.layer} out of range ({self.layers} layers)")
        if not patch.units or not all(0 <= u < self.units for u in patch.units):
            raise PatchingError(f"units {list(patch.units)} are not among 0..{self.units - 1}")
        if not patch.steps or not all(0 <= t < self.steps for t in patch.steps):
            raise PatchingError(f"steps {list(patch.steps)} are not among 0..{self.steps - 1}")

    def metrics(self, patches: Sequence[Patch]) -> np.ndarray:
        """m(patched) for each patch [P] (float64)."""
        for patch in patches:
            self.check(patch)
        result = np.empty(len(patches))
        groups: dict[tuple[int, int], list[int]] = {}  # (first step, layer): patch indices
        for index, patch in enumerate(patches):
            groups.setdefault((min(patch.steps), patch.layer), []).append(index)
        for (start, _), indices in sorted(groups.items()):
            for k in range(0, len(indices), MAX_ROWS):
                rows = indices[k : k + MAX_ROWS]
                chunk = [patches[i] for i in rows]
                one_step = self.fused and all(len(p.steps) == 1 for p in chunk)
                result[rows] = (self._run_fused if one_step else self._run)(start, chunk)
        return result

    def effects(self, patches: Sequence[Patch]) -> np.ndarray:
        """(m(patched) - m(corrupt)) / (m(clean) - m(corrupt)) for each patch [P]."""
        return (self.metrics(patches) - self.corrupt_metric) / (
            self.clean_metric - self.corrupt_metric
        )

    def _run(self, start: int, patches: list[Patch]) -> np.ndarray:
        rows = len(patches)
        device = self.x_corrupt.device
        masks = torch.zeros(self.layers, rows, self.steps, self.units, dtype=torch.bool)
        for row, patch in enumerate(patches):
            index = torch.tensor(patch.units)
            for t in patch.steps:
                masks[patch.layer, row, t, index] = True
        masks = masks.to(device)
        live = masks.any(dim=(1, 3)).cpu().numpy()  # [L, T]: is anything patched there
        clean = {n: self.clean_values[n][:, 0, 0] for n in self.names}  # [L, T, U]

        def edit(layer: int, direction: int, t: int, values: dict[str, torch.Tensor]) -> None:
            if "hidden" not in values or not live[layer, t]:
                return
            mask = masks[layer, :, t]  # [R, U]
            for name in self.names:
                values[name] = torch.where(mask, clean[name][layer, t], values[name])

        initial = None
        if start > 0:
            initial = {
                n: self.corrupt_values[n][:, :, 0, start - 1, None].expand(-1, -1, rows, -1)
                for n in self.names
            }
            if "cell" not in initial:
                initial["cell"] = None
        x = self.x_corrupt.expand(rows, -1, -1)
        out, _ = run_core(self.rnn, x, edit, start=start, initial=initial, keep=False)
        return self.metric(self._last(out)).double().cpu().numpy()

    def _run_fused(self, start: int, patches: list[Patch]) -> np.ndarray:
        """Patches of one step each, all at ``start``: per layer, step ``start`` then the rest
        of the sequence as two calls of the layer's own (fused) module, the patch in between."""
        rows, t = len(patches), start
        device = self.x_corrupt.device
        masks = torch.zeros(self.layers, rows, self.units, dtype=torch.bool)
        for row, patch in enumerate(patches):
            masks[patch.layer, row, list(patch.units)] = True
        masks = masks.to(device)
        patched_layers = {patch.layer for patch in patches}
        lstm = self.kind in LSTMS
        layer_in = self.x_corrupt[:, t:].expand(rows, -1, -1)
        with torch.no_grad():
            for layer, module in enumerate(self.single):
                if layer < min(patched_layers):  # below every patch: the corrupted run's own
                    hidden = self.corrupt_values["hidden"][layer, 0, 0, t:]
                    layer_in = hidden.expand(rows, -1, -1)
                    continue
                before = [
                    (
                        self.corrupt_values[n][layer, 0, 0, t - 1]
                        if t > 0
                        else torch.zeros(self.units, device=device)
                    )
                    .expand(1, rows, -1)
                    .contiguous()
                    for n in self.names
                ]
                _, state = module(layer_in[:, :1], tuple(before) if lstm else before[0])
                state = list(state) if lstm else [state]
                if layer in patched_layers:
                    state = [
                        torch.where(masks[layer], self.clean_values[n][layer, 0, 0, t], s[0])[None]
                        for n, s in zip(self.names, state, strict=True)
                    ]
                first = state[0][0][:, None]  # [R, 1, H]: h_t, patched
                if layer_in.shape[1] > 1:
                    rest, _ = module(layer_in[:, 1:], tuple(state) if lstm else state[0])
                    layer_in = torch.cat([first, rest], dim=1)
                else:
                    layer_in = first
        return self.metric(self._last(layer_in)).double().cpu().numpy()

    def sweep(self, layers: Sequence[int] | None = None) -> np.ndarray:
        """Effects [L, T, U] of patching every (layer, unit, step) alone (NaN for layers left
        out)."""
        layers = range(self.layers) if layers is None else layers
        patches = [
            Patch(layer, (unit,), (t,))
            for t in range(self.steps)
            for layer in layers
            for unit in range(self.units)
        ]
        values = self.effects(patches)
        effects = np.full((self.layers, self.steps, self.units), np.nan)
        for patch, value in zip(patches, values, strict=True):
            effects[patch.layer, patch.steps[0], patch.units[0]] = value
        return effects


def patching_sweep(
    model: nn.Module,
    clean: torch.Tensor,
    corrupt: torch.Tensor,
    metric: Metric,
    clean_tokens: list[str] | None = None,
    corrupt_tokens: list[str] | None = None,
) -> PatchingResult:
    """Patch every layer, unit and step alone; PatchingError (one line) for inputs it cannot
    patch. See Patcher for the arguments."""
    patcher = Patcher(model, clean, corrupt, metric)
    return PatchingResult(
        patcher.sweep(),
        patcher.clean_metric,
        patcher.corrupt_metric,
        clean_tokens,
        corrupt_tokens,
    )
