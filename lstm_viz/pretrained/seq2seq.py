"""Shipped encoder-decoders: build (train, measure, write the card) and check.

The card states, measured on the saved files: the validation exact match (``exact_match``) and
how often, for inputs that name the month in words, each generated month digit attends most to a
character of the month's name (``month_attention``). ``check`` recomputes both.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from lstm_viz.models.seq2seq import Seq2Seq, Seq2SeqConfig
from lstm_viz.models.seq2seq_files import load_seq2seq, save_seq2seq
from lstm_viz.pretrained.recipes import CARD, MAX_CARD_CHARS, PRETRAINED_DIR, Seq2SeqRecipe
from lstm_viz.recording.seq2seq import record_seq2seq
from lstm_viz.tasks.dates import FORMS, WORD_FORMS, date_examples, source_tokens, target_tokens
from lstm_viz.training.seq2seq import exact_match, train_seq2seq

MONTH_DIGITS = (5, 6)  # positions of the month in "yyyy-mm-dd"


@dataclass
class Seq2SeqBuilt:
    recipe: Seq2SeqRecipe
    path: Path
    metric: float  # validation exact match
    month_attention: float  # fraction of month digits attending most to the month's name
    month_digits: int  # how many digits that fraction is over
    seconds: float
    steps: int
    parameters: int
    bytes: int
    metric_name: str = "exact_match"


def validation_pairs(recipe_or_info: Seq2SeqRecipe | dict[str, Any]) -> list:
    size = (
        recipe_or_info.validation_size
        if isinstance(recipe_or_info, Seq2SeqRecipe)
        else int(recipe_or_info["validation_size"])
    )
    return date_examples("validation", size, seed=0)


def build_seq2seq(recipe: Seq2SeqRecipe, root: Path = PRETRAINED_DIR, progress: bool = True):
    """Train ``recipe`` from scratch on one CPU thread and write ``root/<name>/`` and its card."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(recipe.seed)
        config = Seq2SeqConfig(
            source_tokens(),
            target_tokens(),
            embedding_size=recipe.embedding_size,
            hidden_size=recipe.hidden_size,
            encoder_cell=recipe.encoder_cell,
            bidirectional=recipe.bidirectional,
            attention=recipe.attention,
            max_target_length=12,
        )
        model = Seq2Seq(config)
        validation = [(s, t) for s, t, _, _ in validation_pairs(recipe)]

        def show(row: dict[str, float]) -> None:
            if progress:
                print(
                    f"  {recipe.name}: epoch {row['epoch']:.0f}/{recipe.epochs} loss "
                    f"{row['loss']:.4f} exact match {row['exact_match']:.4f} "
                    f"({row['seconds']:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )

        result = train_seq2seq(
            model,
            lambda epoch: [
                (s, t) for s, t, _, _ in date_examples("train", recipe.train_size, seed=epoch)
            ],
            validation,
            epochs=recipe.epochs,
            batch_size=recipe.batch_size,
            learning_rate=recipe.learning_rate,
            seed=recipe.seed,
            on_epoch=show,
        )
        path = root / recipe.name
        info = {
            "task": {
                "name": recipe.task,
                "title": "Dates written by people -> ISO dates",
                "metric": "exact_match",
                "params": {"validation_size": recipe.validation_size},
            },
            "training": {
                "seconds": round(result.seconds, 1),
                "steps": result.steps,
                "best_epoch": result.best_epoch,
                "history": result.history,
            },
            "recipe": asdict(recipe),
        }
        save_seq2seq(path, model, info)
        write_seq2seq_scales(path)
        return write_seq2seq_card(path, recipe)
    finally:
        torch.set_num_threads(threads)


def month_attention(model: Seq2Seq, examples: list, batch_size: int = 256) -> tuple[float, int]:
    """(fraction, count): over the examples whose form names the month in words, how often each
    generated month digit's largest attention weight falls on a character of the month's name."""
    words = [e for e in examples if e[2] in WORD_FORMS]
    hits = total = 0
    for start in range(0, len(words), batch_size):
        chunk = words[start : start + batch_size]
        attention = record_seq2seq(model, [e[0] for e in chunk])["attention"]
        top = attention[:, list(MONTH_DIGITS), :].argmax(-1)  # [B, 2]
        for row, (_, _, _, (begin, end)) in enumerate(chunk):
            for k in range(len(MONTH_DIGITS)):
                hits += int(begin <= int(top[row, k]) < end)
                total += 1
    return hits / max(total, 1), total


def write_seq2seq_scales(path: Path) -> str:
    """The encoder's and decoder's colour scales over the validation dates, written to
    ``path``/scales.json (lstm_viz.analysis.scales.measure_seq2seq_scales); a summary line."""
    from lstm_viz.analysis.scales import measure_seq2seq_scales, write_scales

    checkpoint = load_seq2seq(path)
    examples = validation_pairs(checkpoint.info["task"]["params"])
    scales = measure_seq2seq_scales(checkpoint.model, [e[0] for e in examples])
    write_scales(path, scales)
    ranges = "; ".join(
        f"{part} {name} ±" + "/".join(f"{b:.3g}" for b in rows[0]) + f" ({found['steps']:,} steps)"
        for part, found in scales.parts.items()
        for name, rows in found["bounds"].items()
    )
    return f"scales.json: {ranges}"


def measure(path: Path) -> tuple[float, float, int]:
    """(exact match, month attention fraction, month digits) of the saved folder, afresh."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        checkpoint = load_seq2seq(path)
        examples = validation_pairs(checkpoint.info["task"]["params"])
        metric = exact_match(checkpoint.model, [(s, t) for s, t, _, _ in examples])
        fraction, count = month_attention(checkpoint.model, examples)
        return metric, fraction, count
    finally:
        torch.set_num_threads(threads)


def write_seq2seq_card(path: Path, recipe: Seq2SeqRecipe) -> Seq2SeqBuilt:
    checkpoint = load_seq2seq(path)
    metric, fraction, count = measure(path)
    training = checkpoint.info.get("training") or {}
    built = Seq2SeqBuilt(
        recipe,
        path,
        metric,
        fraction,
        count,
        float(training.get("seconds", 0.0)),
        int(training.get("steps", 0)),
        checkpoint.model.num_parameters(),
        (path / "model.safetensors").stat().st_size,
    )
    (path / CARD).write_text(seq2seq_card(built))
    return built


def seq2seq_card(built: Seq2SeqBuilt) -> str:
    r = built.recipe
    encoder = f"{'bidirectional ' if r.bidirectional else ''}{r.encoder_cell.upper()}"
    forms = " | ".join(f"`{f}`" for f in FORMS)
    return f"""# {r.name}

{r.title}.

Default input in Explore: "3rd of March 2021"

- Task: `dates` (lstm_viz/tasks/dates.py): a date from 1900-01-01 to 2099-12-31 written in one of \
the forms {forms} (month names full or 3-letter, any letter case), rewritten as `yyyy-mm-dd`. \
Character level.
- Data: generated with fixed seeds; {r.train_size:,} fresh training examples per epoch. The \
split is by date: 1 date in 20 (CRC-32) is held out, so no validation date appears in training \
in any form. Nothing is downloaded.
- Model: {encoder} encoder of {r.hidden_size} units per direction, LSTM decoder (one \
`nn.LSTMCell`) with {r.attention} attention, embeddings of {r.embedding_size}; \
{built.parameters:,} parameters; model.safetensors is {built.bytes / 1024:,.0f} KiB.
- Training: teacher forcing, {r.epochs} epochs, batch {r.batch_size}, AdamW at \
{r.learning_rate}, seed {r.seed}; {built.steps:,} steps in {built.seconds:.0f} s on one CPU \
thread (a 2-core machine); the best validation checkpoint is kept. Decoding: greedy.
- Validation metric (`exact_match`): {built.metric:.4f}, the fraction of {r.validation_size:,} \
validation inputs (all forms in turn) rewritten exactly (higher is better).
- Month attention (`month_attention`): {built.month_attention:.4f}: for validation inputs that \
name the month in words, the fraction of generated month digits whose largest attention weight \
falls on a character of the month's name ({built.month_digits:,} digits).

## What to look at

{r.about} Attention is not an explanation by itself (Jain and Wallace 2019): Explore shows an \
attribution of the same output to the input characters beside it. Re-measure with:

    python -m lstm_viz.pretrained check {r.name}

Rebuild (deterministic): `python -m lstm_viz.pretrained build {r.name}`.
"""


_METRIC = re.compile(r"Validation metric \(`exact_match`\): ([\d.]+)")
_MONTH = re.compile(r"Month attention \(`month_attention`\): ([\d.]+)")


def read_seq2seq_card(path: str | Path) -> tuple[float, float]:
    """(exact match, month attention) as the card states them; ValueError if it does not."""
    text = (Path(path) / CARD).read_text(encoding="utf-8")[:MAX_CARD_CHARS]
    metric, month = _METRIC.search(text), _MONTH.search(text)
    if not metric or not month:
        raise ValueError(f"{path}/{CARD} states no exact match or no month attention")
    return float(metric.group(1)), float(month.group(1))


def check_seq2seq(path: str | Path) -> dict[str, tuple[float, float]]:
    """{"exact_match": (stated, measured), "month_attention": (stated, measured)}."""
    stated_metric, stated_month = read_seq2seq_card(path)
    started = time.perf_counter()
    metric, fraction, _ = measure(Path(path))
    return {
        "exact_match": (stated_metric, metric),
        "month_attention": (stated_month, fraction),
        "seconds": (0.0, time.perf_counter() - started),
    }
