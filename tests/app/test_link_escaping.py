"""AppTest: Markdown and HTML in any link parameter show as text, never as links, images or
markup, on every page (the link's model missing, or present with the payload as its text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from app import links
from tests.app.test_explore_page import save_model

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
PAYLOAD = (
    "![x](http://evil.example/p.png) [log in here](http://evil.example/login) "
    "<img src=x onerror=alert(1)> <script>alert(1)</script> **bold** :red[x] $x^2$"
)
# Marked-up pieces that must not reach a Markdown string unescaped (a backslash before the
# first character escapes it).
LIVE = ("![", "](http", "<img", "<script", "**bold**", ":red[", "[log in", "$x^")
MARKDOWN_FIELDS = {"body", "label", "help", "options", "formattedOptions", "caption", "text"}


def _strings(value, key=""):
    """(field name, string) for every string in a proto dict, recursively."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def _nodes(node):
    yield node
    children = getattr(node, "children", None) or {}
    for child in children.values():
        yield from _nodes(child)


def live_markup(at: AppTest) -> list[str]:
    """Every rendered Markdown string (bodies, labels, help, options, toasts) or plotly spec
    that holds a live piece of the payload."""
    found = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        data = MessageToDict(proto)
        if getattr(node, "type", "") == "plotly_chart":
            spec = json.loads(proto.spec)
            text = json.dumps(spec)
            found += [f"plotly: {m}" for m in ("<a ", "<img", "<script") if m in text]
            continue
        html_allowed = bool(data.get("allowHtml"))
        for key, text in _strings(data):
            if key not in MARKDOWN_FIELDS:
                continue
            if html_allowed:  # hand-built HTML: nothing but escaped text, one HTML block
                bad = [m for m in ("<img", "<script", "<a ") if m in text]
                bad += ["blank line"] if "\n\n" in text.strip() else []
            else:
                bad = [
                    m for m in LIVE for i in _occurrences(text, m) if i == 0 or text[i - 1] != "\\"
                ]
            found += [f"{getattr(node, 'type', '?')}.{key}: {m} in {text[:120]!r}" for m in bad]
    return found


def _occurrences(text: str, marker: str):
    start = text.find(marker)
    while start >= 0:
        yield start
        start = text.find(marker, start + 1)


def _open(params: dict) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
    at.query_params.update(params)
    at.run()
    return at


def _every_parameter(page: str, **override) -> dict:
    params = {key: PAYLOAD for key in links.KEYS}
    params.update(page=page, **override)
    return params


def test_every_link_parameter_is_covered():
    assert set(links.KEYS) == {
        *links.TEXT_KEYS,
        *links.INT_KEYS,
        *links.FLAG_KEYS,
    }, "a new link parameter: add it to the payload test"


@pytest.mark.parametrize("page", links.PAGES)
def test_payload_in_every_parameter_renders_as_text(page):
    save_model("tiny")
    at = _open(_every_parameter(page))
    assert not at.exception, at.exception
    assert live_markup(at) == []
    # The missing model is named once, escaped (and so shown as typed): in Explore's own warning
    # on Explore, in a toast on the other pages.
    notices = [t.value for t in (at.warning if page == "explore" else at.toast)]
    said = "is for the model" if page == "explore" else "asks for the model"
    assert any(said in t and "\\!" not in t and "!\\[x\\]" in t for t in notices)


@pytest.mark.parametrize("page", links.PAGES)
def test_payload_as_the_input_of_a_real_model_renders_as_text(page):
    save_model("tiny")
    at = _open(_every_parameter(page, model="trained/tiny", layer="0", unit="1", step="2"))
    assert not at.exception, at.exception
    assert live_markup(at) == []


def test_the_check_catches_unescaped_markup():
    """The checker itself: a page showing the payload raw is caught."""
    save_model("tiny")
    at = _open(_every_parameter("explore", model="trained/tiny"))
    from app.text import escape_markdown

    assert escape_markdown(PAYLOAD) != PAYLOAD
    node = at.markdown[0] if at.markdown else at.caption[0]
    node.proto.body = PAYLOAD
    assert live_markup(at), "the checker missed a raw payload"
