"""LSTMVis project folders, both ways: write a recording for LSTMVis, read an LSTMVis folder back.

LSTMVis (Strobelt, Gehrmann, Pfister, Rush; github.com/HendrikStrobelt/LSTMVis, read at commit
e0628ca) reads a project folder with (its README, "Data Format" and "Config File";
docs/chapter/config_states.md; lstmdata/data_handler.py, which opens it):

- ``lstm.yml``: ``files`` (name -> file; HDF5 files must end in .h5/.hdf5, dict files in .dict),
  ``word_sequence`` {file, path, dict_file}, ``states`` {file, types: [{type: state|output,
  layer: 1.., path, transform?, unsigned?}]}. By default LSTMVis applies tanh to state values
  for display; ``transform: none`` says they are already in [-1, 1].
- the states HDF5: one dataset [N, units] per type, for N time steps of the whole corpus laid end
  to end. Its own extraction script (model/get_states.lua) names layer L's cell state
  ``states{L}`` and its output (the hidden state) ``output{L}``, L from 1.
- the word-ids HDF5: one dataset [N] of word ids (``word_ids`` in the README's config; the Keras
  tutorial docs/keras.md and many user folders use ``words``).
- the dict file: ``word id`` per line; data_handler.py splits each line on whitespace, and a line
  that starts with a space maps the token " " (a space) to the id after it.

Written here (:func:`write_lstmvis`): ``lstm.yml``, ``states.hdf5`` (``states{L}`` = cell with
LSTMVis's default tanh display, ``output{L}`` = hidden with ``transform: none``), ``train.hdf5``
(``word_ids`` [N] int32, ids from 1 in order of first appearance, plus ``lstm_viz_lengths``, the
sequence lengths, which LSTMVis ignores and the reader uses to split sequences again) and
``train.dict``. Tokens LSTMVis's dict format cannot hold are escaped: ``\\n``, ``\\t``, ``\\r``,
``\\s`` (a space inside a longer token), ``\\0`` (the empty token) and ``\\\\``; a lone space uses
LSTMVis's own leading-space line. One direction is written (LSTMVis has no directions).

Read (:func:`read_lstmvis`): a folder with ``lstm.yml``, or without one when the names follow the
conventions above (``states{L}``/``output{L}``; a 1-D integer dataset; one .dict file). The
result is a Trace of kind "lstm_states" (cell and hidden) or "hidden_states": an LSTMVis folder
holds no gates and no model, and :class:`LSTMVisProject` says so in ``missing``. Before any data
is read, every HDF5 object is checked: external storage, external or soft links and virtual
datasets are refused (h5py would read other files through them), and sizes are bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from lstm_viz.export.text import ExportError
from lstm_viz.trace import Trace

STATES_FILE, WORDS_FILE, DICT_FILE, CONFIG_FILE = (
    "states.hdf5",
    "train.hdf5",
    "train.dict",
    "lstm.yml",
)
MAX_VALUES = 200_000_000  # per dataset (800 MB of float32): larger files are refused
MISSING = (
    "no gates (LSTMVis files hold cell and hidden states only: no forget, input or output gate)",
    "no model (nothing can be re-run: no predictions, interventions or new inputs)",
)
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", " ": "\\s"}
_UNESCAPES = {v[1]: k for k, v in _ESCAPES.items()}


@dataclass(frozen=True)
class LSTMVisProject:
    """An LSTMVis folder read as a Trace [layer, 1, sequence, time, unit]."""

    trace: Trace
    name: str
    missing: tuple[str, ...] = MISSING
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line for people: what was read and what an LSTMVis folder lacks."""
        return (
            f"LSTMVis project {self.name!r}: {', '.join(self.trace.names)} of "
            f"{self.trace.num_layers} layer(s), {int(self.trace.lengths.sum()):,} steps; it has "
            + "; ".join(self.missing)
        )


# ---- writing --------------------------------------------------------------------------------
def write_lstmvis(
    trace: Trace, folder: str | Path, *, name: str = "lstm-viz recording", description: str = "",
    direction: int = 0,
) -> Path:  # fmt: skip
    """Write ``trace`` (its cell and hidden states) as an LSTMVis project folder.

    Every batch element's real steps are laid end to end (N = the sum of the lengths). Returns the
    folder. Raises ExportError for a trace without hidden states or tokens, or a bad direction.
    """
    import h5py

    if "hidden" not in trace.names:
        raise ExportError(f"a {trace.kind} trace has no hidden state to write for LSTMVis")
    if not 0 <= direction < trace.num_directions:
        raise ExportError(f"direction {direction} out of range: {trace.num_directions}")
    if trace.tokens is None:
        raise ExportError("LSTMVis needs the tokens of the recording: record with tokens=")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lengths = trace.lengths.tolist()
    tokens = [tok for b, n in enumerate(lengths) for tok in trace.tokens[b][:n]]
    ids: dict[str, int] = {}
    word_ids = np.array([ids.setdefault(t, len(ids) + 1) for t in tokens], dtype=np.int32)
    quantities = [q for q in ("cell", "hidden") if q in trace.names]
    types = []
    with h5py.File(folder / STATES_FILE, "w") as f:
        for layer in range(trace.num_layers):
            for q in quantities:
                values = trace[q][layer, direction]  # [B, T, U]
                flat = np.concatenate([values[b, :n].numpy() for b, n in enumerate(lengths)])
                path = f"{'states' if q == 'cell' else 'output'}{layer + 1}"
                f.create_dataset(path, data=flat.astype(np.float32))  # [N, U]
                extra = ", transform: none" if q == "hidden" else ""
                kind = "state" if q == "cell" else "output"
                types.append(f"{{type: {kind}, layer: {layer + 1}, path: {path}{extra}}}")
    with h5py.File(folder / WORDS_FILE, "w") as f:
        f.create_dataset("word_ids", data=word_ids)
        f.create_dataset("lstm_viz_lengths", data=np.array(lengths, dtype=np.int64))
    lines = [(" " + str(i)) if t == " " else f"{_escape(t)} {i}" for t, i in ids.items()]
    (folder / DICT_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = "\n".join(
        [
            f"name: {_yaml_string(name)}",
            f"description: {_yaml_string(description or name)}",
            "files:",
            f"  states: {STATES_FILE}",
            f"  train: {WORDS_FILE}",
            f"  words: {DICT_FILE}",
            "word_sequence:",
            "  file: train",
            "  path: word_ids",
            "  dict_file: words",
            "states:",
            "  file: states",
            "  types: [",
            ",\n".join(f"    {t}" for t in types),
            "  ]",
            "",
        ]
    )
    (folder / CONFIG_FILE).write_text(config, encoding="utf-8")
    return folder


def _escape(token: str) -> str:
    if token == "":
        return "\\0"
    return "".join(_ESCAPES.get(ch, ch) for ch in token)


def _unescape(text: str) -> str:
    if text == "\\0":
        return ""
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(0)), text)


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


# ---- reading --------------------------------------------------------------------------------
def read_lstmvis(folder: str | Path) -> LSTMVisProject:
    """Read an LSTMVis project folder (with or without lstm.yml) as a Trace.

    Returns an :class:`LSTMVisProject`: ``trace`` [layer, 1, sequence, time, unit] of kind
    "lstm_states" (cell and hidden; a layer's missing one is NaN, said in ``notes``) or
    "hidden_states"; tokens from the dict (an id the dict lacks reads "<id N>"); one sequence
    unless the folder was written by lstm-viz (``lstm_viz_lengths``).

    Raises ExportError (one line) for a folder that is not an LSTMVis project, unsafe HDF5
    (external storage, external or soft links, virtual datasets), files outside the folder, or
    data that does not fit together (lengths, sizes).
    """
    import h5py

    folder = Path(folder)
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder: give an LSTMVis project folder")
    config = _read_config(folder)
    notes: list[str] = []
    if config is None:
        config = _guess_config(folder)
        notes.append(f"no {CONFIG_FILE}: read by LSTMVis's naming conventions")
    files = config.get("files") or {}
    ws = config.get("word_sequence") or {}
    states = config.get("states") or {}

    def path_of(key: str) -> Path:
        name = files.get(key, key)
        path = (folder / str(name)).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            raise ExportError(f"{CONFIG_FILE} names {name!r}, which is not a file in {folder}")
        return path

    layers: dict[int, dict[str, np.ndarray]] = {}
    for entry in states.get("types") or []:
        if not isinstance(entry, dict) or entry.get("type") not in ("state", "output"):
            continue
        file = path_of(entry.get("file", states.get("file", "states")))
        with h5py.File(file, "r") as f:
            _check_safe(f, file)
            array = _dataset(f, str(entry.get("path")), file, ndim=2)
        quantity = "cell" if entry["type"] == "state" else "hidden"
        layers.setdefault(int(entry.get("layer", 1)), {})[quantity] = array
    if not layers:
        raise ExportError(f"{folder}: {CONFIG_FILE} lists no state or output datasets")
    word_file = path_of(ws.get("file", "train"))
    with h5py.File(word_file, "r") as f:
        _check_safe(f, word_file)
        word_ids = _dataset(f, str(ws.get("path", "word_ids")), word_file, ndim=1)
        lengths = (
            _dataset(f, "lstm_viz_lengths", word_file, ndim=1).astype(np.int64)
            if "lstm_viz_lengths" in f
            else np.array([len(word_ids)])
        )
    words = _read_dict(path_of(ws.get("dict_file", "words")))
    return _project(folder, config, layers, word_ids, lengths, words, notes)


def _project(folder, config, layers, word_ids, lengths, words, notes) -> LSTMVisProject:
    steps = {a.shape[0] for parts in layers.values() for a in parts.values()}
    if len(steps) != 1 or steps != {len(word_ids)}:
        raise ExportError(
            f"{folder}: the states have {sorted(steps)} steps but there are {len(word_ids)} "
            "word ids; they must match"
        )
    total = len(word_ids)
    if lengths.sum() != total or (lengths < 1).any():
        raise ExportError(f"{folder}: lstm_viz_lengths does not add up to {total} steps")
    order = sorted(layers)
    has_cell = any("cell" in layers[k] for k in order)
    names = ("cell", "hidden") if has_cell else ("hidden",)
    units = {q: max((a.shape[1] for p in layers.values() for n, a in p.items() if n == q),
                    default=0) for q in names}  # fmt: skip
    if "cell" in units and units.get("hidden", 0) == 0:
        units["hidden"] = units["cell"]
    batch, longest = len(lengths), int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    values = {}
    for q in names:
        array = np.full((len(order), 1, batch, longest, units[q]), np.nan, dtype=np.float32)
        for i, layer in enumerate(order):
            flat = layers[layer].get(q)
            if flat is None:
                notes.append(f"layer {layer} has no {q} state in the file (shown blank)")
                continue
            for b, (s, n) in enumerate(zip(starts, lengths, strict=True)):
                array[i, 0, b, :n, : flat.shape[1]] = flat[s : s + n]
        values[q] = torch.from_numpy(array)
    labels = [words.get(int(i), f"<id {int(i)}>") for i in word_ids]
    tokens = [labels[s : s + n] for s, n in zip(starts, lengths, strict=True)]
    name = str(config.get("name") or folder.name)
    trace_config = {"source": "lstmvis", "project": name, "layers": [int(k) for k in order]}
    trace = Trace(
        "lstm_states" if has_cell else "hidden_states",
        values,
        torch.from_numpy(lengths.astype(np.int64)),
        tokens,
        trace_config,
    )
    return LSTMVisProject(trace, name, MISSING if has_cell else (
        "no cell state", *MISSING), notes)  # fmt: skip


def _read_config(folder: Path) -> dict | None:
    path = folder / CONFIG_FILE
    if not path.is_file():
        return None
    import yaml

    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ExportError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(config, dict) or not isinstance(config.get("states"), dict):
        raise ExportError(f"{path} has no 'states' section: it is not an LSTMVis config")
    return config


def _guess_config(folder: Path) -> dict:
    """An lstm.yml for a folder without one: states{L}/output{L}, a 1-D integer dataset, a
    .dict file. Said plainly when the folder does not look like an LSTMVis project."""
    import h5py

    hdf5 = sorted(p for p in folder.iterdir() if p.suffix in (".h5", ".hdf5") and p.is_file())
    dicts = sorted(p for p in folder.iterdir() if p.suffix == ".dict" and p.is_file())
    states_file = words = None
    types: list[dict] = []
    found: dict[str, list[str]] = {}
    for path in hdf5:
        with h5py.File(path, "r") as f:
            _check_safe(f, path)
            found[path.name] = sorted(f.keys())
            if states_file is None:
                matches = [k for k in f if re.fullmatch(r"(states|output)\d+", k)]
                if matches:
                    states_file = path.name
                    types = [
                        {"type": "state" if k.startswith("states") else "output",
                         "layer": int(re.sub(r"\D", "", k)), "path": k}
                        for k in sorted(matches)
                    ]  # fmt: skip
            if words is None:
                for k in ("word_ids", "words"):
                    if k in f and getattr(f[k], "ndim", 0) == 1:
                        words = (path.name, k)
                        break
    if states_file is None or words is None or not dicts:
        raise ExportError(
            f"{folder} is not an LSTMVis project: it needs a states HDF5 (states1, output1, ...),"
            f" a word-ids HDF5 (word_ids or words) and a .dict file; found "
            f"{found or 'no HDF5 files'} and {len(dicts) or 'no'} .dict "
            f"file{'' if len(dicts) == 1 else 's'}"
        )
    return {
        "name": folder.name,
        "files": {"states": states_file, "train": words[0], "words": dicts[0].name},
        "word_sequence": {"file": "train", "path": words[1], "dict_file": "words"},
        "states": {"file": "states", "types": types},
    }


def _check_safe(f, path: Path) -> None:
    """Refuse HDF5 that points outside itself, before any data is read."""
    import h5py

    def visit(group, where: str) -> None:
        for key in group:
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.ExternalLink | h5py.SoftLink):
                kind = "an external link" if isinstance(link, h5py.ExternalLink) else "a soft link"
                raise ExportError(f"{path.name}: {where}{key} is {kind}; refused (not read)")
            item = group[key]
            if isinstance(item, h5py.Group):
                visit(item, f"{where}{key}/")
            elif isinstance(item, h5py.Dataset):
                if item.is_virtual or item.id.get_create_plist().get_external_count() > 0:
                    raise ExportError(
                        f"{path.name}: {where}{key} keeps its data outside the file (virtual or "
                        "external storage); refused (not read)"
                    )

    visit(f, "/")


def _dataset(f, key: str, path: Path, ndim: int) -> np.ndarray:
    import h5py

    item = f.get(key)
    if not isinstance(item, h5py.Dataset):
        raise ExportError(f"{path.name} has no dataset {key!r}; it has {sorted(f.keys())}")
    if item.ndim != ndim or item.dtype.kind not in "fiu":
        raise ExportError(
            f"{path.name}:{key} is {item.dtype} {list(item.shape)}; expected {ndim}-D numbers"
        )
    if item.size > MAX_VALUES:
        raise ExportError(f"{path.name}:{key} holds {item.size:,} values; at most {MAX_VALUES:,}")
    return item[()]


def _read_dict(path: Path) -> dict[int, str]:
    """id -> token, as LSTMVis's data_handler reads dict lines (escapes undone)."""
    words: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            words[int(parts[1])] = _unescape(parts[0])
        elif line.startswith(" ") and len(parts) == 1 and parts[0].isdigit():
            words[int(parts[0])] = " "
    return words
