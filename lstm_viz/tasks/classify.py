"""Sequence classification: one answer per sequence, read after its last step.

parity     is the number of ones in a bit string odd? Hidden variable ``running_parity``: the
           parity of the ones read so far (0 or 1), which a network must flip at every one.
agreement  is a sentence of the generated grammar (grammar.py) grammatical? Half the sentences
           have their main verb in the wrong number ("the keys to the cabinet is ..."). Hidden
           variable: the grammar's ``subject_number``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from lstm_viz.models.vocab import PAD, UNKNOWN, Vocab

from . import grammar
from ._common import lengths_of, local_rng, pad_floats, pad_ids, split_by_hash
from .base import Batch, Task

Split = Literal["train", "validation"]


class ParityTask(Task):
    """Parity of bit strings of random lengths (see the module docstring)."""

    def __init__(
        self,
        min_length: int = 2,
        max_length: int = 12,
        train_size: int = 4000,
        validation_size: int = 500,
        seed: int = 0,
    ) -> None:
        if min_length > max_length:
            raise ValueError(f"min_length ({min_length}) must be <= max_length ({max_length})")
        super().__init__(
            name="parity",
            title="Parity of a bit string",
            description="Is the number of ones odd? The answer can flip at the very last bit, so "
            "the network must carry one bit of state through the whole string.",
            objective="sequence_class",
            num_outputs=2,
            vocab=Vocab((PAD, UNKNOWN, "0", "1")),
            hidden_variable="running_parity",
            output_labels=["even", "odd"],
            seed=seed,
            params={
                "min_length": min_length,
                "max_length": max_length,
                "train_size": train_size,
                "validation_size": validation_size,
                "seed": seed,
            },
        )
        rng = local_rng(seed, "parity")

        def draw() -> str:
            return "".join(rng.choice("01") for _ in range(rng.randint(min_length, max_length)))

        self._splits = split_by_hash(draw, str, train_size, validation_size, "bit strings")

    def sequences(self, split: Split) -> Sequence[str]:
        return self._splits[split]

    def collate(self, examples: Sequence[str]) -> Batch:
        """Inputs [B, T] ids; targets [B]: 1 if odd; hidden [B, T]: parity so far (NaN on pad)."""
        assert self.vocab is not None
        running = [torch.tensor([int(c) for c in bits]).cumsum(0) % 2 for bits in examples]
        return Batch(
            inputs=pad_ids([self.vocab.encode(bits) for bits in examples]),  # [B, T]
            targets=torch.stack([r[-1] for r in running]),  # [B]
            lengths=lengths_of(examples),  # [B]
            hidden=pad_floats([r.float() for r in running]),  # [B, T]
        )

    def sample(self) -> str:
        return "0110100111"


@dataclass(frozen=True)
class Judged:
    sentence: grammar.Sentence  # as written, maybe with the wrong verb form
    grammatical: bool


class AgreementTask(Task):
    """Grammatical or not: does the main verb agree with the subject? (see the module docstring)"""

    def __init__(self, train_size: int = 5000, validation_size: int = 500, seed: int = 0) -> None:
        super().__init__(
            name="agreement",
            title="Subject-verb agreement: grammatical or not?",
            description="Read a sentence and say whether its main verb agrees with the subject. "
            "Attractors ('the keys to the cabinet') and relative clauses stand in between.",
            objective="sequence_class",
            num_outputs=2,
            vocab=grammar.VOCAB,
            hidden_variable="subject_number",
            output_labels=["ungrammatical", "grammatical"],
            seed=seed,
            params={"train_size": train_size, "validation_size": validation_size, "seed": seed},
        )
        rng = local_rng(seed, "agreement")
        correct = grammar.sentences(train_size, validation_size, seed, agreeing=True)
        # Both versions of a sentence stay in its split: the split is by the correct sentence.
        self._splits = {split: [_judge(s, rng) for s in found] for split, found in correct.items()}

    def sequences(self, split: Split) -> Sequence[Judged]:
        return self._splits[split]

    def collate(self, examples: Sequence[Judged]) -> Batch:
        """Inputs [B, T] word ids; targets [B]: 1 if grammatical; hidden [B, T]: subject number."""
        tokens = [e.sentence.tokens for e in examples]
        hidden = [torch.tensor(grammar.subject_number(t), dtype=torch.float32) for t in tokens]
        return Batch(
            inputs=pad_ids([grammar.VOCAB.encode(t) for t in tokens]),  # [B, T]
            targets=torch.tensor([int(e.grammatical) for e in examples]),  # [B]
            lengths=lengths_of(tokens),  # [B]
            hidden=pad_floats(hidden),  # [B, T]
        )

    def sample(self) -> str:
        return "The keys to the cabinet is on the table."


def _judge(sentence: grammar.Sentence, rng) -> Judged:
    """Half the time, swap the main verb for its other number ("are" <-> "is")."""
    if rng.random() < 0.5:
        return Judged(sentence, True)
    tokens = list(sentence.tokens)
    tokens[sentence.verb] = grammar.OTHER_NUMBER[tokens[sentence.verb]]
    return Judged(grammar.Sentence(tuple(tokens), sentence.verb), False)


# parity_task: Parity of random bit strings of min_length..max_length bits. The factory is the
# class itself, so the defaults are written once (in __init__).
parity_task = ParityTask


# agreement_task: Grammaticality of generated sentences whose main verb shows number. The factory
# is the class itself, so the defaults are written once (in __init__).
agreement_task = AgreementTask
