"""Subject-verb agreement and number units (Lakretz et al., 2019).

A word-level language model reads the start of a sentence up to its verb ("the cat near the
dogs") and must prefer the verb form that agrees with the subject ("is" over "are"), across an
attractor: a noun of the other number between subject and verb. Per condition (the subject's
number x the attractor's number, with no attractor, after a prepositional phrase or an object
relative clause), accuracy = the fraction of (sentence, verb pair) where logit(correct form) >
logit(wrong form) at the verb, i.e. P(correct) > P(wrong).

Ablation: zero one unit's cell and hidden state at every step (after each step's update, so the
next step and the output read 0) and measure each condition again; the unit whose loss drops
the attractor conditions most is the number unit. Every unit's ablation runs as one batch
(stepping.run_core with an edit), so a whole table is one pass per prefix length.

    result = agreement(model, vocab)     # AgreementResult: accuracy, ablations, number units
    result.conditions()                  # pandas: condition, accuracy, sentences
    result.ablation_table()              # pandas: layer, unit, one drop column per condition
    cell_over_sentence(model, vocab, unit)   # the number unit's cell state, four conditions
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from .interventions import _head
from .stepping import core_kind, run_core

# (singular, plural) candidates; only those whose forms are all in the model's vocabulary count.
NOUNS = [
    ("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("child", "children"), ("man", "men"),
    ("woman", "women"), ("teacher", "teachers"), ("girl", "girls"), ("boy", "boys"),
    ("farmer", "farmers"), ("key", "keys"), ("door", "doors"), ("cabinet", "cabinets"),
    ("table", "tables"), ("box", "boxes"), ("book", "books"), ("window", "windows"),
    ("house", "houses"), ("tree", "trees"), ("chair", "chairs"),
]  # fmt: skip
ANIMATE = {"cat", "dog", "bird", "child", "man", "woman", "teacher", "girl", "boy", "farmer"}
VERB_PAIRS = [("is", "are"), ("was", "were")]  # agree with every subject
PREPOSITIONS = ["near", "behind", "under", "beside", "by"]
RELATIVE = "that"
PAST_VERBS = ["liked", "saw", "chased", "followed", "found"]  # show no number
CONTEXTS = ("none", "prepositional", "relative")
CONTEXT_LABELS = {
    "none": "no attractor",
    "prepositional": "prepositional phrase",
    "relative": "relative clause",
}
NUMBERS = ("S", "P")  # singular, plural
MAX_SENTENCES = 64  # per condition (a cap on work: the app passes user choices through it)
MAX_ROWS = 20_000  # ablated sentence runs per batch
MAX_FLOPS = 2e10  # a cap on one table's multiply-adds (about a minute on 2 CPU cores)
MIN_SENTENCES = 4


class AgreementError(ValueError):
    """A model or vocabulary that cannot be tested for agreement (one line, says why)."""


@dataclass(frozen=True)
class Item:
    """One sentence prefix: tokens up to (not including) the verb."""

    context: str  # one of CONTEXTS
    subject: str  # "S" or "P"
    attractor: str  # "S", "P" or "" (no attractor)
    tokens: tuple[str, ...]

    @property
    def condition(self) -> str:
        return condition_name(self.context, self.subject, self.attractor)


def condition_name(context: str, subject: str, attractor: str = "") -> str:
    """'prepositional SP': the context, then subject and attractor numbers."""
    return f"{context} {subject}{attractor}"


@dataclass(frozen=True)
class Words:
    """The words of the model's vocabulary that the experiment uses."""

    nouns: list[tuple[str, str]]
    animate: list[tuple[str, str]]
    verbs: list[tuple[str, str]]
    prepositions: list[str]
    past: list[str]


def usable_words(vocab) -> Words:
    """The experiment's words that ``vocab`` holds. Raises AgreementError (one line) when the
    vocabulary is not word-level or lacks 'the', a noun pair or a verb pair."""
    if vocab is None or getattr(vocab, "level", "char") != "word":
        raise AgreementError(
            "agreement needs a word-level language model (this one reads characters or numbers)"
        )
    known = set(vocab.tokens)
    nouns = [p for p in NOUNS if set(p) <= known]
    verbs = [p for p in VERB_PAIRS if set(p) <= known]
    missing = [w for w, ok in (("'the'", "the" in known), ("a singular/plural noun", nouns),
                               ("'is'/'are' or 'was'/'were'", verbs)) if not ok]  # fmt: skip
    if missing:
        raise AgreementError(f"the vocabulary has no {', no '.join(missing)}; agreement needs them")
    return Words(
        nouns=nouns,
        animate=[p for p in nouns if p[0] in ANIMATE],
        verbs=verbs,
        prepositions=[w for w in PREPOSITIONS if w in known],
        past=[w for w in PAST_VERBS if w in known and RELATIVE in known],
    )


def make_items(words: Words, per_condition: int = 24, seed: int = 0) -> list[Item]:
    """A fixed, seeded set of prefixes: ``per_condition`` per condition (capped at
    MAX_SENTENCES). Contexts whose words the vocabulary lacks are left out."""
    per_condition = max(1, min(int(per_condition), MAX_SENTENCES))
    rng = random.Random(f"agreement:{seed}")
    items = []
    for context in CONTEXTS:
        if context == "prepositional" and not words.prepositions:
            continue
        if context == "relative" and not (words.past and words.animate):
            continue
        for subject in NUMBERS:
            for attractor in NUMBERS if context != "none" else ("",):
                for _ in range(per_condition):
                    s = subject == "P"
                    head = rng.choice(words.nouns)
                    if context == "none":
                        tokens = ("the", head[s])
                    else:
                        a = attractor == "P"
                        other = rng.choice([p for p in words.nouns if p != head] or words.nouns)
                        if context == "prepositional":
                            tokens = ("the", head[s], rng.choice(words.prepositions), "the")
                            tokens += (other[a],)
                        else:
                            inner = rng.choice(words.animate)
                            tokens = ("the", head[s], RELATIVE, "the", inner[a])
                            tokens += (rng.choice(words.past),)
                    items.append(Item(context, subject, attractor, tokens))
    return items


@dataclass
class AgreementResult:
    """Accuracy per condition, intact and with each unit ablated.

    accuracy: {condition: float}; ablated: [L, U, C] accuracy with (layer, unit) zeroed, C in
    ``names`` order; counts: {condition: sentences}; attractor_conditions: the names with an
    attractor of the other number (SP, PS) that pick the number units.
    """

    names: list[str]
    accuracy: dict[str, float]
    ablated: np.ndarray
    counts: dict[str, int]
    items: list[Item] = field(repr=False, default_factory=list)

    @property
    def drops(self) -> np.ndarray:
        """[L, U, C]: accuracy intact minus accuracy ablated (positive = the unit helps)."""
        return np.array([self.accuracy[n] for n in self.names])[None, None] - self.ablated

    @property
    def attractor_conditions(self) -> list[str]:
        return [n for n in self.names if n.split()[1] in ("SP", "PS")]

    def attractor_accuracy(self) -> float:
        """Mean accuracy over the conditions with an attractor of the other number."""
        names = self.attractor_conditions
        return float(np.mean([self.accuracy[n] for n in names])) if names else float("nan")

    def attractor_drops(self) -> np.ndarray:
        """[L, U]: each unit's mean drop over the attractor conditions."""
        index = [self.names.index(n) for n in self.attractor_conditions]
        return self.drops[:, :, index].mean(axis=2)

    def number_units(self, count: int = 2, threshold: float = 0.1) -> list[tuple[int, int]]:
        """(layer, unit) of the units whose ablation drops attractor agreement most, at most
        ``count``, each dropping it by at least ``threshold``."""
        drops = self.attractor_drops()
        order = np.argsort(-drops, axis=None, kind="stable")[:count]
        units = [tuple(int(i) for i in np.unravel_index(k, drops.shape)) for k in order]
        return [u for u in units if drops[u] >= threshold]

    def median_drop(self) -> float:
        """The median unit's attractor drop."""
        return float(np.median(self.attractor_drops()))

    def conditions(self) -> pd.DataFrame:
        """One row per condition: context, subject, attractor, accuracy, sentences."""
        rows = []
        for name in self.names:
            context, numbers = name.split()
            rows.append(
                {
                    "context": CONTEXT_LABELS[context],
                    "subject": "singular" if numbers[0] == "S" else "plural",
                    "attractor": {"": "-", "S": "singular", "P": "plural"}[numbers[1:]],
                    "accuracy": self.accuracy[name],
                    "sentences": self.counts[name],
                }
            )
        return pd.DataFrame(rows)

    def ablation_table(self) -> pd.DataFrame:
        """One row per (layer, unit): the mean drop over the attractor conditions ("attractor
        drop"), then the drop in each condition; sorted by the attractor drop, largest first."""
        layers, units, _ = self.ablated.shape
        grid = np.indices((layers, units)).reshape(2, -1)
        table = pd.DataFrame({"layer": grid[0], "unit": grid[1]})
        table["attractor drop"] = self.attractor_drops().reshape(-1)
        drops = self.drops.reshape(layers * units, -1)
        for c, name in enumerate(self.names):
            table[name] = drops[:, c]
        return table.sort_values("attractor drop", ascending=False, kind="stable").reset_index(
            drop=True
        )


def _check_model(model: nn.Module) -> nn.Module:
    config = getattr(model, "config", None)
    rnn = getattr(model, "rnn", None)
    if config is None or rnn is None or getattr(config, "objective", None) != "next_token":
        raise AgreementError("agreement needs a next-word language model (objective next_token)")
    if rnn.bidirectional:
        raise AgreementError("agreement needs a one-direction model (this one reads both ways)")
    core_kind(rnn)  # raises on a core it cannot step
    return rnn


def _scores(model, vocab, items, words, progress=None):
    """[R, N] correct-minus-wrong logit margins per verb pair for each row of runs.

    Rows: first the intact model, then each (layer, unit) ablated (L*U rows), all in one batch
    per prefix length. Returns margins [1 + L*U, len(items), pairs]."""
    rnn = _check_model(model)
    layers, units = rnn.num_layers, rnn.hidden_size
    runs = 1 + layers * units
    pairs = [(vocab.id(a), vocab.id(b)) for a, b in words.verbs]
    margins = np.zeros((runs, len(items), len(pairs)))
    by_length: dict[int, list[int]] = {}
    for i, item in enumerate(items):
        by_length.setdefault(len(item.tokens), []).append(i)
    chunk = max(1, MAX_ROWS // runs)
    jobs = [
        (n, idx[k : k + chunk]) for n, idx in by_length.items() for k in range(0, len(idx), chunk)
    ]
    for done, (_, index) in enumerate(jobs):
        ids = torch.tensor([vocab.encode(items[i].tokens) for i in index])  # [n, T]
        n = len(index)
        with torch.no_grad():
            x = model.embedding(ids).repeat(runs, 1, 1)  # [runs * n, T, E]
        mask = torch.ones(layers, runs * n, units)
        for r in range(1, runs):
            layer, unit = divmod(r - 1, units)
            mask[layer, r * n : (r + 1) * n, unit] = 0.0

        def edit(layer, direction, t, values, mask=mask):
            if "hidden" in values:
                values["hidden"] = values["hidden"] * mask[layer]
                if "cell" in values:
                    values["cell"] = values["cell"] * mask[layer]

        out, _ = run_core(rnn, x, edit, keep=False)
        logits = _head(model, out[:, -1:])[:, 0]  # [runs * n, V]
        logits = logits.reshape(runs, n, -1)
        for p, (s_id, p_id) in enumerate(pairs):
            diff = (logits[:, :, s_id] - logits[:, :, p_id]).numpy()  # singular minus plural
            sign = np.array([1.0 if items[i].subject == "S" else -1.0 for i in index])
            margins[:, index, p] = diff * sign
        if progress is not None:
            progress((done + 1) / len(jobs))
    return margins


def work(model: nn.Module, per_condition: int) -> float:
    """Multiply-adds of one ablation table (every unit ablated over every sentence)."""
    rnn = _check_model(model)
    runs = 1 + rnn.num_layers * rnn.hidden_size
    gates = 4 if core_kind(rnn) in ("lstm", "peephole_lstm") else 3
    width = rnn.hidden_size + max(rnn.input_size, rnn.hidden_size)
    sentences = 10 * min(int(per_condition), MAX_SENTENCES)
    return float(runs * sentences * 6 * rnn.num_layers * gates * rnn.hidden_size * width)


def affordable(model: nn.Module, per_condition: int) -> int:
    """``per_condition`` lowered (never below MIN_SENTENCES) until the table fits MAX_FLOPS.
    Raises AgreementError when even that is too much work (a very wide or deep model)."""
    per_condition = max(MIN_SENTENCES, min(int(per_condition), MAX_SENTENCES))
    while per_condition > MIN_SENTENCES and work(model, per_condition) > MAX_FLOPS:
        per_condition //= 2
    per_condition = max(per_condition, MIN_SENTENCES)
    if work(model, per_condition) > MAX_FLOPS:
        rnn = model.rnn
        raise AgreementError(
            f"ablating each of {rnn.num_layers * rnn.hidden_size:,} units is too much work here "
            f"(cap {MAX_FLOPS:.0e} multiply-adds); use a model with fewer units"
        )
    return per_condition


def agreement(
    model: nn.Module,
    vocab,
    per_condition: int = 24,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> AgreementResult:
    """Agreement accuracy per condition, intact and with every unit ablated (see the module
    docstring). ``per_condition`` sentences per condition (at most MAX_SENTENCES, fewer when the
    table would pass MAX_FLOPS: see affordable), seeded; ``progress(fraction)`` after each batch.
    Raises AgreementError (one line) for a model or vocabulary that cannot be tested."""
    words = usable_words(vocab)
    per_condition = affordable(model, per_condition)
    items = make_items(words, per_condition, seed)
    margins = _scores(model, vocab, items, words, progress=progress)  # [R, N, P]
    correct = (margins > 0).mean(axis=2)  # [R, N]
    names = list(dict.fromkeys(item.condition for item in items))
    columns = np.array([names.index(item.condition) for item in items])
    per = np.stack([correct[:, columns == c].mean(axis=1) for c in range(len(names))], axis=1)
    rnn = model.rnn
    return AgreementResult(
        names=names,
        accuracy={n: float(per[0, c]) for c, n in enumerate(names)},
        ablated=per[1:].reshape(rnn.num_layers, rnn.hidden_size, len(names)),
        counts={n: int((columns == c).sum()) for c, n in enumerate(names)},
        items=items,
    )


def cell_over_sentence(
    model: nn.Module, vocab, unit: tuple[int, int], per_condition: int = 24, seed: int = 0
) -> pd.DataFrame:
    """The unit's cell state (hidden state for GRU/RNN) at each word of the prepositional
    sentences, averaged per condition (SS, SP, PS, PP), as Lakretz et al.'s figure.

    Returns one row per (condition, position): condition, position, word (the word slot, e.g.
    'subject'), value (mean), sd. The prefix is followed by the correct 'is'/'are'."""
    words = usable_words(vocab)
    rnn = _check_model(model)
    layer, index = unit
    if not (0 <= layer < rnn.num_layers and 0 <= index < rnn.hidden_size):
        raise AgreementError(
            f"unit ({layer}, {index}) is outside the model "
            f"({rnn.num_layers} layers of {rnn.hidden_size} units)"
        )
    items = [i for i in make_items(words, per_condition, seed) if i.context == "prepositional"]
    if not items:
        raise AgreementError("the vocabulary has no prepositions for the attractor sentences")
    verb = words.verbs[0]
    slots = ["the", "subject", "preposition", "the", "attractor", "verb"]
    ids = torch.tensor([vocab.encode((*i.tokens, verb[i.subject == "P"])) for i in items])
    with torch.no_grad():
        _, values = run_core(rnn, model.embedding(ids))
    name = "cell" if "cell" in values else "hidden"
    states = values[name][layer, 0, :, :, index].numpy()  # [N, T]
    rows = []
    for condition in ("SS", "SP", "PS", "PP"):
        chosen = np.array([i.subject + i.attractor == condition for i in items])
        for t, slot in enumerate(slots):
            rows.append(
                {
                    "condition": condition,
                    "position": t,
                    "word": slot,
                    "value": float(states[chosen, t].mean()),
                    "sd": float(states[chosen, t].std()),
                }
            )
    return pd.DataFrame(rows)
