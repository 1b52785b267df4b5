"""Building the shipped LSTM autoencoders (issue 18): train on normal ECG, calibrate the
threshold, measure the card on held-out injected anomalies; and the index's table of them."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from lstm_viz.pretrained.autoencoder_card import (
    AnomalyFigures,
    autoencoder_card,
    measure_autoencoder,
    read_autoencoder_card,
)
from lstm_viz.pretrained.recipes import AUTOENCODER_RECIPES, CARD, PRETRAINED_DIR, AutoencoderRecipe


def autoencoder_rows(root: Path) -> str:
    """The index's table of LSTM autoencoders (empty when there are none)."""
    rows = []
    for path in shipped_autoencoders(root):
        figures = read_autoencoder_card(path)
        config = json.loads((path / "config.json").read_text())
        model = config["model"]
        rows.append(
            f"| [{path.name}]({path.name}/README.md) | ECG-like signal | encoder + decoder "
            f"LSTM, {model['hidden_size']} units, windows of {model['window']} | reconstruction "
            f"mse {figures['validation_mse']:.5f} | {figures['detected']}/{figures['events']} "
            f"events, {figures['false_positives']:,} of {figures['normal_steps']:,} normal steps "
            "flagged |"
        )
    if not rows:
        return ""
    return (
        "\nLSTM autoencoders (anomalies: `python -m lstm_viz anomalies`):\n\n"
        "| model | signal | core | validation | detection (held-out, injected anomalies) |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def shipped_autoencoders(root: Path = PRETRAINED_DIR) -> list[Path]:
    """The LSTM autoencoder folders under ``root``, sorted by name."""
    from lstm_viz.models.autoencoder import is_autoencoder

    return sorted(p for p in root.iterdir() if is_autoencoder(p)) if root.is_dir() else []


def build_autoencoder(
    recipe: AutoencoderRecipe, root: Path = PRETRAINED_DIR, progress: bool = True
) -> tuple[AnomalyFigures, dict]:
    """Train ``recipe`` on normal ECG, calibrate its threshold on the validation signal, write
    ``root/<name>/`` (weights, config.json with the threshold) and its card, measured on the
    held-out signal with injected anomalies. One CPU thread, as ``build``: deterministic."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    start = time.perf_counter()
    try:
        from lstm_viz.analysis.anomaly import calibrate
        from lstm_viz.models.autoencoder import Autoencoder, AutoencoderConfig, save_autoencoder
        from lstm_viz.tasks.ecg import RATE, ecg_signal
        from lstm_viz.training.autoencoder import train_autoencoder

        train, _ = ecg_signal(int(recipe.train_seconds * RATE), recipe.seed)
        validation, _ = ecg_signal(int(recipe.validation_seconds * RATE), recipe.seed + 1)
        config = AutoencoderConfig(
            hidden_size=recipe.hidden_size,
            window=recipe.window,
            reverse=recipe.reverse,
            feedback=recipe.feedback,
            bottleneck=recipe.bottleneck,
            lag=recipe.lag,
        )
        from lstm_viz.pretrained.build import progress_line

        shown = progress_line(recipe.name) if progress else None

        def report(step: int, total: int, loss: float) -> None:
            if shown is not None:
                shown(_Step(step, total, loss))

        result = train_autoencoder(
            train,
            validation,
            config,
            epochs=recipe.epochs,
            batch_size=recipe.batch_size,
            learning_rate=recipe.learning_rate,
            seed=recipe.seed,
            on_progress=report,
        )
        if progress:
            print(file=sys.stderr)
        anomaly = calibrate(
            result.model,
            validation,
            quantile=recipe.quantile,
            margin=recipe.margin,
            combine=recipe.combine,
        )
        info = {
            "task": {"name": "ecg", "title": "ECG-like signal", "params": {"seed": recipe.seed}},
            "metrics": {"validation_mse": result.validation_mse},
            "training": {"step": result.steps, "seconds": round(result.seconds, 1)},
            "recipe": asdict(recipe),
        }
        path = root / recipe.name
        autoencoder = Autoencoder(path, result.model, anomaly, info)
        save_autoencoder(path, autoencoder)
        write_autoencoder_scales(path, recipe)
        built = {
            "parameters": result.model.num_parameters(),
            "bytes": (path / "model.safetensors").stat().st_size,
            "steps": result.steps,
            "seconds": result.seconds,
            "build_seconds": time.perf_counter() - start,
        }
        return write_autoencoder_card(path, recipe, built), built
    finally:
        torch.set_num_threads(threads)


def write_autoencoder_scales(path: Path, recipe: AutoencoderRecipe) -> str:
    """The encoder's and decoder's colour scales over the recipe's normal validation signal,
    written to ``path``/scales.json (measure_autoencoder_scales); a summary line."""
    from lstm_viz.analysis.scales import measure_autoencoder_scales, write_scales
    from lstm_viz.models.autoencoder import load_autoencoder
    from lstm_viz.tasks.ecg import RATE, ecg_signal

    validation, _ = ecg_signal(int(recipe.validation_seconds * RATE), recipe.seed + 1)
    scales = measure_autoencoder_scales(load_autoencoder(path).model, validation)
    write_scales(path, scales)
    ranges = "; ".join(
        f"{part} {name} ±{rows[0][0]:.3g}"
        for part, found in scales.parts.items()
        for name, rows in found["bounds"].items()
    )
    return f"scales.json: {ranges} ({scales.steps:,} validation steps)"


@dataclass
class _Step:  # what progress_line reads from a Progress
    step: int
    total_steps: int
    loss: float
    tokens_per_second: float = 0.0

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps


def write_autoencoder_card(
    path: Path, recipe: AutoencoderRecipe | None = None, built: dict | None = None
) -> AnomalyFigures:
    """Measure a built autoencoder (from its files) and write its card; ``built`` (size and
    training time) is read back from config.json when not given."""
    from lstm_viz.models.autoencoder import load_autoencoder

    recipe = recipe or AUTOENCODER_RECIPES[path.name]
    autoencoder = load_autoencoder(path)
    if built is None:
        training = autoencoder.info.get("training") or {}
        built = {
            "parameters": autoencoder.model.num_parameters(),
            "bytes": (path / "model.safetensors").stat().st_size,
            "steps": int(training.get("step", 0)),
            "seconds": float(training.get("seconds", 0.0)),
            "build_seconds": float(training.get("build_seconds", training.get("seconds", 0.0))),
        }
    else:
        config = json.loads((path / "config.json").read_text())
        config["training"]["build_seconds"] = round(built["build_seconds"], 1)
        (path / "config.json").write_text(json.dumps(config, indent=2))
    figures = measure_autoencoder(autoencoder, recipe)
    (path / CARD).write_text(autoencoder_card(recipe, figures, autoencoder.anomaly, built))
    return figures


def check_autoencoder(path: Path) -> dict:
    """{"stated": the card's figures, "measured": AnomalyFigures measured afresh}."""
    from lstm_viz.models.autoencoder import load_autoencoder

    stated = read_autoencoder_card(path)
    measured = measure_autoencoder(load_autoencoder(path), AUTOENCODER_RECIPES[path.name])
    return {"stated": stated, "measured": measured}
