"""Tasks: determinism, disjoint splits, batch layout per objective, padding, hidden variables
recomputed independently, and a clear ValueError for every kind of bad input."""

from __future__ import annotations

import itertools
import math
import random
import string

import pytest
import torch

from lstm_viz.models.vocab import Vocab
from lstm_viz.tasks import (
    IGNORE,
    TASKS,
    Batch,
    Task,
    grammar,
    make_task,
    series,
    subject_number,
    text,
)

USER_TEXT = "\n".join(
    f"Line {i}: the quick brown fox jumps over the lazy dog, {i * i} times." for i in range(60)
)
CSV = "time,value,label\n" + "\n".join(f"{i},{3 * i + 7},x{i}" for i in range(200))

# Small sizes keep the whole file fast; every registered task is here.
SMALL = {
    "text-english": {"seq_len": 50},
    "text-python": {"max_chars": 50_000, "seq_len": 50},
    "text-user": {"text": USER_TEXT, "seq_len": 40},
    "grammar": {"train_size": 300, "validation_size": 100},
    "dyck": {"train_size": 300, "validation_size": 100},
    "sines": {"train_size": 40, "validation_size": 20, "length": 60},
    "ecg": {"train_seconds": 20, "validation_seconds": 10, "length": 60},
    "csv": {"data": CSV, "column": "value", "window": 30},
    "adding": {"train_size": 200, "validation_size": 50},
    "copy": {"train_size": 200, "validation_size": 50, "max_delay": 10},
    "parity": {"train_size": 300, "validation_size": 100},
    "agreement": {"train_size": 300, "validation_size": 100},
}
STREAMS = {"text-english", "text-python", "text-user"}
SEEDED = sorted(set(TASKS) - STREAMS - {"csv"})  # tasks whose data a seed draws


def build(name: str, **overrides) -> Task:
    return make_task(name, **{**SMALL[name], **overrides})


def first_batches(task: Task, split: str, count: int = 3, seed: int = 7) -> list[Batch]:
    generator = torch.Generator().manual_seed(seed)
    batches = task.batches(split, 16, shuffle=split == "train", generator=generator)
    return list(itertools.islice(batches, count))


def same(a: Batch, b: Batch) -> bool:
    """Equal batches (NaN equals NaN: hidden variables are NaN on padding)."""
    for x, y in [(a.inputs, b.inputs), (a.targets, b.targets), (a.lengths, b.lengths),
                 (a.hidden, b.hidden)]:  # fmt: skip
        if (x is None) != (y is None):
            return False
        if x is not None and not (x.shape == y.shape and x.nan_to_num(-7).equal(y.nan_to_num(-7))):
            return False
    return True


def texts(task: Task, batch: Batch) -> list[list[str]]:
    """The real tokens of each row, decoded."""
    assert task.vocab is not None
    rows = zip(batch.inputs, batch.lengths, strict=True)
    return [task.vocab.decode(row[:n].tolist()) for row, n in rows]


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


# ---- text streams -----------------------------------------------------------------------------


def test_a_stream_row_continues_in_the_next_batch():
    task = build("text-user")  # seq_len 40
    stream = task.stream("train")
    for shuffle in (False, True):
        generator = torch.Generator().manual_seed(3)
        batches = list(task.batches("train", 4, shuffle=shuffle, generator=generator))
        assert len(batches) > 3 and all(len(b.inputs) == 4 for b in batches)
        for k in range(len(batches) - 1):
            now, then = batches[k], batches[k + 1]
            assert now.targets[:, -1].equal(then.inputs[:, 0])  # row b goes on in row b
            assert now.inputs[:, 1:].equal(now.targets[:, :-1])  # targets are ids[t + 1]
        rows = torch.cat([b.inputs for b in batches], dim=1)  # [4, L]
        found = [_find(stream, row) for row in rows]
        assert all(start >= 0 for start in found)
        steps = rows.shape[1]
        assert all(found[r + 1] - found[r] == steps for r in range(3))  # side by side, in order
        assert found[0] < task.seq_len and (found[0] > 0) == shuffle  # a random start offset
        assert len(stream) - (found[-1] + steps) <= 4  # the stream is read (nearly) to its end


def _find(stream: torch.Tensor, row: torch.Tensor) -> int:
    for start in range(len(stream) - len(row) + 1):
        if stream[start : start + len(row)].equal(row):
            return start
    return -1


def test_text_splits_at_ninety_percent_and_builds_its_vocab_from_training():
    tail = "Zebras quietly zigzag across the Zambezi. " * 2  # "Z" only in the last 10%
    task = make_task("text-user", text=USER_TEXT + "\n" + tail)
    whole = torch.cat([task.stream("train"), task.stream("validation")])
    assert whole.equal(torch.tensor(task.vocab.encode(USER_TEXT + "\n" + tail)))
    assert len(task.stream("train")) == int(len(whole) * 0.9)
    assert "Z" not in task.vocab.tokens and "Z" not in task.vocab.decode(whole.tolist())
    assert 1 in task.stream("validation") and 1 not in task.stream("train")


def test_text_vocab_keeps_the_most_frequent_characters():
    rare = "".join(chr(c) for c in range(0x100, 0x100 + 150))  # 150 characters seen once
    task = make_task("text-user", text=rare + USER_TEXT, max_vocab=100)
    assert len(task.vocab) == 100 and task.num_outputs == 100
    assert all(ch in task.vocab.tokens for ch in "the quick brown fox")


def test_a_short_validation_stream_uses_fewer_longer_rows():
    task = build("text-user")  # validation: about 400 characters, seq_len 40
    batch = next(task.batches("validation", 32))
    assert len(batch.inputs) == (len(task.stream("validation")) - 1) // task.seq_len
    assert batch.inputs.shape[1] == task.seq_len


def test_the_builtin_corpora_are_clean_and_capped():
    english = text.english_corpus()
    assert len(english) > 200_000 and "\t" not in english and "\r" not in english
    assert "\n\n\n" not in english
    lines = english.split("\n")
    assert not any(line != line.rstrip() for line in lines)
    decoration = [line for line in lines if line.strip() and not line.strip(" *=-~^+|")]
    assert not decoration, decoration[:3]  # rst underlines and table borders are gone
    code = text.python_corpus(50_000)
    assert 10_000 < len(code) <= 50_000 and "def " in code and "import " in code
    assert text.python_corpus(50_000) is code  # read once


@pytest.mark.parametrize(
    "data, message",
    [
        ("", "text is empty"),
        (" \n\t\n", "text is empty"),
        ("A short text.", "too short.*at least 500"),
        ("x" * (text.MAX_TEXT_CHARS + 1), "too long.*2,000,000"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 100, "binary.*NUL"),
        ("abc\x00def" * 100, "binary.*NUL"),
        (b"caf\xe9 au lait " * 100, "not UTF-8.*position 3"),
        ("Some text\x01\x02\x1b[0m. " * 100, "binary.*control characters"),
        (12345, "text must be"),
        (None, "no text was given"),
    ],
)
def test_bad_user_text_gets_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message):
        make_task("text-user", text=data)


def test_user_text_may_be_utf8_bytes():
    task = make_task("text-user", text=("\ufeff" + USER_TEXT).encode("utf-8"))
    assert task.sample() == USER_TEXT.split("\n")[0]
    assert task.params["text"] == USER_TEXT


# ---- grammar and agreement ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, expected",
    [
        (
            "The cat, which was hungry, sat on the mat.",
            # the cat  ,  which was hungry ,  sat on the mat .
            [0, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0],
        ),
        (
            "The keys to the cabinet are on the table.",
            # the keys to the cabinet are on the table .
            [0, 1, 1, 1, 1, 0, 0, 0, 0, 0],
        ),
        (
            "The cats that the dog chases are tired.",
            # the cats that the dog chases are tired .
            [0, 1, 1, 1, -1, 1, 0, 0, 0],
        ),
        (
            "The man with the keys likes the dogs.",
            # the man with the keys likes the dogs .
            [0, -1, -1, -1, -1, 0, 0, 0, 0],
        ),
    ],
)
def test_subject_number_of_known_sentences(sentence, expected):
    assert subject_number(grammar.VOCAB.tokenize(sentence)) == expected


def test_grammar_samples_have_no_unknown_words():
    task = build("grammar")
    for sentence in (task.sample(), *grammar.SAMPLES):
        tokens = task.vocab.tokenize(sentence)
        assert not any(task.vocab.unknown(tokens)), tokens
        assert 1 not in task.vocab.encode(sentence)
    assert task.sample() == "The cat, which was hungry, sat on the mat."
    assert "The keys to the cabinet are on the table." in grammar.SAMPLES


@pytest.mark.parametrize("name", ["grammar", "agreement"])
def test_every_agreeing_verb_follows_its_subjects_number(name):
    task = build(name)
    number = {"is": -1, "was": -1, "has": -1, "are": 1, "were": 1, "have": 1}
    number |= {v + "s": -1 for v in ("sit", "sleep", "wait", "run", "play", "like", "see", "find")}
    number |= {v: 1 for v in ("sit", "sleep", "wait", "run", "play", "like", "see", "find")}
    number |= {"chases": -1, "chase": 1, "follows": -1, "follow": 1}
    seen = 0
    for batch in task.batches("validation", 64):
        for row, words in enumerate(texts(task, batch)):
            hidden = batch.hidden[row]
            assert "<unk>" not in words
            if name == "agreement" and batch.targets[row] == 0:
                continue  # the wrong verb form on purpose
            for t, word in enumerate(words):
                if word in number:
                    assert hidden[t - 1] == number[word], (words, t)
                    seen += 1
            assert hidden[len(words) - 1] == 0  # the main verb has been read
    assert seen > 50


def test_grammar_targets_are_the_next_words():
    task = build("grammar")
    batch = next(task.batches("validation", 32))
    for row, n in enumerate(batch.lengths):
        assert batch.inputs[row, 1:n].equal(batch.targets[row, : n - 1])
        assert task.vocab.tokens[batch.targets[row, n - 1]] == "."


def test_agreement_flips_only_the_main_verb_of_half_the_sentences():
    task = build("agreement")
    examples = task.sequences("train")
    wrong = [e for e in examples if not e.grammatical]
    assert 0.35 < len(wrong) / len(examples) < 0.65
    for example in wrong:
        tokens = list(example.sentence.tokens)
        verb = tokens[example.sentence.verb]
        tokens[example.sentence.verb] = grammar.OTHER_NUMBER[verb]
        restored = subject_number(tokens)
        # the verb is wrong: the restored form shows the pending subject's number
        assert (
            grammar.AGREEING[tokens[example.sentence.verb]] == restored[example.sentence.verb - 1]
        )
        assert grammar.AGREEING[verb] != restored[example.sentence.verb - 1]


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


# ---- time series --------------------------------------------------------------------------------


def test_sines_phase_is_the_main_components_angle():
    task = build("sines", components=1, noise=0.0)
    batch = next(task.batches("validation", 20))
    phase = batch.hidden  # [B, T]
    assert ((phase >= 0) & (phase < 2 * math.pi)).all()
    assert torch.allclose(batch.inputs[..., 0], torch.sin(phase), atol=1e-4)  # one clean sine
    step = torch.remainder(phase[:, 1:] - phase[:, :-1], 2 * math.pi)  # constant per sequence
    assert torch.allclose(step, step[:, :1].expand_as(step), atol=1e-4)
    assert torch.allclose(batch.targets[:, :-1], batch.inputs[:, 1:])


def test_csv_is_normalized_on_training_time_and_validated_on_later_time():
    task = build("csv", stride=7)  # value = 3 * row + 7, 200 rows: 160 train, 40 validation
    mean, std = task.params["mean"], task.params["std"]
    train_values = torch.tensor([3.0 * i + 7 for i in range(160)], dtype=torch.float64)
    assert math.isclose(mean, float(train_values.mean()), rel_tol=1e-9)
    assert math.isclose(std, float(train_values.std()), rel_tol=1e-9)

    def rows(split):  # the CSV rows each window covers, recovered from the normalized values
        return [((w * std + mean - 7) / 3).round().long() for w in task.sequences(split)]

    train, validation = rows("train"), rows("validation")
    assert all(w.diff().eq(1).all() for w in train + validation)  # consecutive, in time order
    assert max(int(w.max()) for w in train) == 159 and min(int(w.min()) for w in validation) == 160
    assert int(validation[-1].max()) == 199  # the end of the series is used
    assert {int(w[0]) for w in train} >= set(range(0, 130, 7))
    assert len(train[0]) == 31  # window 30 inputs, + the last target


CSV_ROWS = "\n".join(f"{i},{i % 7}" for i in range(60))


@pytest.mark.parametrize(
    "data, column, message",
    [
        ("a,b\n" + CSV_ROWS, None, "no column chosen; choose one of: 'a', 'b'"),
        ("a,b\n" + CSV_ROWS, "", "no column chosen"),
        ("a,b\n" + CSV_ROWS, "c", "no column 'c'.*columns are: 'a', 'b'"),
        (
            "a,b\n" + CSV_ROWS.replace("\n5,5\n", "\n5,five\n"),
            "b",
            "non-numeric cell 'five' in row 6",
        ),
        ("a,b\n" + CSV_ROWS.replace("\n3,3\n", "\n3,\n"), "b", "empty cell in row 4"),
        (
            "a,b\n" + CSV_ROWS.replace("\n9,2\n", "\n9,inf\n"),
            "b",
            "non-numeric cell 'inf' in row 10",
        ),
        ("a,b\n1,2\n3,4\n", "b", "2 rows; at least 50"),
        ("", "b", "CSV file is empty"),
        ("\n\n", "b", "CSV file is empty"),
        (b"a,b\n\x00\x01\x02" * 30, "b", "binary"),
        (b"a,b\n1,\xff\xfe\n" * 60, "b", "not UTF-8"),
        ("a,b\n" + "\n".join(f"{i},4" for i in range(60)), "b", "does not vary"),
        ('a,b\n1,"2\n' + CSV_ROWS, "b", "could not be read"),
    ],
)
def test_bad_csv_gets_a_clear_message(data, column, message):
    with pytest.raises(ValueError, match=message):
        make_task("csv", data=data, column=column)


def test_an_over_limit_csv_file_says_the_limit(monkeypatch):
    monkeypatch.setattr(series, "MAX_CSV_CHARS", 1000)
    with pytest.raises(ValueError, match="too long: at most 1,000 characters"):
        make_task("csv", data="a\n" + "1\n" * 600, column="a")


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
