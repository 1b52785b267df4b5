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
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoints import Checkpoint, load_checkpoint, save_checkpoint
from .models import SequenceModel
from .recorder import record
from .tasks import make_task
from .tasks.base import Task
from .training import TrainConfig, Trainer, model_config_for

PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"
CARD = "README.md"
MAX_MODEL_BYTES = 5 * 1024 * 1024  # each shipped model.safetensors stays below this
PROBE_STEPS = 20_000  # text models: the first this many validation characters are probed
PROBE_SEQUENCES = 200  # sequence tasks: this many validation sequences are probed


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


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe(
            "brackets-lstm",
            "Bracket depth counter (Dyck-2), LSTM",
            "dyck",
            {"types": 2, "max_depth": 6, "min_length": 20, "max_length": 50, "seed": 0},
            hidden_size=16,
            epochs=20,
            features=("depth",),
            about="A counter in the cell state: one unit steps up at each opening bracket and "
            "down at each closing one.",
        ),
        Recipe(
            "brackets-gru",
            "Bracket depth counter (Dyck-2), GRU twin of brackets-lstm",
            "dyck",
            {"types": 2, "max_depth": 6, "min_length": 20, "max_length": 50, "seed": 0},
            cell="gru",
            hidden_size=16,
            epochs=20,
            features=("depth",),
            about="The same task and size as brackets-lstm, with a GRU: it has no separate cell "
            "state, so its counter lives in the hidden state.",
        ),
        Recipe(
            "brackets-rnn",
            "Bracket depth counter (Dyck-2), vanilla-RNN twin of brackets-lstm",
            "dyck",
            {"types": 2, "max_depth": 6, "min_length": 20, "max_length": 50, "seed": 0},
            cell="rnn_tanh",
            hidden_size=16,
            epochs=20,
            features=("depth",),
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
            features=("position_in_word", "inside_parentheses", "inside_quotes", "after_space"),
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
            features=(
                "inside_parentheses",
                "inside_quotes",
                "indentation",
                "position_in_line",
            ),
            about="As in Karpathy et al. (2015), look for cells that count open brackets, switch "
            "on inside strings, or track the position in a line.",
        ),
    ]
}


# ---- features of the input, one value per step ---------------------------------------------------

OPEN, CLOSE = "([{", ")]}"


def _position_in_word(chars: Sequence[str]) -> list[float]:
    out, n = [], 0
    for ch in chars:
        n = n + 1 if ch.isalnum() else 0
        out.append(float(n))
    return out


def _inside_parentheses(chars: Sequence[str]) -> list[float]:
    out, depth = [], 0
    for ch in chars:
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(depth - 1, 0)
        out.append(float(depth))
    return out


def _inside_quotes(chars: Sequence[str]) -> list[float]:
    """1 between a quote character and its partner (", ' or `), 0 elsewhere; a line break
    ends an unclosed quote (an apostrophe in "it's" must not flip a whole paragraph)."""
    out, open_quote = [], None
    for ch in chars:
        if open_quote is None and ch in "\"'`":
            open_quote = ch
            out.append(1.0)
        elif ch == open_quote or ch == "\n":
            open_quote = None
            out.append(1.0 if ch != "\n" else 0.0)
        else:
            out.append(0.0 if open_quote is None else 1.0)
    return out


def _position_in_line(chars: Sequence[str]) -> list[float]:
    out, n = [], 0
    for ch in chars:
        n = 0 if ch == "\n" else n + 1
        out.append(float(n))
    return out


def _indentation(chars: Sequence[str]) -> list[float]:
    """The current line's leading spaces (known once they are read)."""
    out, indent, leading = [], 0, True
    for ch in chars:
        if ch == "\n":
            indent, leading = 0, True
        elif leading and ch == " ":
            indent += 1
        else:
            leading = False
        out.append(float(indent))
    return out


def _after_space(chars: Sequence[str]) -> list[float]:
    return [1.0 if ch.isspace() else 0.0 for ch in chars]


# name -> (what the card calls it, a function of the characters read, or None for a task's own
# known hidden variable, read from Batch.hidden)
FEATURES: dict[str, tuple[str, Callable[[Sequence[str]], list[float]] | None]] = {
    "position_in_word": ("the position inside the current word", _position_in_word),
    "inside_parentheses": ("how many brackets are open", _inside_parentheses),
    "inside_quotes": ("being inside quotes", _inside_quotes),
    "position_in_line": ("the position in the line", _position_in_line),
    "indentation": ("the indentation of the line", _indentation),
    "after_space": ("having just read whitespace", _after_space),
    "depth": ("the bracket depth", None),
    "subject_number": ("the number of the pending subject (+1 plural, -1 singular)", None),
    "sin_phase": ("the sine of the main wave's phase", None),
    "cos_phase": ("the cosine of the main wave's phase", None),
}


@dataclass(frozen=True)
class Probe:
    """What a model did on held-out data, flattened to its real (unpadded) steps.

    states: (layer, direction, quantity) -> [N, unit] float64; features: name -> [N] float64.
    """

    states: dict[tuple[int, int, str], np.ndarray]
    features: dict[str, np.ndarray]

    @property
    def steps(self) -> int:
        return len(next(iter(self.features.values())))


def task_of(checkpoint: Checkpoint) -> Task:
    """Rebuild the task a checkpoint was trained on, from what its config.json says."""
    task = checkpoint.info.get("task") or {}
    return make_task(task["name"], **(task.get("params") or {}))


@torch.no_grad()
def probe(checkpoint: Checkpoint, task: Task, features: Sequence[str]) -> Probe:
    """Record the model on the task's validation data and compute each feature at each step.

    Text models read the first PROBE_STEPS validation characters as one sequence; sequence
    tasks read their first PROBE_SEQUENCES validation sequences.
    """
    model = checkpoint.model.eval()
    if task.continues:  # one stream of text
        ids = task.stream("validation")[:PROBE_STEPS]  # [T]
        chars = checkpoint.vocab.decode(ids.tolist())
        _, trace = record(model, ids[None])
        mask = torch.ones(1, len(ids), dtype=torch.bool)  # [B, T]
        values = {name: np.asarray(FEATURES[name][1](chars), dtype=np.float64) for name in features}
    else:
        batch = task.collate(list(task.sequences("validation")[:PROBE_SEQUENCES]))
        # One direction reads every real step as it would alone; padded steps are masked out.
        _, trace = record(model, batch.inputs)
        mask = batch.mask  # [B, T]
        hidden = batch.hidden[mask].double().numpy()  # [N]
        derived = {"sin_phase": np.sin(hidden), "cos_phase": np.cos(hidden)}
        values = {name: derived.get(name, hidden) for name in features}
    states = {}
    quantities = [q for q in ("cell", "hidden") if q in trace.names]
    for layer in range(trace.num_layers):
        for direction in range(trace.num_directions):
            for quantity in quantities:
                steps = trace[quantity][layer, direction]  # [B, T, U]
                states[(layer, direction, quantity)] = steps[mask].double().numpy()  # [N, U]
    return Probe(states, values)


def correlations(states: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson r of each column of states [N, U] with feature [N] -> [U] (0 where either is
    constant)."""
    x = states - states.mean(0)
    y = feature - feature.mean()
    denominator = np.sqrt((x * x).sum(0) * (y * y).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x * y[:, None]).sum(0) / denominator
    return np.nan_to_num(r)


@dataclass(frozen=True)
class UnitClaim:
    """One interpretable unit: its quantity correlates with a feature of the input, r on held-out
    data (a model card states it; tests recompute it)."""

    layer: int
    direction: int
    quantity: str  # "cell" or "hidden"
    unit: int
    feature: str  # a name in FEATURES
    r: float
    steps: int

    def sentence(self) -> str:
        words = "cell state" if self.quantity == "cell" else "hidden state"
        return (
            f"layer {self.layer}, unit {self.unit}, {words} (`{self.quantity}`) tracks "
            f"{FEATURES[self.feature][0]} (`{self.feature}`): r = {self.r:.2f} "
            f"(Pearson, {self.steps:,} held-out steps)"
        )


def find_unit(result: Probe) -> UnitClaim:
    """The unit and feature with the largest |r| (the first one on ties)."""
    best = None
    for (layer, direction, quantity), states in result.states.items():
        for feature, values in result.features.items():
            r = correlations(states, values)
            unit = int(np.abs(r).argmax())
            if best is None or abs(r[unit]) > abs(best.r) + 1e-12:
                best = UnitClaim(
                    layer, direction, quantity, unit, feature, float(r[unit]), result.steps
                )
    return best


def claim_correlation(checkpoint: Checkpoint, claim: UnitClaim) -> float:
    """Recompute the r of a claim from the checkpoint alone."""
    result = probe(checkpoint, task_of(checkpoint), [claim.feature])
    states = result.states[(claim.layer, claim.direction, claim.quantity)]
    return float(correlations(states[:, [claim.unit]], result.features[claim.feature])[0])


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
    extra: dict[str, Any] = field(default_factory=dict)


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
    checkpoint = load_checkpoint(path)
    metric = validation_metric(checkpoint, task)
    claim = find_unit(probe(checkpoint, task, recipe.features))
    built = Built(
        recipe,
        path,
        task.metric,
        metric,
        claim,
        result.seconds,
        result.steps,
        trainer.model.num_parameters(),
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
{", ".join(f"`{f}`" for f in r.features)} over held-out data; open the model in Explore and pick \
that unit, or run:

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
    text = (Path(path) / CARD).read_text()
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
        checkpoint_config = json.loads((path / "config.json").read_text())
        model = checkpoint_config["model"]
        metric_name, metric, claim = read_card(path)
        cell = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN"}.get(model["cell"], model["cell"])
        rows.append(
            f"| [{path.name}]({path.name}/README.md) | {checkpoint_config['task']['title']} | "
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
    parser.add_argument("command", choices=("build", "check"))
    parser.add_argument("names", nargs="*", help=f"default: all ({', '.join(RECIPES)})")
    parser.add_argument("--root", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    names = args.names or list(RECIPES)
    start = time.perf_counter()
    if args.command == "build":
        for name in names:
            built = build(RECIPES[name], args.root)
            print(
                f"{name}: validation {built.metric_name} {built.metric:.4f}; "
                f"{built.claim.sentence()}; {built.seconds:.0f} s, {built.bytes / 1024:,.0f} KiB",
                flush=True,
            )
            if built.bytes > MAX_MODEL_BYTES:
                print(f"error: {name} is over {MAX_MODEL_BYTES:,} bytes", file=sys.stderr)
                return 1
        write_index(args.root)
        print(f"built {len(names)} models in {time.perf_counter() - start:.0f} s")
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
