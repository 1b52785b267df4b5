"""Reading a model folder's JSON safely: one reader, one error type, stated limits.

A model folder (config.json, vocab.json, model.safetensors) may be left broken by a crash, a
hand edit or another tool, or be hostile. Every reader goes through ``read_json`` (size limit
before reading, nesting depth checked on the raw text before parsing, so Python's recursive JSON
parser never sees a deep document) and ``check_config`` (types and value ranges of every field
lstm_viz reads), and raises ``CheckpointError`` with a one-line reason.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

MAX_CONFIG_BYTES = 1_000_000  # config.json: a few KB; user text kept inline is <= 20,000 chars
MAX_VOCAB_BYTES = 16_000_000  # vocab.json: up to MAX_VOCAB_TOKENS tokens
MAX_JSON_DEPTH = 32  # nesting levels of any JSON lstm_viz reads (its own files use 4)
MAX_OWNER_CHARS = 64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class CheckpointError(ValueError):
    """A model folder (or one of its files) that cannot be used; the message is one line."""


def json_depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest, counted without parsing (no recursion)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def read_json(path: str | Path, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON document in ``path``; CheckpointError when it is missing, unreadable, larger than
    ``max_bytes``, nested deeper than ``max_depth``, or not valid UTF-8 JSON."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CheckpointError(f"{path.name} is {size:,} bytes; at most {max_bytes:,} are read")
        with open(path, "rb") as file:
            data = file.read(max_bytes + 1)
    except FileNotFoundError:
        raise CheckpointError(f"{path.name} is missing") from None
    except PermissionError:
        raise CheckpointError(f"{path.name} cannot be read (permission denied)") from None
    except OSError as error:
        raise CheckpointError(f"{path.name} cannot be read ({error.strerror or error})") from None
    if len(data) > max_bytes:  # it grew while being read
        raise CheckpointError(f"{path.name} is larger than {max_bytes:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError(f"{path.name} is not UTF-8 text") from None
    depth = json_depth(text)
    if depth > max_depth:
        raise CheckpointError(
            f"{path.name} nests {depth:,} levels deep; at most {max_depth} are read"
        )
    try:
        return json.loads(text)
    except RecursionError:  # belt and braces: the depth check should have caught it
        raise CheckpointError(f"{path.name} is nested too deeply") from None
    except ValueError as error:
        raise CheckpointError(f"{path.name} is not valid JSON ({one_line(error)})") from None


# ---- config.json --------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (not isinstance(value, float) or math.isfinite(value))
    )


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool)) or _is_number(value)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "null" if value is None else "a number"
    )


def _need(ok: bool, where: str, what: str, value: Any) -> None:
    if not ok:
        raise CheckpointError(f'config.json: "{where}" must be {what}, got {_kind(value)}')


def _check_fields(section: dict, where: str, fields: dict[str, tuple[Any, str]]) -> None:
    for key, (test, what) in fields.items():
        if key in section:
            name = f"{where}.{key}" if where else key
            _need(test(section[key]), name, what, section[key])


def _scalars(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and _is_scalar(v) for k, v in value.items()
    )


def _text_or_null(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _number_or_null(value: Any) -> bool:
    return value is None or _is_number(value)


def check_config(config: Any, format_name: str) -> dict[str, Any]:
    """``config`` (a parsed config.json) when every field lstm_viz reads has the right type;
    CheckpointError naming the first field that does not. The "model" section's values and
    ranges are checked by ModelConfig.from_json."""
    if not isinstance(config, dict):
        raise CheckpointError(f"config.json must hold an object, got {_kind(config)}")
    if config.get("format") != format_name:
        raise CheckpointError(
            f"config.json was not written by lstm_viz (no format {format_name!r})"
        )
    version = config.get("version", 1)
    _need(
        isinstance(version, int) and not isinstance(version, bool),
        "version",
        "a whole number",
        version,
    )
    if "model" not in config:
        raise CheckpointError('config.json has no "model" settings')
    _need(isinstance(config["model"], dict), "model", "an object", config["model"])
    task = config.get("task")
    if task is not None:
        _need(isinstance(task, dict), "task", "an object", task)
        _need(isinstance(task.get("name"), str), "task.name", "text", task.get("name"))
        _check_fields(
            task,
            "task",
            {
                "title": (_text_or_null, "text"),
                "objective": (_text_or_null, "text"),
                "metric": (_text_or_null, "text"),
                "hidden_variable": (_text_or_null, "text or null"),
                "params": (lambda v: v is None or _scalars(v), "an object of plain values"),
            },
        )
    training = config.get("training")
    if training is not None:
        _need(isinstance(training, dict), "training", "an object", training)
        _check_fields(
            training,
            "training",
            {
                "step": (
                    lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                    "a whole number >= 0",
                ),
                "best_metric": (_number_or_null, "a number or null"),
                "seconds": (_is_number, "a number"),
                "config": (lambda v: v is None or _scalars(v), "an object of plain values"),
            },
        )
    metrics = config.get("metrics")
    if metrics is not None:
        _need(
            isinstance(metrics, dict) and all(_number_or_null(v) for v in metrics.values()),
            "metrics",
            "an object of numbers",
            metrics,
        )
    _check_fields(
        config,
        "",
        {
            "created": (_text_or_null, "text"),
            "owner": (
                lambda v: v is None or (isinstance(v, str) and len(v) <= MAX_OWNER_CHARS),
                f"text of at most {MAX_OWNER_CHARS} characters",
            ),
            "recipe": (lambda v: v is None or isinstance(v, dict), "an object"),
        },
    )
    return config


def one_line(error: BaseException) -> str:
    """An error's message on one line, at most 300 characters (for lists and captions)."""
    return " ".join(str(error).split())[:300]
