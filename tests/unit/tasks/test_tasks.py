"""Tasks: the registry, determinism, disjoint splits, batch layout per objective, padding,
and a clear ValueError for what make_task cannot build. Each family has its own file beside this."""

from __future__ import annotations

import random
import string

import pytest
import torch

from lstm_viz.models.vocab import Vocab
from lstm_viz.tasks import IGNORE, TASKS, Batch, Task, make_task

from ._common import SEEDED, SMALL, USER_TEXT, build, first_batches, same

# ---- the registry ------------------------------------------------------------------------------


def test_the_registry_has_every_task_family():
    assert set(TASKS) == {
        "text-english", "text-python", "text-user", "grammar", "dyck", "sines", "csv", "adding",
        "copy", "parity", "agreement", "ecg",
    }  # fmt: skip
    assert set(SMALL) == set(TASKS)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_spec_defaults_are_plain_values_within_their_limits(name):
    spec = TASKS[name]
    assert spec.name == name and spec.title and spec.description and "\n" not in spec.description
    assert "seed" in spec.defaults and spec.defaults["seed"] == 0
    for key, value in spec.defaults.items():
        assert key in spec.parameters()
        assert type(value) in (int, float, str), (key, value)
        if key in spec.limits:
            low, high = spec.limits[key]
            assert low <= value <= high, (key, value)


@pytest.mark.parametrize("name", sorted(set(TASKS) - {"text-user", "csv"}))
def test_defaults_build_a_task(name):
    task = make_task(name)
    assert task.name == name and task.title and task.description
    assert task.params["seed"] == 0
    assert len(task.sequences("train")) > len(task.sequences("validation")) > 0


def test_tasks_that_need_user_data_say_so_with_their_defaults():
    with pytest.raises(ValueError, match="text is empty"):
        make_task("text-user")
    with pytest.raises(ValueError, match="CSV file is empty"):
        make_task("csv")


# ---- every task ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TASKS))
def test_same_seed_gives_identical_batches(name):
    a, b = build(name), build(name)
    for split in ("train", "validation"):
        batches_a, batches_b = first_batches(a, split), first_batches(b, split)
        assert len(batches_a) == len(batches_b) > 0
        assert all(same(x, y) for x, y in zip(batches_a, batches_b, strict=True))


@pytest.mark.parametrize("name", SEEDED)
def test_another_seed_gives_other_data(name):
    a, b = build(name), build(name, seed=1)
    x, y = first_batches(a, "validation", 1)[0], first_batches(b, "validation", 1)[0]
    assert not same(x, y)


@pytest.mark.parametrize("name", SEEDED)
def test_train_and_validation_share_no_example(name):
    task = build(name)

    def keys(split):
        return {
            task.collate([example]).inputs.numpy().tobytes() for example in task.sequences(split)
        }

    train, validation = keys("train"), keys("validation")
    assert len(validation) > 1
    assert not train & validation


@pytest.mark.parametrize("name", sorted(TASKS))
def test_batch_layout_follows_the_objective(name):
    task = build(name)
    for batch in first_batches(task, "validation", 2) + first_batches(task, "train", 1):
        check_layout(task, batch)


def check_layout(task: Task, batch: Batch) -> None:
    inputs, targets, lengths, mask = batch.inputs, batch.targets, batch.lengths, batch.mask
    size, steps = inputs.shape[:2]
    assert lengths.dtype == torch.int64 and lengths.shape == (size,)
    assert lengths.min() >= 1 and lengths.max() == steps
    if task.input_kind == "tokens":
        assert task.vocab is not None and task.input_size == 0
        assert inputs.dtype == torch.int64 and inputs.shape == (size, steps)
        assert inputs.min() >= 0 and inputs.max() < len(task.vocab)
        assert (inputs[~mask] == 0).all() and (inputs[mask] != 0).all()  # id 0 only on padding
    else:
        assert inputs.dtype == torch.float32 and inputs.shape == (size, steps, task.input_size)
        assert torch.isfinite(inputs).all()
    if task.objective in ("next_token", "step_class"):
        assert targets.dtype == torch.int64 and targets.shape == (size, steps)
        assert (targets[~mask] == IGNORE).all()
        scored = targets[targets != IGNORE]
        assert scored.numel() > 0 and scored.min() >= 0 and scored.max() < task.num_outputs
        if task.objective == "next_token":
            assert (targets[mask] != IGNORE).all()
            assert task.num_outputs == len(task.vocab)
    elif task.objective == "step_value":
        assert targets.dtype == torch.float32 and targets.shape == (size, steps, task.num_outputs)
        assert torch.isfinite(targets).all()
    elif task.objective == "sequence_class":
        assert targets.dtype == torch.int64 and targets.shape == (size,)
        assert targets.min() >= 0 and targets.max() < task.num_outputs
    else:
        assert task.objective == "sequence_value"
        assert targets.dtype == torch.float32 and targets.shape == (size, task.num_outputs)
    if task.output_labels is not None:
        assert len(task.output_labels) == task.num_outputs
    if task.hidden_variable is None:
        assert batch.hidden is None
    else:
        assert batch.hidden is not None and batch.hidden.dtype == torch.float32
        assert batch.hidden.shape == (size, steps)
        assert torch.isfinite(batch.hidden[mask]).all() and batch.hidden[~mask].isnan().all()


@pytest.mark.parametrize("name", sorted(TASKS))
def test_padding_leaves_each_rows_real_steps_as_they_are_alone(name):
    task = build(name)
    examples = list(task.sequences("validation")[:12])
    together = task.collate(examples)
    if name in ("grammar", "dyck", "parity", "agreement", "copy"):
        assert together.lengths.min() < together.lengths.max()  # there is padding to check
    per_step = task.objective in ("next_token", "step_class", "step_value")
    for b, example in enumerate(examples):
        alone, n = task.collate([example]), int(together.lengths[b])
        assert n == int(alone.lengths[0])
        assert together.inputs[b, :n].equal(alone.inputs[0])
        assert (together.targets[b, :n] if per_step else together.targets[b]).equal(
            alone.targets[0]
        )
        if alone.hidden is not None:
            assert together.hidden[b, :n].equal(alone.hidden[0])


@pytest.mark.parametrize("name", sorted(TASKS))
def test_sample_is_an_input_the_task_reads(name):
    task = build(name)
    sample = task.sample()
    if task.input_kind == "tokens":
        assert isinstance(sample, str) and sample
        assert not any(task.vocab.unknown(task.vocab.tokenize(sample)))
    else:
        assert isinstance(sample, torch.Tensor) and sample.dtype == torch.float32
        assert sample.dim() == 2 and sample.shape[1] == task.input_size and len(sample) > 1


@pytest.mark.parametrize("name", sorted(TASKS))
def test_params_rebuild_the_same_task(name):
    task = build(name)
    assert set(task.params) <= set(TASKS[name].parameters())
    again = make_task(name, **task.params)
    assert again.vocab == task.vocab
    for split in ("train", "validation"):
        pairs = zip(first_batches(task, split), first_batches(again, split), strict=True)
        assert all(same(x, y) for x, y in pairs)


def test_building_tasks_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    random.seed(123)
    expected = (torch.rand(3), random.random())
    torch.manual_seed(123)
    random.seed(123)
    for name in TASKS:
        build(name)
    assert torch.rand(3).equal(expected[0]) and random.random() == expected[1]


# ---- make_task ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("dyk", {}, "unknown task 'dyk'; known tasks: text-english, .*agreement"),
        ("dyck", {"depth": 3}, "unknown parameter.*'depth'.*allowed: types, max_depth"),
        ("dyck", {"max_depth": 0}, r"max_depth must be in \[1, 50\], got 0"),
        ("dyck", {"max_depth": 2.5}, "must be a whole number"),
        ("dyck", {"max_depth": True}, "must be a .*number"),
        ("dyck", {"max_depth": "6"}, "must be a .*number"),
        ("sines", {"noise": float("nan")}, "must be a .*number"),
        ("dyck", {"min_length": 30, "max_length": 20}, r"min_length \(30\) must be <= max_length"),
        ("sines", {"min_period": 30.0, "max_period": 20.0}, "min_period"),
        ("text-user", {"text": 5}, "text must be text"),
    ],
)
def test_make_task_rejects_what_it_cannot_build(name, params, message):
    with pytest.raises(ValueError, match=message):
        make_task(name, **params)


def test_make_task_accepts_whole_floats_and_bytes():
    task = make_task("dyck", max_depth=4.0, train_size=50, validation_size=20)
    assert task.num_outputs == 5 and task.params["max_depth"] == 4
    assert make_task("text-user", text=USER_TEXT.encode()).params["text"] == USER_TEXT


def test_vocabularies_start_with_pad_and_unknown():
    for name in TASKS:
        task = build(name)
        if task.vocab is not None:
            assert isinstance(task.vocab, Vocab) and task.vocab.tokens[:2] == ("<pad>", "<unk>")
    assert set(string.ascii_lowercase[:8]) <= set(build("copy").vocab.tokens)
