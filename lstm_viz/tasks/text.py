"""Character-level language modelling on a long text: English prose, Python code, or the user's own.

The built-in corpora come from the Python installation itself, so nothing is downloaded:
  english  the documentation topics that pydoc ships (``pydoc_data.topics``), cleaned of
           reStructuredText underlines and table borders
  python   the public modules of the standard library, whole files in sorted order, up to a cap
Both depend on the Python version that runs them.

The text is one stream: train = the first 90%, validation = the last 10%. A batch holds B rows
that read B stretches of the stream side by side; row b of batch k+1 continues row b of batch k,
so a trainer may carry the recurrent state across batches (truncated backpropagation through time).
"""

from __future__ import annotations

import ast
import functools
import re
import sysconfig
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import torch

from lstm_viz.models.vocab import Vocab

from ._common import INLINE_CHARS, class_targets, lengths_of, pad_ids, read_text
from .base import Batch, Task
from .dialogue import add_dialogue, pack

MIN_TEXT_CHARS = 500  # user text shorter than this leaves too little to learn and to validate on
MAX_TEXT_CHARS = 2_000_000  # user text longer than this would take too long to train on a CPU
PYTHON_CORPUS_CHARS = 1_500_000  # the default cap on the Python corpus
VALIDATION_FRACTION = 0.1  # the last 10% of the stream
MAX_VOCAB = 100  # characters beyond the 98 most frequent in training become <unk>
WRAP_WIDTH = 70  # the width pydoc's topics were written at (Sphinx's text builder)

Split = Literal["train", "validation"]
_DECORATION = re.compile(r"[*=\-~^+|]{3,}")  # a line of only these: rst underline or table border
_BULLET = re.compile(r"[*+-] ")  # a bulleted list's line: kept as written by ``rewrap``
_PROSE_START = re.compile(r"[A-Za-z\"(]")
_QUOTED = re.compile(r"``([^`\n]+)``|(?<![A-Za-z0-9])'([^'\n]{1,60})'(?![A-Za-z0-9])")
_ODD_SPACE = re.compile(r"[\t\x0b\x0c\xa0\u2000-\u200b\u2028\u2029\u202f\u205f\u3000]")


class TextTask(Task):
    """Next-character prediction on one stream of text (see the module docstring)."""

    def __init__(
        self,
        text: str,
        *,
        name: str,
        title: str,
        description: str,
        sample_text: str,
        seq_len: int,
        max_vocab: int,
        seed: int,
        params: dict,
        cut: int | None = None,
    ) -> None:
        if cut is None:  # where validation starts: by default the last VALIDATION_FRACTION
            cut = int(len(text) * (1 - VALIDATION_FRACTION))
        vocab = Vocab.build([text[:cut]], "char", max_size=max_vocab)
        super().__init__(
            name=name,
            title=title,
            description=description,
            objective="next_token",
            num_outputs=len(vocab),
            vocab=vocab,
            metric="bits_per_token",
            seed=seed,
            params={**params, "seq_len": seq_len, "max_vocab": max_vocab, "seed": seed},
            continues=True,
        )
        self.seq_len = seq_len
        self._sample = sample_text
        ids = torch.tensor(vocab.encode(text), dtype=torch.int64)  # [N]
        self._ids = {"train": ids[:cut], "validation": ids[cut:]}

    def stream(self, split: Split) -> torch.Tensor:
        """[N] int64: the split's token ids in reading order."""
        return self._ids[split]

    def rows(self, split: Split, batch_size: int, offset: int = 0) -> torch.Tensor:
        """[R, L + 1] int64: the stream from ``offset`` cut into R equal rows read side by side.

        R = batch_size, or fewer when the stream is short, so that each row spans at least
        ``seq_len`` steps. Row r's last id is row r+1's first: each is a target, then an input.
        """
        ids = self._ids[split][offset:]
        rows = max(1, min(batch_size, (len(ids) - 1) // self.seq_len))
        steps = (len(ids) - 1) // rows  # L
        return torch.stack([ids[r * steps : r * steps + steps + 1] for r in range(rows)])

    def sequences(self, split: Split) -> Sequence[torch.Tensor]:
        """The stream in consecutive chunks of ``seq_len + 1`` ids (one row of ``rows``)."""
        row = self.rows(split, 1)[0]
        return [row[s : s + self.seq_len + 1] for s in range(0, len(row) - 1, self.seq_len)]

    def collate(self, examples: Sequence[torch.Tensor]) -> Batch:
        """Chunks of ids -> inputs ids[t], targets ids[t + 1]; [B, T], IGNORE on padding."""
        return Batch(
            inputs=pad_ids([e[:-1] for e in examples]),  # [B, T]
            targets=class_targets([e[1:] for e in examples]),  # [B, T]
            lengths=lengths_of([e[:-1] for e in examples]),  # [B]
        )

    def batches(
        self,
        split: Split,
        batch_size: int,
        shuffle: bool | None = None,
        generator: torch.Generator | None = None,
    ) -> Iterator[Batch]:
        """Batches of ``rows`` side by side, ``seq_len`` steps at a time (the last may be shorter).

        Row b of batch k+1 continues row b of batch k. Shuffling (the default for training) never
        reorders the stream: it starts it at a random offset below ``seq_len``, so the cuts between
        batches fall elsewhere each epoch.
        """
        offset = 0
        if shuffle if shuffle is not None else split == "train":
            offset = int(torch.randint(self.seq_len, (1,), generator=generator))
        rows = self.rows(split, batch_size, offset)  # [R, L + 1]
        for start in range(0, rows.shape[1] - 1, self.seq_len):
            chunk = rows[:, start : start + self.seq_len + 1]  # [R, S + 1]
            steps = chunk.shape[1] - 1
            yield Batch(chunk[:, :-1], chunk[:, 1:], torch.full((len(chunk),), steps))

    def sample(self) -> str:
        return self._sample


def english_task(
    seq_len: int = 100,
    max_vocab: int = MAX_VOCAB,
    seed: int = 0,
    wrap: int = 0,
    dialogue: float = 0.0,
    readings: int = 1,
) -> TextTask:
    """English prose from the documentation Python ships (about 450,000 characters).

    wrap: 0 keeps the text as pydoc ships it; a width (e.g. WRAP_WIDTH) re-fills its prose
    paragraphs at that width and writes curly quotes straight (``rewrap``).
    dialogue: the share (0 to 1) of prose paragraphs turned into quoted speech before they are
    re-filled (``lstm_viz.tasks.dialogue``); needs a wrap. ValueError otherwise.
    readings: how many times the training text is read in one epoch, its quotations made anew
    each time (dialogue seeds 0, 1, ...): a sentence quoted in one reading is plain in another, so
    a closing quote cannot be foretold from the words alone. Validation is then the last 10% of
    the topics' text, cut at a paragraph before quoting (never in any reading), quoted with seed
    0; needs a dialogue share."""
    if dialogue and not wrap:
        raise ValueError(
            "quoted speech (dialogue) needs a line width (wrap > 0): the quotations are made "
            "while the prose is re-filled"
        )
    if readings != 1 and not dialogue:
        raise ValueError("several readings need quoted speech (dialogue > 0) to differ")
    params = {"wrap": wrap} if wrap else {}
    if dialogue:
        params["dialogue"] = dialogue
    corpus, cut = english_corpus(), None
    if readings == 1:
        text = rewrap(corpus, wrap, dialogue) if wrap else corpus
    else:
        params["readings"] = readings
        start = corpus.rfind("\n\n", 0, int(len(corpus) * (1 - VALIDATION_FRACTION)))
        read = "\n\n".join(rewrap(corpus[:start], wrap, dialogue, k) for k in range(readings))
        cut, text = len(read) + 2, read + "\n\n" + rewrap(corpus[start + 2 :], wrap, dialogue)
    return TextTask(
        text,
        name="text-english",
        title="English prose (Python's documentation)",
        description="Predict the next character of English prose. Karpathy et al. (2015) found "
        "units that track quotes and line lengths in such models.",
        sample_text="The cat sat on the mat.",
        seq_len=seq_len,
        max_vocab=max_vocab,
        seed=seed,
        params=params,
        cut=cut,
    )


def python_task(
    seq_len: int = 100,
    max_chars: int = PYTHON_CORPUS_CHARS,
    max_vocab: int = MAX_VOCAB,
    seed: int = 0,
) -> TextTask:
    """Python source code from the standard library, up to ``max_chars`` characters."""
    return TextTask(
        python_corpus(max_chars),
        name="text-python",
        title="Python source code (the standard library)",
        description="Predict the next character of Python code. Look for units that track "
        "indentation, open brackets and whether the reader is inside a string.",
        sample_text="def add(a, b):\n    return (a + b) * 2\n",
        seq_len=seq_len,
        max_vocab=max_vocab,
        seed=seed,
        params={"max_chars": max_chars},
    )


def user_text_task(
    text: str | bytes, seq_len: int = 100, max_vocab: int = MAX_VOCAB, seed: int = 0
) -> TextTask:
    """The caller's own text (pasted, or an uploaded .txt as bytes).

    ValueError for empty, binary (NUL bytes, control characters, not UTF-8), too short
    (< MIN_TEXT_CHARS) or too long (> MAX_TEXT_CHARS) text. The text is kept in ``params`` only
    when it is small (a task rebuilt from a large text needs the text again).
    """
    text = read_text(text, "text", MAX_TEXT_CHARS)
    if len(text) < MIN_TEXT_CHARS:
        raise ValueError(
            f"the text is too short: {len(text):,} characters, at least {MIN_TEXT_CHARS:,} needed"
        )
    first_line = next(line for line in text.split("\n") if line.strip())
    return TextTask(
        text,
        name="text-user",
        title="Your text",
        description=f"Predict the next character of your text ({len(text):,} characters).",
        sample_text=first_line[:200],
        seq_len=seq_len,
        max_vocab=max_vocab,
        seed=seed,
        params={"text": text} if len(text) <= INLINE_CHARS else {},
    )


@functools.lru_cache(maxsize=1)
def english_corpus() -> str:
    """The pydoc topics (sorted by name), cleaned; ValueError if this Python lacks them."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        raise ValueError(
            "this Python installation lacks pydoc_data (its documentation topics), "
            "so the English corpus is not available; use your own text instead"
        ) from None
    return "\n\n".join(_clean(topics[name]) for name in sorted(topics))


@functools.lru_cache(maxsize=4)
def python_corpus(max_chars: int = PYTHON_CORPUS_CHARS) -> str:
    """Whole public standard-library modules in sorted order, until the next would pass the cap.

    A module too large for the cap on its own is skipped; files that are not UTF-8 are skipped.
    """
    folder = Path(sysconfig.get_paths()["stdlib"])
    parts: list[str] = []
    size = 0
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_") or path.name == "this.py":  # private modules; ROT13 prose
            continue
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        source = source.replace("\r\n", "\n").replace("\t", "    ").replace("\x0c", "")
        if size + len(source) + 2 > max_chars:
            if parts:
                break
            continue
        parts.append(source.strip("\n"))
        size += len(parts[-1]) + 2
    if not parts:
        raise ValueError(
            f"no Python standard-library sources of at most {max_chars:,} characters "
            f"in {folder}; use your own text instead"
        )
    return "\n\n".join(parts)


def rewrap(text: str, width: int = WRAP_WIDTH, dialogue: float = 0.0, seed: int = 0) -> str:
    """Every prose paragraph (a block between blank lines whose lines all start flush left and
    that is no bulleted list) re-filled at ``width`` columns, so a line ends where the next word
    would pass ``width``; code and other indented blocks are kept as they are. Curly double
    quotes become straight ones, so that every quotation opens and closes with the same mark.
    ``dialogue``: the share of prose paragraphs first turned into quoted speech
    (``lstm_viz.tasks.dialogue.add_dialogue`` with ``seed``)."""
    blocks = text.replace("\u201c", '"').replace("\u201d", '"').split("\n\n")
    prose = [
        i
        for i, block in enumerate(blocks)
        if all(
            line and not line[0].isspace() and not _BULLET.match(line) for line in block.split("\n")
        )
    ]
    filled = add_dialogue([" ".join(blocks[i].split()) for i in prose], dialogue, seed)
    for i, paragraph in zip(prose, filled, strict=True):
        blocks[i] = _fill(paragraph, width)
    return "\n\n".join(blocks)


@functools.lru_cache(maxsize=2)
def docstring_prose(width: int = WRAP_WIDTH) -> str:
    """New English prose, held out from ``text-english``: the prose paragraphs of the docstrings
    of the public standard-library modules (``docstring_paragraphs``) re-filled at ``width``
    columns like ``rewrap``. ValueError when no docstring of this Python's standard library is
    prose."""
    return "\n\n".join(_fill(p, width) for p in docstring_paragraphs())


def docstring_dialogue(width: int = WRAP_WIDTH, limit: int = 1_000) -> list[str]:
    """The paragraphs of ``docstring_paragraphs`` with every one that can be made quoted speech
    made so (``lstm_viz.tasks.dialogue.add_dialogue``, share 1, seed 1), each re-filled at
    ``width`` columns, packed into texts of whole paragraphs of at most ``limit`` characters
    (``dialogue.pack``): new prose with quotations, for probing a model of
    ``english_task(wrap=70, dialogue=...)``. ValueError as ``docstring_paragraphs``."""
    quoted = add_dialogue(list(docstring_paragraphs()), 1.0, seed=1)
    return pack([_fill(p, width) for p in quoted], limit)


@functools.lru_cache(maxsize=1)
def docstring_paragraphs() -> tuple[str, ...]:
    """The prose paragraphs of the docstrings of the public standard-library modules (sorted by
    file name; their modules, classes and functions in source order), each on one line, with the
    literals they quote (``x`` or 'x') written in double quotes as pydoc's topics write them.

    A prose paragraph has no indented line, starts with a letter, a quote or a bracket, holds no
    ">>>", is at least 60 characters long and is at least 80% letters and spaces; a paragraph that
    pydoc's topics also hold (pdb's commands) is left out, so none was trained on.
    ValueError when no docstring of this Python's standard library is prose."""
    folder = Path(sysconfig.get_paths()["stdlib"])
    paragraphs: list[str] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_") or path.name == "this.py":
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                paragraphs += _prose_paragraphs(ast.get_docstring(node) or "")
    try:
        seen = " ".join(english_corpus().split())
    except ValueError:  # no pydoc topics: nothing to leave out
        seen = ""
    quoted = [_QUOTED.sub(lambda m: f'"{m.group(1) or m.group(2)}"', p) for p in paragraphs]
    pairs = zip(paragraphs, quoted, strict=True)
    quoted = [q for p, q in pairs if p[:60] not in seen and q[:60] not in seen]
    if not quoted:
        raise ValueError(f"no docstring prose in the standard library at {folder}")
    return tuple(quoted)


def _fill(paragraph: str, width: int) -> str:
    return textwrap.fill(paragraph, width, break_on_hyphens=False)


def _prose_paragraphs(doc: str) -> list[str]:
    found = []
    for block in re.split(r"\n\s*\n", _ODD_SPACE.sub(" ", doc)):
        lines = block.split("\n")
        if any(line[:1].isspace() for line in lines):  # code, indented lists
            continue
        text = " ".join(block.split())
        if len(text) < 60 or not _PROSE_START.match(text) or ">>>" in text:
            continue
        if sum(c.isalpha() or c == " " for c in text) >= 0.8 * len(text):
            found.append(text)
    return found


def _clean(text: str) -> str:
    """Odd whitespace -> spaces, no trailing spaces, no rst decoration lines, <= 1 blank line."""
    text = _ODD_SPACE.sub(" ", text.replace("\r\n", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(line for line in lines if not _DECORATION.fullmatch(line.strip()))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
