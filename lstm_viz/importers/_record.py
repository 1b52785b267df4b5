"""Import -> record -> check, in one call: what the command line and the Upload page both run.

    result = record_imported("model.keras", input="ids:5 17 3", layer="lstm")
    result.trace            # the recording (masked steps marked; reverse layers in input order)
    result.checks           # our recording vs our reading; our reading vs the file's runtime
    result.notes            # every assumption made (pairing, masking, states, weight drop, ...)
    result.disagrees        # True when a check ran and found a difference: never "agrees"

Masking (Keras ``Embedding(mask_zero=True)`` or ``Masking``): Keras skips masked steps, carrying
the previous state and output; so does this recording. The recurrent module reads only the kept
steps; at a masked step the hidden and cell states repeat the last kept step's (zeros before the
first, as Keras outputs), the gates are NaN (not computed), and ``trace.config["masked"]`` holds
one list of booleans per sequence (True: masked). ``mask=False`` reads every step as real input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ._build import Check, Checked, Choice, build, check_with_torch, recurrent_input
from ._build import checks as all_checks
from ._core import ImportedFile, ModelFileError, RecurrentLayer, spans
from ._inputs import Prepared, prepare

_STATES = ("hidden", "cell")


@dataclass
class Recording(Checked):
    """What ``record_imported`` returns; ``lines()`` is what the CLI prints and the page shows."""

    imported: ImportedFile
    layer: RecurrentLayer
    choice: Choice
    prepared: Prepared
    trace: Any  # lstm_viz.Trace
    checks: list[Check]
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        shape = "x".join(str(s) for s in self.trace.hidden.shape)
        out = [
            f"recorded {self.layer.name} ({self.layer.describe()}): "
            f"{self.trace.num_steps} steps, hidden {shape}"
        ]
        out += [f"note: {n}" for n in self.notes]
        out += [f"check: {c}" for c in self.checks]
        return out


def record_imported(
    source: str | Path | bytes | ImportedFile,
    filename: str | None = None,
    *,
    layer: str | None = None,
    input: str = "random:20",
    csv: bytes | None = None,
    vocab: dict[str, int] | None = None,
    level: str = "char",
    embedding: str | None = None,
    no_embedding: bool = False,
    head: str | None = None,
    nonlinearity: str | None = None,
    seed: int = 0,
    initial_state: Any = None,
    mask: bool = True,
    isolated: bool = False,
    runtime_check: bool = True,
) -> Recording:
    """Import a model file, record one recurrent layer on an input, and check the recording.

    source: a path, the file's bytes (with ``filename``), or an ImportedFile already read (the
    page reads it in a child process first). input: "random:T", "ids:...", "text:..." (with
    ``vocab``) or "csv" (with ``csv`` bytes). embedding: a name among the layer's candidates
    (default: the first, which the notes explain); no_embedding: read features. initial_state:
    h0, or (h0, c0), each [layers x directions, hidden] (default: the file's, else zeros).
    mask: honour the file's Keras mask. isolated: read the file in a child process.

    Raises ModelFileError (one line: what the file or input is, what to do) for an unusable
    file, layer, choice or input.
    """
    from lstm_viz import record

    if isinstance(source, ImportedFile):
        imported = source
    elif isolated:
        from ._isolated import inspect_isolated

        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        imported = inspect_isolated(data, filename or Path(str(source)).name)
    else:
        from . import inspect_file

        imported = inspect_file(source, filename)
    found = imported.layer(layer)
    if embedding is None and not no_embedding and found.embeddings:
        embedding = found.embeddings[0].name
    choice = Choice(embedding=None if no_embedding else embedding, head=head,
                    nonlinearity=nonlinearity)  # fmt: skip
    module = build(found, choice)
    prepared = prepare(found, choice, input, vocab=vocab, level=level, csv=csv, seed=seed)
    notes = list(imported.notes) + list(found.notes) + list(prepared.notes)
    x = recurrent_input(module, prepared.inputs)  # [1, T, I]
    rnn = getattr(module, "rnn", module)
    keep = _kept_steps(found, choice, prepared, x, notes) if mask else None
    state = _initial_state(found, initial_state, notes)
    compact = x if keep is None else x[:, keep]
    if compact.shape[1] == 0:
        raise ModelFileError("every step of the input is masked: there is nothing to record")
    read = compact.flip(1) if found.reverse else compact
    tokens = [prepared.tokens] if keep is None and not found.reverse else None
    _, trace = record(rnn, read, tokens=tokens, initial_state=state)
    if found.reverse:
        trace = _with_values(trace, {n: v.flip(3) for n, v in trace.values.items()})
    checks = [check_with_torch(found, compact, trace, state)]
    if keep is not None:
        trace = _expand(trace, keep, found)
    if keep is None and not found.reverse:
        pass  # recorded on every step, in order: the tokens are already the input's
    else:
        trace = _with_values(trace, dict(trace.values), [prepared.tokens])
    if runtime_check:
        ids = prepared.inputs if choice.embedding is not None else None
        checks += all_checks(found, x, trace, ids, state)[1:]
    if imported.format in ("pytorch", "safetensors"):
        notes.append(_choices(found, choice))
    return Recording(imported, found, choice, prepared, trace, checks, notes)


PARAMETER_KINDS = ("weight_ih", "weight_hh", "weight_hr", "bias_ih", "bias_hh", "bias")


def parameter_order(name: str) -> tuple:
    """A sort key that reads PyTorch's RNN parameter names in a natural order: by layer, the
    forward direction before ``_reverse``, then weight_ih, weight_hh, weight_hr, bias_ih, bias_hh
    (others, e.g. weight_peephole, after them, by name): "bias_hh_l1" -> (1, 0, 4, "")."""
    match = re.fullmatch(r"(.+?)_l(\d+)(_reverse)?", name)
    if match is None:
        return (1 << 30, 0, len(PARAMETER_KINDS), name)
    kind, layer, reverse = match.groups()
    rank = PARAMETER_KINDS.index(kind) if kind in PARAMETER_KINDS else len(PARAMETER_KINDS)
    return (int(layer), int(bool(reverse)), rank, "" if kind in PARAMETER_KINDS else kind)


def _choices(layer: RecurrentLayer, choice: Choice) -> str:
    """The choices made for a weights-only file, which no runtime can check."""
    names = sorted(layer.sources, key=parameter_order)
    mapped = ", ".join(f"{k} <- {layer.sources[k]}" for k in names[:4])
    more = ", ..." if len(layer.sources) > 4 else ""
    return (
        "Choices made for this weights-only file (no runtime can check them): "
        f"{layer.describe()} from the parameter names ({mapped}{more}); embedding: "
        f"{choice.embedding or 'none'}; head: {choice.head or 'none'}"
        + (f"; nonlinearity: {choice.nonlinearity}" if choice.nonlinearity else "")
    )


def _kept_steps(
    layer: RecurrentLayer, choice: Choice, prepared: Prepared, x: torch.Tensor, notes: list[str]
) -> torch.Tensor | None:
    """The steps the file's model reads [T] (bool), or None when it reads every one."""
    masking = layer.masking
    if not masking:
        return None
    if masking["kind"] == "ids":
        if choice.embedding != masking["by"]:
            notes.append(
                f"the file masks token id {masking['value']} ({masking['by']!r}, "
                "mask_zero=True); this recording does not read ids through that embedding, so "
                "every step is read"
            )
            return None
        keep = prepared.inputs[0] != masking["value"]
        how = f"token id {masking['value']} (Embedding {masking['by']!r}, mask_zero=True)"
    else:
        keep = (x[0] != masking["value"]).any(dim=-1)
        how = f"steps whose features all equal {masking['value']:g} (Masking {masking['by']!r})"
    skipped = [t for t, k in enumerate(keep.tolist()) if not k]
    notes.append(
        f"the file masks {how}: masked steps are skipped, keeping the previous state and "
        f"output, as Keras does ({len(skipped)} masked: steps {spans(skipped)}; gates NaN "
        "there, trace.config['masked']); mask=False / --no-mask reads them as input"
    )
    return keep if skipped else None


def _initial_state(layer: RecurrentLayer, given: Any, notes: list[str]) -> Any:
    """h0 or (h0, c0) as [L*D, 1, H] tensors: the caller's, else the file's constant ones."""
    rows = layer.num_layers * layer.directions
    size = layer.proj_size or layer.hidden_size
    if given is None and layer.initial_state:
        h = torch.tensor(layer.initial_state["initial_h"]).reshape(rows, -1, size)
        c = layer.initial_state.get("initial_c")
        given = (h, torch.tensor(c).reshape(rows, -1, layer.hidden_size)) if c else h
    if given is None:
        return None
    lstm = layer.kind in ("lstm", "peephole_lstm")
    if lstm and not isinstance(given, tuple | list):
        given = (given, torch.zeros(rows, 1, layer.hidden_size))
    parts = list(given) if isinstance(given, tuple | list) else [given]
    shaped = []
    for part, width in zip(parts, (size, layer.hidden_size), strict=False):
        tensor = torch.as_tensor(part, dtype=torch.float32)
        if tensor.numel() != rows * width:
            raise ModelFileError(
                f"an initial state for {layer.describe()} has {rows} × {width} numbers "
                f"(layers × directions, units), got shape {list(tensor.shape)}"
            )
        shaped.append(tensor.reshape(rows, 1, width))
    notes.append("initial states given (not zeros)")
    return tuple(shaped) if lstm else shaped[0]


def _with_values(trace: Any, values: dict[str, torch.Tensor], tokens: Any = None) -> Any:
    from lstm_viz import Trace

    steps = next(iter(values.values())).shape[3]
    lengths = torch.full_like(trace.lengths, steps)
    return Trace(trace.kind, values, lengths, tokens or trace.tokens, dict(trace.config))


def _expand(trace: Any, keep: torch.Tensor, layer: RecurrentLayer) -> Any:
    """A trace of the kept steps -> one of every step: states carried over masked steps (in
    each direction's reading order; zeros before its first kept step), gates NaN."""
    steps = keep.shape[0]
    kept = torch.cumsum(keep.long(), 0)  # kept steps up to and including t
    before = kept - 1  # forward: the last kept step at or before t (-1: none)
    after = kept - keep.long()  # backward: the first kept step at or after t
    count = int(kept[-1])
    values = {}
    for name, value in trace.values.items():  # [L, D, B, T', U]
        padded = torch.cat([value, torch.zeros_like(value[:, :, :, :1])], dim=3)
        out = torch.empty(*value.shape[:3], steps, value.shape[4])
        for d in range(value.shape[1]):
            backward = bool(d) != layer.reverse
            index = after if backward else before
            index = torch.where(index < 0, count, index).clamp(max=count)
            out[:, d] = padded[:, d][:, :, index]
        if name not in _STATES:
            out[:, :, :, ~keep] = float("nan")
        values[name] = out
    expanded = _with_values(trace, values)
    expanded.config["masked"] = [(~keep).tolist()]
    return expanded
