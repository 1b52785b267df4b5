"""A small generated English grammar with subject-verb agreement across attractors.

Sentences such as "The cat, which was hungry, sat on the mat.", "The keys to the cabinet are on the
table." or "The cats that the dog chases are tired.": a subject ("the" + noun, singular or plural),
maybe a modifier that puts other words (and often a noun of the other number) between the subject
and its verb, then a predicate whose verb agrees with the subject (is/are, sits/sit, ...) or shows
no number (sat, chased). Word level: lower-cased words and punctuation, as Vocab.tokenize splits.

The known hidden variable, ``subject_number``: after reading each token, the number of the
innermost subject whose verb has not been read yet: +1 plural, -1 singular, 0 when no verb is
pending. A subject starts pending at its head noun; a relative pronoun that is the subject of its
clause ("which was hungry") stands for its antecedent; each verb ends the innermost pending subject.
A network that agrees verbs correctly must carry this number across the modifier.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from lstm_viz.models.vocab import PAD, UNKNOWN, Vocab

from ._common import class_targets, lengths_of, local_rng, pad_floats, pad_ids, split_by_hash
from .base import Batch, Task

# (singular, plural)
ANIMATE = [
    ("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("child", "children"), ("man", "men"),
    ("woman", "women"), ("teacher", "teachers"), ("girl", "girls"), ("boy", "boys"),
    ("farmer", "farmers"),
]  # fmt: skip
THINGS = [
    ("key", "keys"), ("door", "doors"), ("cabinet", "cabinets"), ("mat", "mats"),
    ("table", "tables"), ("box", "boxes"), ("book", "books"), ("window", "windows"),
    ("house", "houses"), ("tree", "trees"), ("garden", "gardens"), ("chair", "chairs"),
]  # fmt: skip
OPENS = {"key", "door"}  # "the key to the cabinet": nouns that take "to the ..."
CONTAINERS = ["cabinet", "box", "house", "garden", "door"]
ANIMATE_ADJECTIVES = ["hungry", "tired", "happy", "old", "small", "quiet", "asleep"]
THING_ADJECTIVES = ["old", "new", "small", "heavy", "red", "broken", "open", "lost"]
NEAR = ["near", "behind", "under", "beside", "by"]  # prepositions after a subject noun
WHERE = ["on", "near", "under", "in", "behind", "beside"]  # prepositions of a place predicate

# Verbs whose form shows the subject's number: (singular, plural).
BE_NOW, BE_PAST = ("is", "are"), ("was", "were")
INTRANSITIVE = [("sits", "sit"), ("sleeps", "sleep"), ("waits", "wait"), ("runs", "run"),
                ("plays", "play")]  # fmt: skip
TRANSITIVE = [("likes", "like"), ("sees", "see"), ("chases", "chase"), ("follows", "follow"),
              ("finds", "find"), ("has", "have")]  # fmt: skip
# Verbs whose form does not.
INTRANSITIVE_PAST = ["sat", "slept", "waited", "ran", "played"]
TRANSITIVE_PAST = ["liked", "saw", "chased", "followed", "found"]
RELATIVE = ("which", "that")

NUMBER = {
    form: (-1 if i == 0 else 1) for pair in ANIMATE + THINGS for i, form in enumerate(pair)
}  # noun -> -1 singular, +1 plural
AGREEING = {
    form: (-1 if i == 0 else 1)
    for pair in [BE_NOW, BE_PAST, *INTRANSITIVE, *TRANSITIVE]
    for i, form in enumerate(pair)
}  # verb form -> the number it shows
OTHER_NUMBER = {
    pair[i]: pair[1 - i] for pair in [BE_NOW, BE_PAST, *INTRANSITIVE, *TRANSITIVE] for i in (0, 1)
}  # "is" <-> "are", ...
VERBS = set(AGREEING) | set(INTRANSITIVE_PAST) | set(TRANSITIVE_PAST)
WORDS = [
    ".", ",", "the", *RELATIVE, "to", "with", *dict.fromkeys(NEAR + WHERE),
    *(form for pair in ANIMATE + THINGS for form in pair),
    *dict.fromkeys(ANIMATE_ADJECTIVES + THING_ADJECTIVES),
    *AGREEING, *INTRANSITIVE_PAST, *TRANSITIVE_PAST,
]  # fmt: skip
VOCAB = Vocab((PAD, UNKNOWN, *WORDS), level="word")

SAMPLES = (
    "The cat, which was hungry, sat on the mat.",
    "The keys to the cabinet are on the table.",
)


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[str, ...]  # lower-cased words and punctuation, ending with "."
    verb: int  # index of the main verb in tokens

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def subject_number(tokens: Sequence[str]) -> list[int]:
    """Per token, the hidden variable of the module docstring: +1, -1 or 0 (tokens as tokenized).

    Works on any sentence of this grammar; other words are read as neither nouns nor verbs.
    """
    tokens = list(tokens)
    pending: list[int] = []  # numbers of the subjects whose verb is still to come
    out = []
    for t, token in enumerate(tokens):
        before = tokens[max(0, t - 2) : t]
        if (
            token in NUMBER
            and before[-1:] == ["the"]
            and (len(before) == 1 or before[0] in RELATIVE)
        ):
            pending.append(NUMBER[token])  # a subject's head noun ("the cat", "that the dog")
        elif token in RELATIVE and pending and t + 1 < len(tokens) and tokens[t + 1] in VERBS:
            pending.append(pending[-1])  # "which was": the pronoun is the clause's subject
        elif token in VERBS and pending:
            pending.pop()
        out.append(pending[-1] if pending else 0)
    return out


def generate(rng: random.Random, agreeing: bool = False) -> Sentence:
    """One random sentence; ``agreeing``: its main verb shows number (for agreement checks)."""
    plural = rng.random() < 0.5
    animate = rng.random() < 0.6
    noun = rng.choice(ANIMATE if animate else THINGS)
    words = ["the", noun[plural]]
    modifier = rng.choice(["none", "prepositional", "subject relative", "object relative"])
    if modifier == "prepositional":
        if noun[0] in OPENS:
            containers = [n for n in THINGS if n[0] in CONTAINERS and n != noun]
            words += ["to", "the", _noun(rng, containers)]
        else:
            words += [rng.choice([*NEAR, "with"] if animate else NEAR), "the", _noun(rng, THINGS)]
    elif modifier == "subject relative":
        be = rng.choice([BE_NOW, BE_PAST])[plural]
        adjective = rng.choice(ANIMATE_ADJECTIVES if animate else THING_ADJECTIVES)
        if rng.random() < 0.5:
            words += [",", "which", be, adjective, ","]
        else:
            words += ["that", be, adjective]
    elif modifier == "object relative":
        inner_plural = rng.random() < 0.5
        verb = rng.choice(TRANSITIVE[:-1])[inner_plural] if rng.random() < 0.5 else None
        verb = verb or rng.choice(TRANSITIVE_PAST)
        words += ["that", "the", rng.choice(ANIMATE)[inner_plural], verb]
    verb_index = len(words)
    words += _predicate(rng, plural, animate, agreeing)
    return Sentence((*words, "."), verb_index)


def _noun(rng: random.Random, nouns: Sequence[tuple[str, str]]) -> str:
    return rng.choice(nouns)[rng.random() < 0.5]


def _predicate(rng: random.Random, plural: bool, animate: bool, agreeing: bool) -> list[str]:
    """Verb first, then what follows it."""
    place = [rng.choice(WHERE), "the", _noun(rng, THINGS)]
    kinds = ["be"] + (["intransitive", "transitive"] if animate else [])
    kind = rng.choice(kinds)
    shows_number = agreeing or rng.random() < 0.6
    if kind == "be":
        be = rng.choice([BE_NOW, BE_PAST])[plural]
        adjective = rng.choice(ANIMATE_ADJECTIVES if animate else THING_ADJECTIVES)
        return [be, adjective] if rng.random() < 0.5 else [be, *place]
    if kind == "intransitive":
        verb = rng.choice(INTRANSITIVE)[plural] if shows_number else rng.choice(INTRANSITIVE_PAST)
        return [verb, *place] if rng.random() < 0.6 else [verb]
    verb = rng.choice(TRANSITIVE)[plural] if shows_number else rng.choice(TRANSITIVE_PAST)
    return [verb, "the", _noun(rng, ANIMATE + THINGS)]


def sentences(
    train_size: int, validation_size: int, seed: int, agreeing: bool = False
) -> dict[str, list[Sentence]]:
    """Generated sentences per split; no sentence is in both splits."""
    rng = local_rng(seed, "grammar")
    return split_by_hash(
        lambda: generate(rng, agreeing),
        lambda s: s.text,
        train_size,
        validation_size,
        "sentences",
    )


class GrammarTask(Task):
    """Predict the next word of generated sentences; each sentence is its own sequence."""

    def __init__(self, train_size: int = 5000, validation_size: int = 500, seed: int = 0) -> None:
        super().__init__(
            name="grammar",
            title="English sentences with subject-verb agreement",
            description="Predict the next word of generated sentences. To choose 'is' or 'are' "
            "after 'the keys to the cabinet', the network must remember the subject's number.",
            objective="next_token",
            num_outputs=len(VOCAB),
            vocab=VOCAB,
            hidden_variable="subject_number",
            seed=seed,
            params={"train_size": train_size, "validation_size": validation_size, "seed": seed},
        )
        self._splits = sentences(train_size, validation_size, seed)

    def sequences(self, split: Literal["train", "validation"]) -> Sequence[Sentence]:
        return self._splits[split]

    def collate(self, examples: Sequence[Sentence]) -> Batch:
        """Inputs: every token but the last; targets: every token but the first (IGNORE on pad)."""
        ids = [VOCAB.encode(s.tokens) for s in examples]
        hidden = [
            torch.tensor(subject_number(s.tokens)[:-1], dtype=torch.float32) for s in examples
        ]
        return Batch(
            inputs=pad_ids([row[:-1] for row in ids]),  # [B, T]
            targets=class_targets([row[1:] for row in ids]),  # [B, T]
            lengths=lengths_of([row[:-1] for row in ids]),  # [B]
            hidden=pad_floats(hidden),  # [B, T], NaN on padding
        )

    def sample(self) -> str:
        return SAMPLES[0]


# grammar_task: Word-level language modelling on the generated grammar (see the module docstring).
# The factory is the class itself, so the defaults are written once (in __init__).
grammar_task = GrammarTask
