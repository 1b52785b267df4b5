"""Brackets, parity and the memory tasks: hidden variables recomputed from the inputs."""

from __future__ import annotations

import math

import pytest
import torch

from lstm_viz.tasks import IGNORE, make_task

from ._common import build, texts

# ---- brackets, parity ----------------------------------------------------------------------------


def test_dyck_depth_recomputed_from_the_characters():
    task = build("dyck", types=3, max_depth=5)
    seen = set()
    for batch in task.batches("validation", 50):
        for row, chars in enumerate(texts(task, batch)):
            stack, depth = [], []
            for char in chars:
                if char in "([{":
                    stack.append(char)
                else:  # every closing bracket matches the innermost open one
                    assert "([{".index(stack.pop()) == ")]}".index(char), chars
                depth.append(len(stack))
            n = len(chars)
            assert 20 <= n <= 50 and max(depth) <= 5
            assert batch.targets[row, :n].tolist() == depth
            assert batch.hidden[row, :n].tolist() == depth
            seen |= set(depth)
    assert seen == set(range(6))  # every class occurs
    assert task.num_outputs == 6


def test_parity_recomputed_from_the_bits():
    task = build("parity")
    for batch in task.batches("validation", 50):
        for row, bits in enumerate(texts(task, batch)):
            ones = [bit == "1" for bit in bits]
            assert batch.targets[row] == sum(ones) % 2
            assert batch.hidden[row, : len(bits)].tolist() == [
                sum(ones[: t + 1]) % 2 for t in range(len(bits))
            ]
            assert 2 <= len(bits) <= 12


def test_too_few_distinct_examples_for_both_splits_is_an_error():
    with pytest.raises(ValueError, match="too few distinct"):
        make_task("parity", min_length=1, max_length=1, train_size=10, validation_size=5)


# ---- memory -------------------------------------------------------------------------------------


def test_adding_target_is_the_sum_of_the_two_marked_values():
    task = build("adding", length=40)
    batch = next(task.batches("validation", 50))
    values, markers = batch.inputs[..., 0], batch.inputs[..., 1]
    assert ((values >= 0) & (values <= 1)).all()
    for row in range(len(values)):
        marked = markers[row].nonzero().flatten().tolist()
        assert len(marked) == 2 and marked[0] < 20 <= marked[1]
        total = float(values[row, marked[0]] + values[row, marked[1]])
        assert math.isclose(float(batch.targets[row, 0]), total, rel_tol=1e-6)
        assert math.isclose(float(batch.hidden[row, marked[1] - 1]), values[row, marked[0]])
        assert math.isclose(float(batch.hidden[row, -1]), total, rel_tol=1e-6)


def test_adding_baseline_of_always_one_scores_about_a_sixth():
    task = make_task("adding", train_size=1, validation_size=4000)
    targets = torch.cat([b.targets for b in task.batches("validation", 1000)])
    assert abs(float(((targets - 1.0) ** 2).mean()) - 1 / 6) < 0.015


def test_copy_targets_are_the_symbols_on_the_recall_steps():
    task = build("copy", symbols=6, length=4, min_delay=3, max_delay=9)
    batch = next(task.batches("validation", 50))
    waits = set()
    for row, chars in enumerate(texts(task, batch)):
        symbols, rest = "".join(chars[:4]), "".join(chars[4:])
        wait = rest.index("?")
        assert set(symbols) <= set("abcdef") and 3 <= wait <= 9
        assert rest == "-" * wait + "?" + "-" * 3
        targets = batch.targets[row].tolist()
        recall = 4 + wait  # the marker's step is the first recall step
        assert targets[:recall] == [IGNORE] * recall
        assert [task.output_labels[t] for t in targets[recall : recall + 4]] == list(symbols)
        waits.add(wait)
    assert waits == set(range(3, 10))  # each sequence waits its own number of steps
    fixed = build("copy", min_delay=7, max_delay=7)
    assert fixed.collate(fixed.sequences("train")[:5]).lengths.tolist() == [5 + 7 + 5] * 5
    with pytest.raises(ValueError, match=r"min_delay \(8\) must be <= max_delay \(7\)"):
        build("copy", min_delay=8, max_delay=7)
