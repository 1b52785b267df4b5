"""Finding recurrent layers in a flat state dict by their parameter names, and the embeddings and
heads beside them.

A state dict names an nn.LSTM's parameters ``<prefix>.weight_ih_l<k>[_reverse]`` (and
``weight_hh``, ``bias_ih``, ``bias_hh``, ``weight_hr`` for a projection, ``weight_peephole`` for
our PeepholeLSTM). The number of gates follows from the shapes (4H: LSTM, 3H: GRU, H: RNN).

Weight-dropped LSTMs (AWD-LSTM's ``WeightDrop``, fastai's ``WeightDropout``) keep the
hidden-to-hidden matrix as ``weight_hh_l<k>_raw`` (on the wrapper, or on its ``.module``) and may
also hold ``module.weight_hh_l<k>``, the dropped-out copy left by the last training step. At
inference weight drop is off, so the ``_raw`` matrix is the one the model uses: it is preferred,
and the layer's notes say so (and whether the other copy differs).
"""

from __future__ import annotations

import re
from collections import defaultdict

import torch

from ._core import (
    ImportedFile,
    Linear,
    ModelFileError,
    RecurrentLayer,
    as_float32,
    check_elements,
    suffix,
    validate,
)

_PARAM = re.compile(
    r"^(?:(?P<prefix>.*)\.)?(?P<what>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr|weight_peephole)"
    r"(?:_l(?P<layer>\d+)(?P<reverse>_reverse)?)?(?P<raw>_raw)?$"
)


def from_state_dict(tensors: dict[str, torch.Tensor], filename: str, fmt: str) -> ImportedFile:
    """Every recurrent module in a flat state dict, with embeddings and heads found beside it."""
    check_elements([tuple(t.shape) for t in tensors.values()], filename)
    matches = {key: m for key in tensors if (m := _PARAM.match(key))}
    # A weight-drop wrapper: "<p>.weight_hh_l0_raw" beside "<p>.module.weight_ih_l0", or all
    # under "<p>.module": the layer is "<p>".
    raw_prefixes = {m["prefix"] or "" for m in matches.values() if m["raw"]}
    groups: dict[str, dict[str, tuple[str, str, int, int]]] = defaultdict(dict)
    raw_used: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for key, match in sorted(matches.items(), key=lambda item: bool(item[1]["raw"])):
        prefix = match["prefix"] or ""
        parent, _, last = prefix.rpartition(".")
        if last == "module" and (prefix in raw_prefixes or parent in raw_prefixes):
            prefix = parent
        layer = int(match["layer"]) if match["layer"] is not None else 0
        direction = 1 if match["reverse"] else 0
        name = match["what"] + suffix(layer, direction)
        entry = (key, match["what"], layer, direction)
        if match["raw"]:
            replaced = groups[prefix].get(name)
            raw_used[prefix].append((key, replaced[0] if replaced else None))
        groups[prefix][name] = entry  # a _raw key (sorted last) wins over the dropped-out copy
    layers = []
    used = set(matches)
    for prefix, params in groups.items():
        if not any(p[1] == "weight_ih" for p in params.values()):
            continue
        layer = _layer_from_params(prefix, params, tensors)
        for raw_key, other in raw_used.get(prefix, []):
            layer.notes.append(_weight_drop_note(raw_key, other, tensors))
        layers.append(layer)
    if not layers:
        sample = ", ".join(list(tensors)[:6])
        raise ModelFileError(
            f"{filename} has no recurrent layer: no parameter is named like an nn.LSTM's "
            f"(<name>.weight_ih_l0, ...). It has: {sample}{', ...' if len(tensors) > 6 else ''}"
        )
    others = {k: v for k, v in tensors.items() if k not in used}
    for layer in layers:
        layer.embeddings, layer.heads = _neighbours(layer, others)
        layer.notes.extend(_pairing_notes(layer))
    imported = ImportedFile(filename, fmt, layers)
    unread = unread_note(tensors, used, layers)
    if unread:
        imported.notes.append(unread)
    from lstm_viz.importers._seq2seq import recognise_encoder_decoder  # issue 17

    note = recognise_encoder_decoder(tensors)
    if note:
        imported.notes.insert(0, note)
    return imported


def _weight_drop_note(raw: str, other: str | None, tensors: dict[str, torch.Tensor]) -> str:
    text = (
        f"weight-dropped LSTM (AWD-LSTM WeightDrop): {raw!r} is used as the hidden-to-hidden "
        "matrix, the one the model uses at inference (weight drop is off in eval mode)"
    )
    if other is None:
        return text
    a, b = tensors[raw].float(), tensors[other].float()
    if a.shape == b.shape and torch.equal(a, b):
        return text + f"; {other!r} holds the same matrix"
    gap = float((a - b).abs().max()) if a.shape == b.shape else float("nan")
    return (
        text + f"; the file also holds {other!r}, a different matrix (max |difference| "
        f"{gap:.3g}): the dropped-out copy left by the last training step, not used"
    )


def _layer_from_params(
    prefix: str, params: dict[str, tuple[str, str, int, int]], tensors: dict[str, torch.Tensor]
) -> RecurrentLayer:
    name = prefix or "(top level)"
    layer_ids = sorted({p[2] for p in params.values()})
    if layer_ids != list(range(len(layer_ids))):
        raise ModelFileError(f"recurrent layer {name!r}: its layers {layer_ids} are not 0..n-1")
    bidirectional = any(p[3] == 1 for p in params.values())
    w_hh = tensors[params["weight_hh_l0"][0]] if "weight_hh_l0" in params else None
    w_ih = tensors[params["weight_ih_l0"][0]]
    if w_hh is None or w_hh.dim() != 2 or w_ih.dim() != 2:
        raise ModelFileError(
            f"recurrent layer {name!r}: weight_ih_l0/weight_hh_l0 missing or not 2-D"
        )
    proj_size = 0
    if "weight_hr_l0" in params:
        w_hr = tensors[params["weight_hr_l0"][0]]
        if w_hr.dim() != 2:
            raise ModelFileError(f"recurrent layer {name!r}: weight_hr_l0 is not 2-D")
        proj_size, hidden = int(w_hr.shape[0]), int(w_hr.shape[1])
    else:
        hidden = int(w_hh.shape[1])
    if hidden < 1 or w_hh.shape[0] % hidden:
        raise ModelFileError(
            f"recurrent layer {name!r}: weight_hh_l0 {list(w_hh.shape)} is not gates x hidden"
        )
    gates = w_hh.shape[0] // hidden
    kinds = {4: "lstm", 3: "gru", 1: "rnn_tanh"}
    if gates not in kinds:
        raise ModelFileError(
            f"recurrent layer {name!r}: weight_hh_l0 {list(w_hh.shape)} has {gates} gate blocks; "
            "an LSTM has 4, a GRU 3, an RNN 1"
        )
    kind = kinds[gates]
    if "weight_peephole_l0" in params:
        kind = "peephole_lstm"
    weights, sources = {}, {}
    for ours, (key, *_rest) in params.items():
        weights[ours] = as_float32(tensors[key], key)
        sources[ours] = key
    layer = RecurrentLayer(
        name=name,
        kind=kind,
        input_size=int(w_ih.shape[1]),
        hidden_size=hidden,
        num_layers=len(layer_ids),
        bidirectional=bidirectional,
        bias="bias_ih_l0" in params,
        weights=weights,
        proj_size=proj_size,
        sources=sources,
    )
    if kind == "rnn_tanh":
        layer.notes.append(
            "a vanilla RNN: its nonlinearity is not in the weights; tanh is assumed (choose relu "
            "if it was built with nonlinearity='relu')"
        )
    dtypes = {str(tensors[p[0]].dtype) for p in params.values()}
    if dtypes != {"torch.float32"}:
        layer.notes.append(f"weights stored as {', '.join(sorted(dtypes))}; recorded in float32")
    return validate(layer)


_EMBEDDING_WORDS = ("embed", "emb", "encoder", "wte", "tok")
_HEAD_WORDS = ("head", "fc", "linear", "classifier", "decoder", "out", "proj", "dense")


def _parent(name: str) -> str:
    return name.rpartition(".")[0]


def _shares_parent(module: str, layer: RecurrentLayer) -> bool:
    """Whether ``module`` sits under the layer's parent module (decoder.embedding for
    decoder.gru; everything for a layer at the top level)."""
    parent = _parent(layer.name) if layer.name != "(top level)" else ""
    return not parent or module.startswith(parent + ".")


def _neighbours(
    layer: RecurrentLayer, tensors: dict[str, torch.Tensor]
) -> tuple[list[Linear], list[Linear]]:
    """Embedding candidates ([V, input_size] matrices with no bias) and linear-head candidates
    ([O, output_size] with an optional [O] bias, not named like an embedding), most likely
    first: those under the layer's own parent module, then those named like one."""
    embeddings, heads = [], []
    for key, value in tensors.items():
        if not key.endswith("weight") or value.dim() != 2 or not value.is_floating_point():
            continue
        module = key[: -len("weight")].rstrip(".")
        bias = tensors.get(f"{module}.bias" if module else "bias")
        last = module.rpartition(".")[2].lower()
        near = not _shares_parent(module, layer)
        embedding_named = any(w in last for w in _EMBEDDING_WORDS)
        if value.shape[1] == layer.input_size and bias is None:
            embeddings.append(
                ((near, not embedding_named), Linear(module or key, as_float32(value, key)))
            )
        if value.shape[1] == layer.output_size and module and not (embedding_named and not bias):
            if bias is not None and tuple(bias.shape) != (value.shape[0],):
                continue
            named = any(w in last for w in _HEAD_WORDS)
            head = Linear(
                module,
                as_float32(value, key),
                None if bias is None else as_float32(bias, f"{module}.bias"),
            )
            heads.append(((near, not named), head))
    embeddings.sort(key=lambda pair: pair[0])
    heads.sort(key=lambda pair: pair[0])
    return [e for _, e in embeddings], [h for _, h in heads]


def _pairing_notes(layer: RecurrentLayer) -> list[str]:
    """Which embedding and head were paired with the layer, and why, when there was a choice."""
    notes = []
    for what, found, flag in (
        ("embedding", layer.embeddings, "--embedding NAME, or --no-embedding"),
        ("head", layer.heads, "--head NAME"),
    ):
        if len(found) < 2:
            continue
        first = found[0].name
        why = (
            f"under the same parent module as the layer ({_parent(layer.name)!r})"
            if _parent(layer.name) and _shares_parent(first, layer)
            else "the first found"
        )
        others = ", ".join(repr(c.name) for c in found[1:4])
        notes.append(f"{what} {first!r} paired with the layer: {why}; others: {others} ({flag})")
    return notes


def unread_note(tensors: dict[str, torch.Tensor], used: set[str], layers: list) -> str:
    """What the file holds that no recurrent layer, embedding or head candidate reads, by
    module: "Not read: 7 tensors that no recurrent layer, embedding or head uses: conv (2),
    bn (5). ..." ("" when everything is read). Grouped by the first part of the name, or the
    first two where the first also holds a recurrent layer (model_state_dict.conv)."""
    read = set(used)
    for layer in layers:
        for linear in [*layer.embeddings, *layer.heads]:
            read |= {linear.name, f"{linear.name}.weight", f"{linear.name}.bias"}
    unread = [key for key in tensors if key not in read]
    if not unread:
        return ""
    holders = {key.split(".")[0] for key in used}
    groups: dict[str, int] = defaultdict(int)
    for key in unread:
        parts = key.split(".")
        groups[".".join(parts[:2] if parts[0] in holders and len(parts) > 2 else parts[:1])] += 1
    named = [f"{group} ({count})" for group, count in list(groups.items())[:8]]
    more = f", and {len(groups) - 8} more" if len(groups) > 8 else ""
    return (
        f"Not read: {len(unread)} tensor{'s' if len(unread) != 1 else ''} that no recurrent layer, "
        f"embedding or head uses: {', '.join(named)}{more}. The recurrent layer reads the input "
        "chosen here directly: any module in front of it in your model (a convolution, a "
        "normalisation) is not run."
    )
