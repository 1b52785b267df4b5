"""Model cards: the measured validation metric and interpretable unit, written and read back.

The texts a unit may be measured on live in probes.py, the gate-saturation sentence in
saturation_card.py (both re-exported here)."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lstm_viz.analysis import FEATURE_LABELS, find_units, record_corpus, token_features
from lstm_viz.models.checkpoints import Checkpoint, load_checkpoint
from lstm_viz.models.sequence import SequenceModel
from lstm_viz.pretrained.probes import PROBE_TEXTS, probe_text_of
from lstm_viz.pretrained.recipes import CARD, MAX_CARD_CHARS, PROBE_CHUNK, PROBE_STEPS, Recipe
from lstm_viz.pretrained.saturation_card import (
    SaturationFinding,
    read_saturation,
    saturation_finding,
)
from lstm_viz.quantities import BOUNDARY
from lstm_viz.tasks import from_info
from lstm_viz.tasks.base import Task
from lstm_viz.training import TrainConfig, Trainer

# ---- the interpretable unit ---------------------------------------------------------------------

# Features a recipe may search, besides lstm_viz.analysis.finder's built-in ones (position_in_word,
# position_in_line, inside_quotes, bracket_depth, capital_letter, whitespace, punctuation): the
# tasks' known hidden variables, and two of the sines task's phase.
TASK_FEATURES = {
    "depth": "the bracket depth",
    "subject_number": "the number of the pending subject (+1 plural, -1 singular)",
    "sin_phase": "the sine of the main wave's phase",
    "cos_phase": "the cosine of the main wave's phase",
}


def feature_label(name: str) -> str:
    return TASK_FEATURES.get(name) or FEATURE_LABELS.get(name, name)


def task_of(checkpoint: Checkpoint) -> Task:
    """Rebuild the task a checkpoint was trained on, from what its config.json says (ValueError
    when it cannot be)."""
    return from_info(checkpoint.task, strict=True)


@dataclass(frozen=True)
class UnitClaim:
    """One interpretable unit: its quantity correlates with a feature of the input. The unit is
    chosen on the first half of the probe data; r is measured on the other half (held out)."""

    layer: int
    direction: int
    quantity: str  # "cell" or "hidden"
    unit: int
    feature: str  # a built-in feature of lstm_viz.analysis.finder, or a TASK_FEATURES name
    r: float  # on the held-out half
    steps: int  # held-out steps

    def sentence(self) -> str:
        words = "cell state" if self.quantity == "cell" else "hidden state"
        return (
            f"layer {self.layer}, unit {self.unit}, {words} (`{self.quantity}`) tracks "
            f"{feature_label(self.feature)} (`{self.feature}`): r = {self.r:.2f} "
            f"(Pearson, {self.steps:,} held-out steps)"
        )


@torch.no_grad()
def unit_table(
    checkpoint: Checkpoint,
    features: Sequence[str],
    task: Task | None = None,
    probe_text: str | None = None,
):
    """Every (feature, quantity, layer, direction, unit) of the model, ranked by |r| on the first
    half of PROBE_STEPS steps, with r on the other half (``lstm_viz.analysis.find_units``:
    columns r, n, r_heldout, n_heldout). The steps are the task's validation data, or the
    ``probe_text`` (a PROBE_TEXTS name; default: the one the model's recipe names) read in
    sequences of PROBE_CHUNK characters. ValueError for an unknown probe text or feature."""
    probe_text = probe_text_of(checkpoint) if probe_text is None else probe_text
    if probe_text:
        if probe_text not in PROBE_TEXTS:
            raise ValueError(f"unknown probe text {probe_text!r}: one of {', '.join(PROBE_TEXTS)}")
        corpus = record_corpus(
            checkpoint.model,
            texts=_as_texts(PROBE_TEXTS[probe_text][1]()),
            vocab=checkpoint.vocab,
            chunk=PROBE_CHUNK,
            max_steps=PROBE_STEPS,
        )
        task = None
    else:
        task = task or task_of(checkpoint)
        corpus = record_corpus(checkpoint.model, task, max_steps=PROBE_STEPS)
    steps = corpus.trace.num_steps
    hidden = corpus.hidden
    available = {}
    if corpus.level != "numeric":
        available.update(token_features(corpus.tokens, steps))
    if hidden is not None:
        available[corpus.hidden_name] = hidden
        if corpus.hidden_name == "phase":
            available["sin_phase"], available["cos_phase"] = np.sin(hidden), np.cos(hidden)
    missing = [f for f in features if f not in available]
    if missing:
        where = task.name if task is not None else f"the probe text {probe_text!r}"
        raise ValueError(f"{where} has no feature {', '.join(missing)}")
    quantities = [q for q in ("cell", "hidden") if q in corpus.trace.names]
    return find_units(corpus.trace, {f: available[f] for f in features}, quantities)


def _as_texts(text: str | list[str]) -> list[str]:
    return [text] if isinstance(text, str) else text


# Features that only mirror the token just read: a unit tracking one is an input detector, not
# what a card should name as the model's interpretable unit (issue 20).
INPUT_DETECTORS = frozenset({"capital_letter", "whitespace", "punctuation"})


def find_unit(table) -> UnitClaim:
    """The best unit of a unit_table (ranked on the discovery half), with its held-out r; not an
    input detector (INPUT_DETECTORS) while the table holds any other feature. ValueError when no
    unit has a held-out r (a feature that never changes on the text, e.g. bracket depth on prose
    without brackets)."""
    table = table[table["r_heldout"].notna()]
    if table.empty:
        raise ValueError("no unit has a held-out correlation: the feature is constant on the text")
    kept = table[~table["feature"].isin(INPUT_DETECTORS)]
    best = (kept if len(kept) else table).iloc[0]
    return UnitClaim(
        int(best["layer"]),
        int(best["direction"]),
        str(best["quantity"]),
        int(best["unit"]),
        str(best["feature"]),
        float(best["r_heldout"]),
        int(best["n_heldout"]),
    )


def best_units(table, features: Sequence[str]) -> tuple[UnitClaim, ...]:
    """The best unit of a unit_table for each of ``features`` (in that order) that the text lets
    one measure (a feature constant on it, with no held-out r, is left out)."""
    measured = table[table["r_heldout"].notna()]
    return tuple(
        find_unit(measured[measured["feature"] == f])
        for f in features
        if (measured["feature"] == f).any()
    )


def claim_correlation(checkpoint: Checkpoint, claim: UnitClaim) -> float:
    """Recompute a claim's held-out r from the checkpoint alone (on the text its recipe names)."""
    table = unit_table(checkpoint, [claim.feature])
    row = table[
        (table["quantity"] == claim.quantity)
        & (table["layer"] == claim.layer)
        & (table["direction"] == claim.direction)
        & (table["unit"] == claim.unit)
    ]
    return float(row["r_heldout"].iloc[0])


def validation_metric(checkpoint: Checkpoint, task: Task | None = None) -> float:
    """The task's validation metric for this model, evaluated afresh (batch size as trained)."""
    task = task or task_of(checkpoint)
    saved = (checkpoint.info.get("training") or {}).get("config") or {}
    config = TrainConfig(batch_size=int(saved.get("batch_size", 32)), device="cpu")
    model = SequenceModel(checkpoint.model.config)
    model.load_state_dict(checkpoint.model.state_dict())  # the trainer must not touch the original
    return Trainer(model, task, config).evaluate("validation")[1]


METRIC_WORDS = {
    "bits_per_token": "bits per token (lower is better)",
    "accuracy": "accuracy (higher is better)",
    "mse": "mean squared error (lower is better)",
}


@dataclass
class Built:
    """What building one model measured."""

    recipe: Recipe
    path: Path
    metric_name: str
    metric: float
    claim: UnitClaim
    seconds: float  # training only
    steps: int
    parameters: int
    bytes: int
    saturation: SaturationFinding | None = None  # character models (Karpathy et al.'s figure)
    units: tuple[UnitClaim, ...] = ()  # the best unit of each feature, on a recipe's probe text
    machine: str = "a 2-core CPU"  # where it was trained (checkpoint info's training.machine)


def _dialogue(params: dict) -> str:
    """The end of text-english's data line: quoted speech and readings (english_task)."""
    share, readings = params.get("dialogue"), params.get("readings", 1)
    if not share:
        return ": first 90% to train, last 10% to validate"
    said = (
        f", a share of {share} of its paragraphs turned into quoted speech where their sentences "
        "allow (`lstm_viz.tasks.dialogue`)"
    )
    if readings == 1:
        return said + ": first 90% to train, last 10% to validate"
    return (
        said + f": the first 90% read {readings} times an epoch, quoted anew each time; the last "
        "10% (cut at a paragraph, in no reading) to validate"
    )


def card(built: Built, task: Task) -> str:
    """The model card (README.md) for a built model."""
    r, c = built.recipe, built.claim
    layers = f"{r.num_layers} layers" if r.num_layers > 1 else "1 layer"
    cell = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "vanilla RNN (tanh)"}.get(r.cell, r.cell)
    params = ", ".join(f"{k}={v}" for k, v in r.task_params.items())
    wrap = r.task_params.get("wrap")
    data = {
        "text-english": "the English documentation topics that Python ships "
        "(`pydoc_data.topics`, Python "
        + sys.version.split()[0]
        + ")"
        + (
            f", prose paragraphs re-filled at {wrap} columns and curly quotes written straight "
            "(`lstm_viz.tasks.text.rewrap`)"
            if wrap
            else ""
        )
        + _dialogue(r.task_params),
        "text-python": "the source of Python's own standard library, as installed (Python "
        + sys.version.split()[0]
        + "): first 90% to train, last 10% to validate",
    }.get(
        task.name,
        "generated by `lstm_viz.tasks` with a fixed seed (train and validation "
        "sequences are disjoint)",
    )
    shows = f"python -m lstm_viz.pretrained check {r.name}"
    sample = task.sample()  # what Explore shows first
    default = (
        f'\nDefault input in Explore: "{sample.strip()}"\n'
        if isinstance(sample, str) and "\n" not in sample.strip()
        else ""
    )
    saturation = ""
    if built.saturation is not None:
        saturation = (
            f"\n- Gate saturation (Karpathy et al. 2015): {built.saturation.sentence()}. "
            "Analyze > Saturation shows every unit's gates as a scatter."
        )
    units = ""
    if len(built.units) > 1:
        units = (
            "\n- Best unit for each feature: " + "; ".join(u.sentence() for u in built.units) + "."
        )
    where = f"the first half of {PROBE_STEPS:,} validation steps"
    if r.probe_text:
        where = (
            f"the first half of {PROBE_TEXTS[r.probe_text][0]}, read in texts of at most "
            f"{PROBE_CHUNK:,} characters, each from a fresh state (at most {PROBE_STEPS:,} steps)"
        )
    mirrors = [f"`{f}`" for f in r.features if f in INPUT_DETECTORS]
    detectors = (
        f" A unit that only mirrors the character just read ({', '.join(mirrors)}) is never "
        "named as the interpretable unit."
        if mirrors and len(mirrors) < len(r.features)
        else ""
    )
    tail = (
        f", then from the best checkpoint a warm restart (SGDR): {r.tail_epochs} more epochs "
        f"from {r.tail_learning_rate}"
        if r.tail_epochs
        else ""
    )
    rebuild = f"Rebuild (deterministic): `python -m lstm_viz.pretrained build {r.name}`."
    if "GPU" in built.machine:  # the CPU build gives other weights (cuDNN's sums, dropout masks)
        rebuild = (
            f"Rebuild on a GPU: `python -m lstm_viz.pretrained build {r.name} --device cuda` "
            "(the CPU build of this recipe gives other weights)."
        )
    return f"""# {r.name}

{r.title}.
{default}
- Task: {task.title} (`{task.name}`, {params}). {task.description}
- Data: {data}. Nothing is downloaded.
- Model: {cell}, {layers} of {r.hidden_size} units, input width {r.embedding_size}; \
{built.parameters:,} parameters; model.safetensors is {built.bytes / 1024:,.0f} KiB.
- Training: {r.epochs} epochs, batch {r.batch_size}, AdamW at {r.learning_rate}, seed {r.seed}\
{tail}; {built.steps:,} steps in {built.seconds:.0f} s on {built.machine}; the best validation \
checkpoint{" of the tail" if r.tail_epochs else ""} is kept.
- Validation metric (`{built.metric_name}`): {built.metric:.4f}, {METRIC_WORDS[built.metric_name]}.
- Interpretable unit: {c.sentence()}.{units}{saturation}

## What to look at

{r.about} The unit above was found by correlating every unit's cell and hidden state with \
{", ".join(f"`{f}`" for f in r.features)} on {where} (`lstm_viz.analysis.find_units`); its r is \
measured on the other half.{detectors} Open the model in Explore \
or Analyze and pick that unit, or run:

    {shows}

{rebuild}
"""


# ---- reading a card back -----------------------------------------------------------------------

_METRIC_LINE = re.compile(r"Validation metric \(`(\w+)`\): (-?[\d.]+)")
_CLAIM_LINE = re.compile(
    r"layer (\d+), unit (\d+), \w+ state \(`(\w+)`\) tracks .*? \(`(\w+)`\): r = (-?[\d.]+) "
    r"\(Pearson, ([\d,]+) held-out steps\)"
)


def read_card(path: str | Path) -> tuple[str, float, UnitClaim]:
    """(metric name, metric, claim) as a model card states them; ValueError if it does not."""
    try:
        with open(Path(path) / CARD, encoding="utf-8") as file:
            text = file.read(MAX_CARD_CHARS)
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}/{CARD} cannot be read ({error})") from None
    metric = _METRIC_LINE.search(text)
    claim = _CLAIM_LINE.search(text)
    if not metric or not claim:
        raise ValueError(f"{path}/{CARD} states no validation metric or no interpretable unit")
    layer, unit, quantity, feature, r, steps = claim.groups()
    return (
        metric.group(1),
        float(metric.group(2)),
        UnitClaim(
            int(layer), 0, quantity, int(unit), feature, float(r), int(steps.replace(",", ""))
        ),
    )


_UNITS_LINE = re.compile(r"Best unit for each feature: (.*?\))\.\n")


def read_units(path: str | Path) -> list[UnitClaim]:
    """The best unit of each feature, as a card states them ([] when it states none)."""
    text = (Path(path) / CARD).read_text(encoding="utf-8")[:MAX_CARD_CHARS]
    line = _UNITS_LINE.search(text)
    if not line:
        return []
    return [
        UnitClaim(int(layer), 0, quantity, int(unit), feature, float(r), int(n.replace(",", "")))
        for layer, unit, quantity, feature, r, n in _CLAIM_LINE.findall(line.group(1))
    ]


def check(path: str | Path) -> dict[str, Any]:
    """Re-evaluate a shipped model's card: {"metric": (stated, measured), "r": (stated,
    measured), "units": [(claim, measured r)] for each feature's best unit, ...}."""
    checkpoint = load_checkpoint(path)
    name, stated_metric, claim = read_card(path)
    return {
        "units": [(u, claim_correlation(checkpoint, u)) for u in read_units(path)],
        "metric_name": name,
        "metric": (stated_metric, validation_metric(checkpoint)),
        "claim": claim,
        "r": (claim.r, claim_correlation(checkpoint, claim)),
        "saturation": (
            (stated, saturation_finding(checkpoint).sentence())
            if (stated := read_saturation(path)) is not None
            else None
        ),
    }


# ---- sentences of the cards' "What to look at", measured -------------------------------------


def boundary_resets(
    checkpoint: Checkpoint, layer: int = 0, steps: int = 5_000, drop: float = 0.2
) -> tuple[int, int]:
    """(units, of): how many of a character model's ``layer`` units have a forget gate lower at
    spaces and punctuation than inside words (letters) by more than ``drop`` on average, over
    the first ``steps`` validation steps; the english-char-lstm card states this pair."""
    from lstm_viz.analysis.corpus import record_corpus

    corpus = record_corpus(checkpoint.model, task_of(checkpoint), max_steps=steps)
    forget = corpus.trace["forget_gate"].numpy()[layer, 0]  # [B, T, U]
    real = np.arange(forget.shape[1])[None, :] < corpus.lengths.numpy()[:, None]
    tokens = [t for sequence in corpus.tokens for t in sequence]
    values = forget[real]  # [steps, U], in the same order as tokens
    letters = np.array([t.isalpha() for t in tokens])
    ends = np.array([t in BOUNDARY for t in tokens])
    gap = values[letters].mean(axis=0) - values[ends].mean(axis=0)
    return int((gap > drop).sum()), int(values.shape[1])
