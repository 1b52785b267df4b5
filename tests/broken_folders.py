"""Broken model folders of every kind, for the unit and app tests (issue 13).

``HOSTILE``: the examples in ../shared/cases/hostile/models (beside the checkout, as in CI).
``make_broken(root)``: our own variants of each kind in ``root``: {folder name: a word of the
reason the app must show}.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lstm_viz.models import ModelConfig, SequenceModel
from lstm_viz.models.checkpoints import save_checkpoint
from lstm_viz.models.vocab import Vocab

REPO = Path(__file__).resolve().parents[1]
HOSTILE = REPO.parent / "shared" / "cases" / "hostile" / "models"
# Each hostile example and a phrase of the reason it must be refused with.
HOSTILE_REASONS = {
    "c-deep-json": "levels deep",
    "c-model-null": '"model" must be an object',
    "c-task-string": '"task" must be an object',
}


def hostile_cases() -> Path:
    """The hostile examples folder; the test is skipped (saying why) when it is absent."""
    if not HOSTILE.is_dir():
        pytest.skip(f"the hostile examples are not beside the checkout ({HOSTILE} is missing)")
    return HOSTILE


def copy_hostile(root: Path) -> dict[str, str]:
    """Copy the hostile examples into ``root`` (writable copies); {name: reason phrase}."""
    source = hostile_cases()
    root.mkdir(parents=True, exist_ok=True)
    for name in HOSTILE_REASONS:
        shutil.copytree(source / name, root / name)
        for file in (root / name).iterdir():
            file.chmod(0o644)
        (root / name).chmod(0o755)
    return dict(HOSTILE_REASONS)


def save_tiny(folder: Path, info: dict | None = None) -> Path:
    """A tiny, valid token model (vocab of 4) in ``folder``."""
    vocab = Vocab(("<pad>", "<unk>", "a", "b"))
    config = ModelConfig(vocab_size=4, hidden_size=3, embedding_size=2, num_outputs=4)
    return save_checkpoint(folder, SequenceModel(config), vocab, info or {"task": {"name": "toy"}})


def _edit(folder: Path, change) -> None:
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))


def make_broken(root: Path) -> dict[str, str]:
    """Our own broken folders of each kind in ``root``; {name: phrase of the reason}."""
    root.mkdir(parents=True, exist_ok=True)
    cases = {}

    def case(name: str, phrase: str, change=None, raw: str | None = None) -> Path:
        folder = save_tiny(root / name)
        if change is not None:
            _edit(folder, change)
        if raw is not None:
            (folder / "config.json").write_text(raw)
        cases[name] = phrase
        return folder

    deep = '{"format": "lstm_viz.checkpoint", "model": ' + "{" * 50_000 + "}" * 50_000 + "}"
    case("v-deep-object", "levels deep", raw=deep)
    case("v-deep-list", "levels deep", lambda c: c.update(x=json.loads("[" * 40 + "]" * 40)))
    case("v-model-list", '"model" must be an object', lambda c: c.update(model=[1, 2]))
    case("v-no-model", 'no "model"', lambda c: c.pop("model"))
    case("v-task-number", '"task" must be an object', lambda c: c.update(task=7))
    case("v-task-no-name", '"task.name" must be text', lambda c: c.update(task={"title": "x"}))
    case("v-task-params", '"task.params"', lambda c: c["task"].update(params=[1, 2]))
    case("v-training-list", '"training" must be an object', lambda c: c.update(training=[1, 2]))
    case("v-training-step", '"training.step"', lambda c: c.update(training={"step": "x"}))
    case("v-metrics-text", '"metrics"', lambda c: c.update(metrics="oops"))
    case(
        "v-hidden-null",
        "hidden_size must be a whole number",
        lambda c: c["model"].update(hidden_size=None),
    )
    case("v-cell-number", "cell must be text", lambda c: c["model"].update(cell=3))
    case(
        "v-vocab-1e8",
        "vocab_size must be a whole number",
        lambda c: c["model"].update(vocab_size=1e8),
    )
    case(
        "v-vocab-huge", "vocab_size must be in", lambda c: c["model"].update(vocab_size=100_000_000)
    )
    case(
        "v-billions",
        "parameters",
        lambda c: c["model"].update(
            hidden_size=4096, num_layers=8, bidirectional=True, objective="step_class"
        ),
    )
    case("v-not-json", "not valid JSON", raw="{not json")
    case("v-not-utf8", "not UTF-8", raw="")
    (root / "v-not-utf8" / "config.json").write_bytes(b"\xff\xfe{}")
    case("v-too-big", "bytes", raw=" " * 1_000_001 + "{}")
    folder = case("v-wrong-shapes", "does not fit")
    other = ModelConfig(vocab_size=4, hidden_size=5, embedding_size=2, num_outputs=4)
    save_checkpoint(root / "tmp-other", SequenceModel(other), None)
    shutil.move(root / "tmp-other" / "model.safetensors", folder / "model.safetensors")
    shutil.rmtree(root / "tmp-other")
    folder = case("v-vocab-deep", "vocab.json nests")
    (folder / "vocab.json").write_text("[" * 100_000 + "]" * 100_000)
    (root / "v-empty").mkdir()
    cases["v-empty"] = "not a checkpoint"
    return cases
