"""The shipped models in ``pretrained/``: how each is trained, checked and described.

    python -m lstm_viz.pretrained build            # retrain all of them from scratch (fixed seeds)
    python -m lstm_viz.pretrained build brackets-lstm
    python -m lstm_viz.pretrained check            # re-evaluate each card's numbers

Every model comes from a ``Recipe``: a task (generated data, or text the Python installation
ships), a model and a training schedule with a fixed seed and a fixed number of epochs (never a
time limit, so a rebuild gives the same weights). After training, ``build`` measures the
validation metric, searches the model for its most interpretable unit (the unit whose cell or
hidden state correlates best with a known feature of the input, on held-out data), and writes a
model card (README.md) that states both. ``check`` recomputes them from the files alone; the
tests do the same.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .analysis import FEATURE_LABELS, find_units, record_corpus, token_features
from .checkpoints import Checkpoint, load_checkpoint, read_config, save_checkpoint
from .models import SequenceModel
from .tasks import make_task, task_from_info
from .tasks.base import Task
from .training import TrainConfig, Trainer, model_config_for

PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"
CARD = "README.md"
MAX_CARD_CHARS = 200_000  # a model card is a page of Markdown
MAX_MODEL_BYTES = 5 * 1024 * 1024  # each shipped model.safetensors stays below this
PROBE_STEPS = 20_000  # validation steps searched for an interpretable unit (half to choose it,
# half to measure it)


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is made. Every field is fixed, so a rebuild is deterministic."""

    name: str  # the folder under pretrained/
    title: str  # one line for the card
    task: str  # a name in lstm_viz.tasks.TASKS
    task_params: dict[str, Any]
    cell: str = "lstm"
    hidden_size: int = 64
    num_layers: int = 1
    embedding_size: int = 32
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 3e-3
    evals_per_epoch: int = 1
    seed: int = 0
    features: tuple[str, ...] = ()  # the FEATURES searched for an interpretable unit
    about: str = ""  # what to look for, for the card


BRACKETS = Recipe(
    "brackets-lstm",
    "Bracket depth counter (Dyck-2), LSTM",
    "dyck",
    {"types": 2, "max_depth": 6, "min_length": 20, "max_length": 50, "seed": 0},
    hidden_size=16,
    epochs=20,
    features=("depth",),
    about="A counter in the cell state: one unit steps up at each opening bracket and "
    "down at each closing one.",
)

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        BRACKETS,
        replace(  # the twins: the same task, size and schedule, another core
            BRACKETS,
            name="brackets-gru",
            title="Bracket depth counter (Dyck-2), GRU twin of brackets-lstm",
            cell="gru",
            about="The same task and size as brackets-lstm, with a GRU: it has no separate cell "
            "state, so its counter lives in the hidden state.",
        ),
        replace(
            BRACKETS,
            name="brackets-rnn",
            title="Bracket depth counter (Dyck-2), vanilla-RNN twin of brackets-lstm",
            cell="rnn_tanh",
            about="The same task and size as brackets-lstm, with a vanilla tanh RNN: compare how "
            "well it counts and how cleanly one unit holds the depth.",
        ),
        Recipe(
            "sines-lstm",
            "Forecaster of noisy sums of sines (numeric input)",
            "sines",
            {"length": 100, "components": 3, "noise": 0.1, "seed": 0},
            hidden_size=32,
            epochs=25,
            features=("sin_phase", "cos_phase"),
            about="To forecast a wave the network tracks its phase: some units rise and fall "
            "with the sine or cosine of the main component.",
        ),
        Recipe(
            "agreement-word-lstm",
            "Word-level sentences whose verbs agree with distant subjects",
            "grammar",
            {"train_size": 5000, "validation_size": 500, "seed": 0},
            hidden_size=64,
            epochs=30,
            features=("subject_number",),
            about="To choose between 'is' and 'are' after a long modifier, the network must carry "
            "the subject's number across it: look for the unit that does.",
        ),
        Recipe(
            "english-char-lstm",
            "English, character by character (the app's default model)",
            "text-english",
            {"seq_len": 100, "max_vocab": 100, "seed": 0},
            hidden_size=128,
            num_layers=2,
            epochs=20,
            features=(
                "position_in_word",
                "bracket_depth",
                "inside_quotes",
                "whitespace",
                "capital_letter",
                "punctuation",
            ),
            about="Read a sentence and watch the forget gates: most units keep their memory "
            "inside a word and many reset at spaces and punctuation.",
        ),
        Recipe(
            "python-char-lstm",
            "Python source code, character by character (after Karpathy et al. 2015)",
            "text-python",
            {"seq_len": 100, "max_chars": 1_000_000, "max_vocab": 100, "seed": 0},
            hidden_size=128,
            num_layers=2,
            epochs=12,
            features=("bracket_depth", "inside_quotes", "position_in_line", "whitespace"),
            about="As in Karpathy et al. (2015), look for cells that count open brackets, switch "
            "on inside strings, or track the position in a line.",
        ),
    ]
}


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
    """Rebuild the task a checkpoint was trained on, from what its config.json says."""
    return task_from_info(checkpoint.info.get("task"))


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
def unit_table(checkpoint: Checkpoint, features: Sequence[str], task: Task | None = None):
    """Every (feature, quantity, layer, direction, unit) of the model, ranked by |r| on the first
    half of its task's validation data (PROBE_STEPS steps), with r on the other half
    (``lstm_viz.analysis.find_units``: columns r, n, r_heldout, n_heldout)."""
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
        raise ValueError(f"{task.name} has no feature {', '.join(missing)}")
    quantities = [q for q in ("cell", "hidden") if q in corpus.trace.names]
    return find_units(corpus.trace, {f: available[f] for f in features}, quantities)


def find_unit(table) -> UnitClaim:
    """The best unit of a unit_table (ranked on the discovery half), with its held-out r."""
    best = table[table["r_heldout"].notna()].iloc[0]
    return UnitClaim(
        int(best["layer"]),
        int(best["direction"]),
        str(best["quantity"]),
        int(best["unit"]),
        str(best["feature"]),
        float(best["r_heldout"]),
        int(best["n_heldout"]),
    )


def claim_correlation(checkpoint: Checkpoint, claim: UnitClaim) -> float:
    """Recompute a claim's held-out r from the checkpoint alone."""
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


# ---- building ----------------------------------------------------------------------------------


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


def build(recipe: Recipe, root: Path = PRETRAINED_DIR, progress: bool = True) -> Built:
    """Train ``recipe`` from scratch and write ``root/<name>/`` (weights, config, vocab, card).

    Runs on one CPU thread: a matrix product may sum in another order with more threads, so one
    thread gives the same weights on every machine (and these small models barely use a second).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _build(recipe, root, progress)
    finally:
        torch.set_num_threads(threads)


def _build(recipe: Recipe, root: Path, progress: bool) -> Built:
    torch.manual_seed(recipe.seed)  # the model's initial weights
    task = make_task(recipe.task, **recipe.task_params)
    model = SequenceModel(
        model_config_for(
            task,
            cell=recipe.cell,
            hidden_size=recipe.hidden_size,
            num_layers=recipe.num_layers,
            embedding_size=recipe.embedding_size,
        )
    )
    config = TrainConfig(
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        evals_per_epoch=recipe.evals_per_epoch,
        patience=0,  # a fixed schedule: the best validation checkpoint of all epochs is kept
        device="cpu",
        seed=recipe.seed,
    )
    from .training import Callbacks

    callbacks = Callbacks(on_progress=_progress_line(recipe.name) if progress else None)
    trainer = Trainer(model, task, config, callbacks)
    result = trainer.fit()
    if progress:
        print(file=sys.stderr)
    path = root / recipe.name
    info = {**trainer.checkpoint_info(), "recipe": asdict(recipe)}
    info["training"]["seconds"] = round(result.seconds, 1)
    save_checkpoint(path, trainer.model, task.vocab, info)
    return write_card(path, recipe, task)


def write_card(path: str | Path, recipe: Recipe | None = None, task: Task | None = None) -> Built:
    """Measure a built model (validation metric, interpretable unit) and write its card.

    recipe: default RECIPES[folder name]. Also refreshes a card without retraining
    (``python -m lstm_viz.pretrained card``)."""
    path = Path(path)
    recipe = recipe or RECIPES[path.name]
    checkpoint = load_checkpoint(path)
    task = task or task_of(checkpoint)
    training = checkpoint.info.get("training") or {}
    built = Built(
        recipe,
        path,
        task.metric,
        validation_metric(checkpoint, task),
        find_unit(unit_table(checkpoint, recipe.features, task)),
        float(training.get("seconds", 0.0)),
        int(training.get("step", 0)),
        checkpoint.model.num_parameters(),
        (path / "model.safetensors").stat().st_size,
    )
    (path / CARD).write_text(card(built, task))
    return built


def _progress_line(name: str):
    """A progress callback: one line redrawn on a terminal, a line per 10% otherwise."""
    tty = sys.stderr.isatty()
    last = [0.0, -1]

    def show(p) -> None:
        now, tenth = time.monotonic(), int(p.fraction * 10)
        if tty and (now - last[0] >= 0.5 or p.step == p.total_steps):
            end = "\r"
        elif not tty and tenth > last[1]:
            end = "\n"
        else:
            return
        last[0], last[1] = now, tenth
        print(
            f"  {name}: {p.fraction:4.0%} step {p.step}/{p.total_steps} loss {p.loss:.4f} "
            f"{p.tokens_per_second:,.0f} tok/s",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return show


METRIC_WORDS = {
    "bits_per_token": "bits per token (lower is better)",
    "accuracy": "accuracy (higher is better)",
    "mse": "mean squared error (lower is better)",
}


def card(built: Built, task: Task) -> str:
    """The model card (README.md) for a built model."""
    r, c = built.recipe, built.claim
    layers = f"{r.num_layers} layers" if r.num_layers > 1 else "1 layer"
    cell = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "vanilla RNN (tanh)"}.get(r.cell, r.cell)
    params = ", ".join(f"{k}={v}" for k, v in r.task_params.items())
    data = {
        "text-english": "the English documentation topics that Python ships "
        "(`pydoc_data.topics`, Python " + sys.version.split()[0] + "): first 90% to train, "
        "last 10% to validate",
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
    return f"""# {r.name}

{r.title}.
{default}
- Task: {task.title} (`{task.name}`, {params}). {task.description}
- Data: {data}. Nothing is downloaded.
- Model: {cell}, {layers} of {r.hidden_size} units, input width {r.embedding_size}; \
{built.parameters:,} parameters; model.safetensors is {built.bytes / 1024:,.0f} KiB.
- Training: {r.epochs} epochs, batch {r.batch_size}, AdamW at {r.learning_rate}, seed {r.seed}; \
{built.steps:,} steps in {built.seconds:.0f} s on a 2-core CPU; the best validation checkpoint is \
kept.
- Validation metric (`{built.metric_name}`): {built.metric:.4f}, {METRIC_WORDS[built.metric_name]}.
- Interpretable unit: {c.sentence()}.

## What to look at

{r.about} The unit above was found by correlating every unit's cell and hidden state with \
{", ".join(f"`{f}`" for f in r.features)} on the first half of {PROBE_STEPS:,} validation steps \
(`lstm_viz.analysis.find_units`); its r is measured on the other half. Open the model in Explore \
or Analyze and pick that unit, or run:

    {shows}

Rebuild (deterministic): `python -m lstm_viz.pretrained build {r.name}`.
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


def check(path: str | Path) -> dict[str, Any]:
    """Re-evaluate a shipped model's card: {"metric": (stated, measured), "r": (stated,
    measured), ...}."""
    checkpoint = load_checkpoint(path)
    name, stated_metric, claim = read_card(path)
    return {
        "metric_name": name,
        "metric": (stated_metric, validation_metric(checkpoint)),
        "claim": claim,
        "r": (claim.r, claim_correlation(checkpoint, claim)),
    }


def write_index(root: Path = PRETRAINED_DIR) -> Path:
    """root/README.md: one row per shipped model, from the cards (so it never disagrees)."""
    rows = []
    for path in shipped(root):
        checkpoint_config = read_config(path)  # checked: "model" and "task" are objects
        model = checkpoint_config["model"]
        task_title = (checkpoint_config.get("task") or {}).get("title") or "?"
        metric_name, metric, claim = read_card(path)
        cell = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN"}.get(model["cell"], model["cell"])
        rows.append(
            f"| [{path.name}]({path.name}/README.md) | {task_title} | "
            f"{model['num_layers']} x {model['hidden_size']} {cell} | {metric_name} "
            f"{metric:.4f} | layer {claim.layer} unit {claim.unit} `{claim.quantity}` ~ "
            f"`{claim.feature}`, r = {claim.r:.2f} |"
        )
    text = f"""# Shipped models

Small models trained by `python -m lstm_viz.pretrained build` (fixed seeds, nothing downloaded),
so the app shows real gate dynamics the moment it opens. Each folder holds `model.safetensors`,
`config.json`, `vocab.json` (text models) and a model card (`README.md`) with the task, the data,
the size, the training time, the validation metric and one interpretable unit, all re-checked by
`tests/unit/test_pretrained.py` (and by `python -m lstm_viz.pretrained check`).

| model | task | core | validation | interpretable unit (held-out r) |
|---|---|---|---|---|
{chr(10).join(rows)}

The app opens on `english-char-lstm` with "The cat sat on the mat.". The app lists every folder
here that holds a `config.json` under "📦 Shipped" in the sidebar's model picker.
"""
    index = root / "README.md"
    index.write_text(text)
    return index


def shipped(root: Path = PRETRAINED_DIR) -> list[Path]:
    """The model folders under ``root`` (those with a config.json), sorted by name."""
    return (
        sorted(p for p in root.iterdir() if (p / "config.json").is_file()) if root.is_dir() else []
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lstm_viz.pretrained", description="build or check the shipped models"
    )
    parser.add_argument(
        "command",
        choices=("build", "check", "card"),
        help="build: train from scratch; check: re-measure the cards; card: rewrite the cards "
        "of built models without retraining",
    )
    parser.add_argument("names", nargs="*", help=f"default: all ({', '.join(RECIPES)})")
    parser.add_argument("--root", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    names = args.names or list(RECIPES)
    start = time.perf_counter()
    if args.command in ("build", "card"):
        for name in names:
            if args.command == "build":
                built = build(RECIPES[name], args.root)
            else:
                built = write_card(args.root / name)
            print(
                f"{name}: validation {built.metric_name} {built.metric:.4f}; "
                f"{built.claim.sentence()}; {built.seconds:.0f} s, {built.bytes / 1024:,.0f} KiB",
                flush=True,
            )
            if built.bytes > MAX_MODEL_BYTES:
                print(f"error: {name} is over {MAX_MODEL_BYTES:,} bytes", file=sys.stderr)
                return 1
        write_index(args.root)
        done = "built" if args.command == "build" else "wrote the cards of"
        print(f"{done} {len(names)} models in {time.perf_counter() - start:.0f} s")
        return 0
    for name in names:
        result = check(args.root / name)
        (m0, m1), (r0, r1) = result["metric"], result["r"]
        print(
            f"{name}: validation {result['metric_name']} card {m0:.4f}, measured {m1:.4f}; "
            f"{result['claim'].sentence().split(': r =')[0]}: card r = {r0:.2f}, measured {r1:.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
