"""Grammar and agreement: subject number, known words, verbs that agree, next-word targets."""

from __future__ import annotations

import pytest

from lstm_viz.tasks import grammar, subject_number

from ._common import build, texts

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
