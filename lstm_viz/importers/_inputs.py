"""Inputs for an imported layer: random numbers, a numeric CSV, token ids, or text read through
an uploaded vocabulary (into the file's embedding, or one-hot into a bare layer)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import torch

from lstm_viz.models.vocab import split_tokens
from lstm_viz.quantities import unknown_tokens_line

from ..numbers import CsvRead, read_csv_table
from ._build import Choice
from ._core import ModelFileError, RecurrentLayer, spans

MAX_STEPS = 2_000  # steps one recording reads (the page and the command line say so)
UNKNOWN_TOKENS = ("<unk>", "[UNK]", "<UNK>", "UNK", "<oov>", "<OOV>", "[OOV]", "OOV")


class Vocabulary(dict):
    """{token: id} with what the file says about unknown tokens: ``unknown`` (its name, e.g.
    a Keras Tokenizer's oov_token), ``num_words`` (Keras: only ids below it are used, others
    are out of vocabulary), ``lower`` (Keras lowercases text first)."""

    unknown: str | None = None
    num_words: int | None = None
    lower: bool = False
    source: str = "vocabulary"


def _keras_tokenizer(value: dict) -> Vocabulary | None:
    """A Keras ``Tokenizer.to_json()``: its word_index (ids from 1; 0 is padding), oov_token,
    num_words and lower."""
    config = value.get("config") if value.get("class_name") == "Tokenizer" else None
    if not isinstance(config, dict):
        return None
    index = config.get("word_index")
    if isinstance(index, str):
        try:
            index = json.loads(index)
        except json.JSONDecodeError:
            index = None
    if not isinstance(index, dict) or not all(
        isinstance(k, str) and type(v) is int and 0 <= v < MAX_VOCAB_TOKENS
        for k, v in index.items()
    ):
        raise ModelFileError("a Keras Tokenizer whose word_index is not {word: id}")
    vocab = Vocabulary(index)
    vocab.unknown = config.get("oov_token") if isinstance(config.get("oov_token"), str) else None
    number = config.get("num_words")
    vocab.num_words = number if type(number) is int and number > 0 else None
    vocab.lower = bool(config.get("lower", True))
    vocab.source = "Keras Tokenizer"
    return vocab


@dataclass(frozen=True)
class Prepared:
    """An input ready for the built module: ``inputs`` [1, T] ids or [1, T, I] numbers, and one
    label per step (the token, or the step's numbers)."""

    inputs: torch.Tensor
    tokens: list[str]
    unknown: list[bool]
    notes: tuple[str, ...] = ()  # what was assumed reading the input (the page and CLI print)
    read: CsvRead | None = None  # for a CSV: which rows and columns were read
    unknown_note: str = ""  # text: the one line on tokens the vocabulary lacks (also in notes)


def read_vocab(data: bytes | str) -> dict[str, int]:
    """A vocabulary file -> {token: id}. Accepts {"token": id, ...}, ["token", ...] (id = index),
    lstm-viz's own {"level": ..., "tokens": [...]}, and a Keras Tokenizer's to_json() (a
    Vocabulary: with its oov_token, num_words and lower). ModelFileError (a ValueError) with one
    line for anything else: not JSON, nested, over MAX_VOCAB_BYTES or MAX_VOCAB_TOKENS."""
    if len(data) > MAX_VOCAB_BYTES:
        raise ModelFileError(
            f"the vocabulary has {len(data) / 2**20:,.1f} MB; at most {MAX_VOCAB_BYTES // 2**20} MB"
        )
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"the vocabulary is not JSON: {error}") from None
    except RecursionError:  # lists or objects nested thousands of levels deep
        raise ModelFileError("it is nested too deeply; " + _VOCAB_SHAPE) from None
    if isinstance(value, dict) and value.get("class_name") == "Tokenizer":
        tokenizer = _keras_tokenizer(value)
        if tokenizer is not None:
            return tokenizer
    if isinstance(value, dict) and isinstance(value.get("tokens"), list):
        value = value["tokens"]
    if isinstance(value, list | dict) and len(value) > MAX_VOCAB_TOKENS:
        raise ModelFileError(
            f"the vocabulary has {len(value):,} tokens; at most {MAX_VOCAB_TOKENS:,}"
        )
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return {t: i for i, t in enumerate(value)}
    if isinstance(value, dict) and all(
        isinstance(k, str) and type(v) is int and 0 <= v < MAX_VOCAB_TOKENS
        for k, v in value.items()
    ):
        return dict(value)
    raise ModelFileError(_VOCAB_SHAPE)


MAX_VOCAB_BYTES = 16 * 1024 * 1024
MAX_VOCAB_TOKENS = 1_000_000  # tokens, and the largest id + 1
_VOCAB_SHAPE = (
    'a vocabulary is a JSON object {"token": id, ...} (ids 0 to '
    f'{MAX_VOCAB_TOKENS - 1:,}) or a list of tokens ["a", "b", ...]'
)


def prepare(
    layer: RecurrentLayer,
    choice: Choice,
    source: str,
    *,
    vocab: dict[str, int] | None = None,
    level: str = "char",
    csv: bytes | None = None,
    seed: int = 0,
) -> Prepared:
    """Turn what the user gave into the module's input.

    source: "random:T" (T random steps; "random:" alone: the layer's fixed steps, else 20),
    "ids:3 14 15" (token ids; one-hot when the layer has no
    embedding), "text:..." (split by ``level`` and looked up in ``vocab``), or "csv" (the first
    input_size numeric columns of ``csv``). ModelFileError with a clear message otherwise.
    """
    embedding = _embedding_rows(layer, choice)
    width = embedding if embedding is not None else layer.input_size  # ids must be below this
    kind, _, rest = source.partition(":")
    kind = kind.strip().lower()
    if kind == "random":
        steps = _steps(rest, layer.steps or 20)
        generator = torch.Generator().manual_seed(seed)
        if embedding is not None:
            ids = torch.randint(0, embedding, (1, steps), generator=generator)
            return Prepared(ids, [str(i) for i in ids[0].tolist()], [False] * steps)
        x = torch.randn(1, steps, layer.input_size, generator=generator)
        return Prepared(x, [f"t={t}" for t in range(steps)], [False] * steps)  # no space: "␣"
    if kind == "csv":
        if embedding is not None:
            raise ModelFileError("this choice reads token ids through the embedding, not a CSV")
        return _csv(csv, layer.input_size)
    if kind == "ids":
        parts = [p for p in re.split(r"[,;\s]+", rest.strip()) if p]
        try:
            ids = [int(p) for p in parts]
        except ValueError:
            raise ModelFileError(
                f"token ids are whole numbers, got {rest.strip()[:60]!r}"
            ) from None
        return _ids(ids, [str(i) for i in ids], [False] * len(ids), width, embedding is not None)
    if kind == "text":
        if vocab is None:
            raise ModelFileError("text needs a vocabulary (vocab.json) to find each token's id")
        return _text(rest, vocab, level, width, embedding is not None)
    raise ModelFileError(
        f"unknown input {source[:40]!r}: use random:T, ids:..., text:... or a CSV file"
    )


def _text(text: str, vocab: dict[str, int], level: str, width: int, embedded: bool) -> Prepared:
    """Text -> ids through the vocabulary; tokens it lacks (or, for a Keras Tokenizer with
    num_words, whose id is num_words or more) read as its unknown token, which is named."""
    if getattr(vocab, "lower", False):
        text = text.lower()
    tokens = split_tokens(text, "word" if level == "word" else "char")
    name = getattr(vocab, "unknown", None)
    if name is None or name not in vocab:
        name = next((t for t in UNKNOWN_TOKENS if t in vocab), None)
    limit = getattr(vocab, "num_words", None)
    unknown = [t not in vocab or (limit is not None and vocab[t] >= limit) for t in tokens]
    missing = list(dict.fromkeys(t for t, u in zip(tokens, unknown, strict=True) if u))
    source = getattr(vocab, "source", "vocabulary")
    notes = []
    if missing and name is None:
        shown = ", ".join(repr(t) for t in missing)
        beyond = f" or beyond its num_words={limit}" if limit else ""
        raise ModelFileError(
            f"not in the {source}{beyond}, which has no unknown token (<unk>, [UNK], <OOV>, "
            f"...; a Keras Tokenizer's oov_token): {shown[:200]}; a model's text is never "
            "shortened silently: remove them or add an unknown token"
        )
    unknown_note = ""
    if missing:
        unknown_note = unknown_tokens_line(
            tokens,
            unknown,
            source=source + (f" (or beyond its num_words={limit})" if limit else ""),
            read_as=f"its unknown token {name!r} (id {vocab[name]})",
        )
        notes.append(unknown_note)
    if limit:
        notes.append(f"{source} num_words={limit}: ids from {limit} on read as unknown")
    coverage = _coverage(vocab, width, embedded, source)
    if coverage:
        notes.append(coverage)
    ids = [vocab[name] if u else vocab[t] for t, u in zip(tokens, unknown, strict=True)]
    prepared = _ids(ids, tokens, unknown, width, embedded)
    return Prepared(prepared.inputs, tokens, unknown, tuple(notes), unknown_note=unknown_note)


def _coverage(vocab: dict[str, int], width: int, embedded: bool, source: str) -> str:
    """One line when the vocabulary names fewer ids than the model reads: "The vocabulary
    names 4 tokens; the embedding has 30 rows: ids 4-29 have no token (text never reads
    them)"; "" when every id has a token (a Keras Tokenizer's id 0 is padding: not counted)."""
    named = set(vocab.values())
    if source == "Keras Tokenizer":
        named.add(0)
    missing = [i for i in range(width) if i not in named]
    if not missing:
        return ""
    what = (
        f"the embedding has {width:,} rows"
        if embedded
        else f"the layer reads {width:,} one-hot ids"
    )
    ids = "id" if len(missing) == 1 else "ids"
    has = "has" if len(missing) == 1 else "have"
    return (
        f"The {source} names {len(vocab):,} token{'s' if len(vocab) != 1 else ''}; {what}: "
        f"{ids} {spans(missing, limit=6)} {has} no token (text never reads them)"
    )


def _embedding_rows(layer: RecurrentLayer, choice: Choice) -> int | None:
    for candidate in layer.embeddings:
        if candidate.name == choice.embedding:
            return int(candidate.weight.shape[0])
    return None


def _steps(text: str, default: int = 20) -> int:
    try:
        steps = int(text or default)
    except ValueError:
        raise ModelFileError(f"random:T takes a number of steps, got {text!r}") from None
    if not 1 <= steps <= MAX_STEPS:
        raise ModelFileError(f"random:T takes 1 to {MAX_STEPS} steps, got {steps}")
    return steps


def _ids(
    ids: list[int], tokens: list[str], unknown: list[bool], width: int, embedded: bool
) -> Prepared:
    if not ids:
        raise ModelFileError("the input has no tokens")
    if len(ids) > MAX_STEPS:
        raise ModelFileError(f"the input has {len(ids):,} steps; at most {MAX_STEPS:,}")
    bad = [i for i in ids if not 0 <= i < width]
    if bad:
        what = "embedding rows" if embedded else "input features (one-hot)"
        raise ModelFileError(f"token ids {bad[:5]} are out of range: there are {width} {what}")
    index = torch.tensor([ids], dtype=torch.int64)  # [1, T]
    if embedded:
        return Prepared(index, tokens, unknown)
    one_hot = torch.nn.functional.one_hot(index, width).to(torch.float32)  # [1, T, I]
    return Prepared(one_hot, tokens, unknown)


def _csv(data: bytes | None, input_size: int) -> Prepared:
    try:
        values, read = read_csv_table(data or b"", input_size, MAX_STEPS)  # [T, I]
    except ValueError as error:
        raise ModelFileError(f"the CSV: {error}") from None
    tokens = [" ".join(f"{v:.3g}" for v in row) for row in values.tolist()]
    return Prepared(values[None], tokens, [False] * len(tokens), (f"CSV: {read}",), read)
