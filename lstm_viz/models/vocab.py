"""Vocabularies: tokens <-> ids, with an explicit unknown token so nothing is dropped silently."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lstm_viz.models.folders import MAX_VOCAB_BYTES, CheckpointError, read_json

MAX_VOCAB_TOKENS = 1_000_000  # a vocab.json with more is refused (ModelConfig's MAX_VOCAB_SIZE)
UNKNOWN = "<unk>"
PAD = "<pad>"
_WORD = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Vocab:
    """An ordered list of tokens; id 0 is padding, id 1 the unknown token.

    ``level`` says how text is split: "char" (every character is a token) or "word" (words and
    punctuation marks, lower-cased; spaces are dropped).
    """

    tokens: tuple[str, ...]
    level: Literal["char", "word"] = "char"

    def __post_init__(self) -> None:
        if self.tokens[:2] != (PAD, UNKNOWN):
            raise ValueError(f"a Vocab starts with {PAD!r}, {UNKNOWN!r}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("a Vocab's tokens must be unique")
        object.__setattr__(self, "_ids", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        level: Literal["char", "word"] = "char",
        max_size: int | None = None,
    ) -> Vocab:
        """The most frequent tokens of ``texts`` (ties broken by first appearance)."""
        counts = Counter(t for text in texts for t in split_tokens(text, level))
        ranked = [t for t, _ in counts.most_common(max_size and max_size - 2)]
        return cls((PAD, UNKNOWN, *ranked), level)

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, token: str) -> int:
        return self._ids.get(token, 1)

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text`` as this vocabulary splits it (unknown ones kept as they are)."""
        return split_tokens(text, self.level)

    def encode(self, text_or_tokens: str | Sequence[str]) -> list[int]:
        tokens = (
            self.tokenize(text_or_tokens) if isinstance(text_or_tokens, str) else text_or_tokens
        )
        return [self.id(t) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def unknown(self, tokens: Sequence[str]) -> list[bool]:
        """For each token: True when this vocabulary does not know it (it becomes <unk>)."""
        return [t not in self._ids for t in tokens]

    def to_json(self) -> dict:
        return {"level": self.level, "tokens": list(self.tokens)}

    @classmethod
    def from_json(cls, data: dict) -> Vocab:
        """The vocabulary a parsed vocab.json describes; CheckpointError (a ValueError, one
        line) when it is not {"level": "char" | "word", "tokens": ["<pad>", "<unk>", ...]}."""
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
            raise CheckpointError(
                "vocab.json must hold {'level': 'char' | 'word', 'tokens': [...]}"
            )
        tokens = data["tokens"]
        if len(tokens) > MAX_VOCAB_TOKENS:
            raise CheckpointError(
                f"vocab.json has {len(tokens):,} tokens; at most {MAX_VOCAB_TOKENS:,} are read"
            )
        if not all(isinstance(t, str) for t in tokens):
            raise CheckpointError("every token in vocab.json must be a string")
        level = data.get("level", "char")
        if level not in ("char", "word"):
            raise CheckpointError(f"vocab.json level must be 'char' or 'word', got {level!r:.40}")
        try:
            return cls(tuple(tokens), level)
        except ValueError as error:
            raise CheckpointError(f"vocab.json: {error}") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a vocab.json (size and nesting limited: model_folders.read_json);
        CheckpointError (one line) when it cannot be used."""
        return cls.from_json(read_json(path, MAX_VOCAB_BYTES))


def split_tokens(text: str, level: Literal["char", "word"]) -> list[str]:
    if level == "char":
        return list(text)
    return [w.lower() for w in _WORD.findall(text)]
