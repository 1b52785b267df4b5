"""Shareable links: the query parameters that open a page on a model, an input and a view.

A link looks like ``/?page=explore&model=shipped/english-char-lstm&text=The+cat&layer=0``
(Learn adds ``view=cell&cell=x:1,forget_bias:3``: the playground's sliders).
The entrypoint reads the query parameters once per session into ``state.LINK`` (a plain dict,
see ``parse``); each page takes what concerns it from there. ``query_string`` writes one.
Pure functions: no streamlit here, so tests call them directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

PAGES = ("learn", "explore", "train", "analyze", "upload")
INT_KEYS = ("layer", "direction", "unit", "step")
TEXT_KEYS = ("page", "model", "text", "view", "cell")  # cell: a Learn playground setting
FLAG_KEYS = ("hide", "present")  # hide: classroom mode hides controls; present: larger type
KEYS = (*TEXT_KEYS, *INT_KEYS, *FLAG_KEYS)  # the order a link is written in
MAX_TEXT = 2_000  # characters of text a link carries


def parse(params: Mapping[str, str | list[str]]) -> dict:
    """Query parameters -> {key: value} with ints and flags converted; unknown keys and
    malformed values dropped (a link from outside must never break a page)."""
    link: dict = {}
    for key in KEYS:
        value = params.get(key)
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None:
            continue
        if key in INT_KEYS:
            try:
                number = int(value)
            except ValueError:
                continue
            if number >= 0:
                link[key] = number
        elif key in FLAG_KEYS:
            link[key] = value.lower() in ("1", "true", "yes", "on")
        elif key == "page":
            if value in PAGES:
                link[key] = value
        else:
            link[key] = value[:MAX_TEXT]
    return link


def dropped(params: Mapping[str, str | list[str]]) -> list[tuple[str, str]]:
    """What ``parse`` drops or cuts of ``params``, as (key, the value as given): a page that does
    not exist, a layer/direction/unit/step that is not a whole number 0 or more, a text longer
    than MAX_TEXT (its value: the text). Unknown keys are not listed (other apps' parameters)."""
    found = []
    for key in ("page", *INT_KEYS, "text"):
        value = params.get(key)
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None:
            continue
        if key == "page" and value not in PAGES:
            found.append((key, value))
        elif key == "text" and len(value) > MAX_TEXT:
            found.append((key, value))
        elif key in INT_KEYS:
            try:
                bad = int(value) < 0
            except ValueError:
                bad = True
            if bad:
                found.append((key, value))
    return found


def query_params(**link) -> dict[str, str]:
    """{key: value} -> {key: "value"} in KEYS order, None and False left out, True as "1";
    ValueError for a key that is not a link parameter."""
    unknown = set(link) - set(KEYS)
    if unknown:
        raise ValueError(f"not a link parameter: {', '.join(sorted(unknown))}")
    params = {}
    for key in KEYS:
        value = link.get(key)
        if value is None or value is False:
            continue
        params[key] = "1" if value is True else str(value)
    return params


def query_string(**link) -> str:
    """{key: value} -> "?page=explore&model=...", keys in KEYS order, None and False left out."""
    return "?" + urlencode(list(query_params(**link).items()))
