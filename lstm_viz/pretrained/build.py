"""Building the shipped models: train each recipe, measure it, write its card and the index."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from lstm_viz.models.checkpoints import load_checkpoint, read_config, save_checkpoint
from lstm_viz.models.folders import read_json
from lstm_viz.models.frames import is_frame_config
from lstm_viz.pretrained.autoencoder_build import autoencoder_rows
from lstm_viz.pretrained.cards import (
    Built,
    best_units,
    card,
    find_unit,
    read_card,
    saturation_finding,
    task_of,
    unit_table,
    validation_metric,
)
from lstm_viz.pretrained.frames import (
    FrameBuilt,
    FrameRecipe,
    build_frames,
    read_frame_card,
    write_frame_card,
)
from lstm_viz.pretrained.recipes import (
    CARD,
    PRETRAINED_DIR,
    RECIPES,
    Recipe,
)
from lstm_viz.tasks.base import Task
from lstm_viz.training import Callbacks, build_run
from lstm_viz.training.trainer import Trainer, TrainResult

# ---- building ----------------------------------------------------------------------------------


def build(
    recipe: Recipe | FrameRecipe,
    root: Path = PRETRAINED_DIR,
    progress: bool = True,
    device: str = "cpu",
) -> Built | FrameBuilt:
    """Train ``recipe`` from scratch and write ``root/<name>/`` (weights, config, vocab, card).

    Runs on one CPU thread: a matrix product may sum in another order with more threads, so one
    thread gives the same weights on every machine (and these small models barely use a second).
    device: "cuda" trains a text recipe on a GPU instead (the same recipe and seed; cuDNN's sums
    and CUDA's dropout masks differ from the CPU's, so the weights do too). The card says where
    the model was trained. The ConvLSTM always trains on the CPU.
    """
    if isinstance(recipe, FrameRecipe):  # the ConvLSTM: its own build (pretrained/frames.py)
        return build_frames(recipe, root, progress)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _build(recipe, root, progress, device)
    finally:
        torch.set_num_threads(threads)


def _build(recipe: Recipe, root: Path, progress: bool, device: str = "cpu") -> Built:
    run = build_run(
        recipe.task,
        recipe.task_params,
        {
            "cell": recipe.cell,
            "hidden_size": recipe.hidden_size,
            "num_layers": recipe.num_layers,
            "embedding_size": recipe.embedding_size,
            "dropout": recipe.dropout,
        },
        {
            "epochs": recipe.epochs,
            "batch_size": recipe.batch_size,
            "learning_rate": recipe.learning_rate,
            "evals_per_epoch": recipe.evals_per_epoch,
            "patience": 0,  # a fixed schedule: the best validation checkpoint of all epochs is kept
            "device": device,
            "seed": recipe.seed,
        },
        save=False,  # saved below, with the recipe beside the Trainer's info
        seed=recipe.seed,  # the model's initial weights
    )
    task = run.task
    from lstm_viz.training.probe import probe_recorder

    callbacks = Callbacks(on_progress=progress_line(recipe.name) if progress else None)
    trainer = run.trainer(callbacks)
    trainer.probe = probe_recorder(task, None, in_memory=True)  # saved with the model below
    result = trainer.fit()
    seconds = result.seconds
    if recipe.tail_epochs:  # a warm restart after the schedule (Recipe.tail_epochs)
        if progress:
            print(file=sys.stderr)
            callbacks = Callbacks(on_progress=progress_line(f"{recipe.name} (warm restart)"))
        trainer, tail = _tail(trainer, recipe, callbacks)
        seconds += tail.seconds
    if progress:
        print(file=sys.stderr)
    path = root / recipe.name
    info = {**trainer.checkpoint_info(), "recipe": asdict(recipe)}
    info["training"]["seconds"] = round(seconds, 1)
    info["training"]["machine"] = machine(trainer.device)
    save_checkpoint(path, trainer.model, task.vocab, info)
    if trainer.probe is not None:  # units emerging during training (lstm_viz.training.probe)
        trainer.probe.save(path)
    write_scales_of(path, task)
    return write_card(path, recipe, task)


def _tail(first: Trainer, recipe: Recipe, callbacks: Callbacks) -> tuple[Trainer, TrainResult]:
    """A warm restart (SGDR: Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with
    Warm Restarts"): ``recipe.tail_epochs`` more epochs of ``first``'s model (its best
    checkpoint) on a second cosine schedule from ``recipe.tail_learning_rate`` down to a tenth of
    it, by a new Trainer (fresh AdamW moments, 20 warm-up steps, dropout and shuffling seeded by
    ``recipe.seed``) that keeps its best validation checkpoint. The step count goes on from
    ``first``'s; the probe's history (units emerging during training) carries on over the
    tail."""
    config = replace(
        first.config, epochs=recipe.tail_epochs, learning_rate=recipe.tail_learning_rate
    )
    tail = Trainer(first.model, first.task, config, callbacks)
    tail.probe = _ShiftedProbe(first.probe, first.step) if first.probe is not None else None
    result = tail.fit()
    tail.step += first.step
    return tail, result


class _ShiftedProbe:
    """A probe recorder whose steps go on from ``offset`` (the tail's steps after the first
    schedule's)."""

    def __init__(self, probe, offset: int) -> None:
        self.probe, self.offset = probe, offset

    def record(self, model, step: int, metric) -> None:
        self.probe.record(model, step + self.offset, metric)

    def save(self, path) -> None:
        self.probe.save(path)


def machine(device: torch.device) -> str:
    """Where a model was trained, as its card says: "a 2-core CPU", "a CUDA GPU (NVIDIA H200)"."""
    if device.type == "cuda":
        return f"a CUDA GPU ({torch.cuda.get_device_name(device)})"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"a {cores}-core CPU"


def write_scales_of(path: str | Path, task: Task | None = None) -> str:
    """Measure a built model's colour scales on its validation data and write
    ``path``/scales.json (nothing else in the folder changes); returns a one-line summary."""
    from lstm_viz.analysis.scales import measure_scales, write_scales

    checkpoint = load_checkpoint(path)
    scales = measure_scales(checkpoint.model, task or task_of(checkpoint))
    write_scales(path, scales)
    ranges = "; ".join(
        f"{name} " + ", ".join(f"layer {k} ±{row[0]:.3g}" for k, row in enumerate(rows))
        for name, rows in scales.bounds.items()
    )
    return f"scales.json: {ranges or 'no unbounded quantity'} ({scales.steps:,} steps)"


def write_card(
    path: str | Path, recipe: Recipe | None = None, task: Task | None = None
) -> Built | FrameBuilt:
    """Measure a built model (validation metric, interpretable unit) and write its card.

    recipe: default RECIPES[folder name]. Also refreshes a card without retraining
    (``python -m lstm_viz.pretrained card``)."""
    path = Path(path)
    recipe = recipe or RECIPES[path.name]
    if isinstance(recipe, FrameRecipe):
        return write_frame_card(path, recipe)
    checkpoint = load_checkpoint(path)
    task = task or task_of(checkpoint)
    training = checkpoint.info.get("training") or {}
    table = unit_table(checkpoint, recipe.features, task, recipe.probe_text)
    built = Built(
        recipe,
        path,
        task.metric,
        validation_metric(checkpoint, task),
        find_unit(table),
        float(training.get("seconds", 0.0)),
        int(training.get("step", 0)),
        checkpoint.model.num_parameters(),
        (path / "model.safetensors").stat().st_size,
        saturation_finding(checkpoint, task) if recipe.task.startswith("text-") else None,
        best_units(table, recipe.features) if len(recipe.features) > 1 else (),
        training.get("machine", Built.machine),  # cards from before it was recorded: the CPU
    )
    (path / CARD).write_text(card(built, task))
    return built


def progress_line(name: str):
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


def write_index(root: Path = PRETRAINED_DIR) -> Path:
    """root/README.md: one row per shipped model, from the cards (so it never disagrees)."""
    rows = []
    for path in shipped(root):
        checkpoint_config = read_config(path)  # checked: "model" and "task" are objects
        if is_frame_config(checkpoint_config["model"]):
            rows.append(_frame_row(path, checkpoint_config))
            continue
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
    for path in shipped_seq2seq(root):  # encoder-decoders: exact match, attention
        from lstm_viz.pretrained.seq2seq import read_seq2seq_card

        metric, month = read_seq2seq_card(path)
        model = read_json(path / "config.json", 1_000_000)["model"]
        rows.append(
            f"| [{path.name}]({path.name}/README.md) | Dates written by people -> ISO dates | "
            f"{model['encoder_cell'].upper()} encoder x {model['hidden_size']} + LSTM decoder, "
            f"{model['attention']} attention | exact_match {metric:.4f} | month digits attend "
            f"most to the month's name: {month:.1%} |"
        )
    text = f"""# Shipped models

Small models trained by `python -m lstm_viz.pretrained build` (fixed seeds, nothing downloaded),
so the app shows real gate dynamics the moment it opens. Each folder holds `model.safetensors`,
`config.json`, `vocab.json` (text models), `scales.json` (the cell state's colour range, from
validation data) and a model card (`README.md`) with the task, the data,
the size, the training time, the validation metric and one interpretable unit, all re-checked by
`tests/unit/test_pretrained.py` (and by `python -m lstm_viz.pretrained check`).

| model | task | core | validation | interpretable unit (held-out r) or baseline |
|---|---|---|---|---|
{chr(10).join(rows)}
{autoencoder_rows(root)}
The app opens on `english-char-lstm` with "The cat sat on the mat.". The app lists every folder
here that holds a `config.json` under "📦 Shipped" in the sidebar's model picker.
"""
    index = root / "README.md"
    index.write_text(text)
    return index


def _frame_row(path: Path, checkpoint_config: dict) -> str:
    model = checkpoint_config["model"]
    title = (checkpoint_config.get("task") or {}).get("title") or "?"
    mse, baseline = read_frame_card(path)
    return (
        f"| [{path.name}]({path.name}/README.md) | {title} | {model['num_layers']} x "
        f"{model['hidden_channels']}-channel ConvLSTM | next-frame MSE {mse:.4f} | "
        f"copy-last-frame {baseline:.4f}: {1 - mse / baseline:.0%} lower |"
    )


def shipped(root: Path = PRETRAINED_DIR) -> list[Path]:
    """The sequence-model folders under ``root`` (those with a config.json), sorted by name;
    encoder-decoders (``shipped_seq2seq``) and autoencoders (``shipped_autoencoders``) are left
    out."""
    from lstm_viz.models.autoencoder import is_autoencoder
    from lstm_viz.models.seq2seq_files import is_seq2seq_folder

    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.iterdir()
        if (p / "config.json").is_file() and not is_seq2seq_folder(p) and not is_autoencoder(p)
    )


def shipped_seq2seq(root: Path = PRETRAINED_DIR) -> list[Path]:
    """The encoder-decoder folders under ``root`` (config.json format lstm_viz.seq2seq)."""
    from lstm_viz.models.seq2seq_files import is_seq2seq_folder

    return sorted(p for p in root.iterdir() if is_seq2seq_folder(p)) if root.is_dir() else []
