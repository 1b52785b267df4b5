"""app.text: user and link text shown through Markdown renders as itself, never as markup."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from app.text import code_span, escape_markdown

PAYLOADS = [
    "![x](http://evil.example/p.png)",
    "[log in here](http://evil.example/login)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "**bold** and __bold__ and _it_ and *it* and ~~gone~~",
    ":red[x] :material/home: :smile: $x^2$ $$y$$",
    "# heading\n- item\n+ item\n1. first\n  2) second\n> quote\n---\n===",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "`code` and ``more``",
    "<http://evil.example> www.evil.example a@evil.example",
    "&lt;b&gt; &amp; &#60;",
    "back\\slash \\*not bold\\*",
    "[x]: http://evil.example/ref\n[x][]",
]
ORDINARY = [
    "english-char-lstm",
    "my_model_2",
    'torch.save(model.state_dict(), "model.pt")',
    "the repetition number is too large: pick a smaller one (at most 1,000).",
]
WORD_JOINER = "\u2060"


def _render(markdown: str) -> str:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return md.render(markdown)


def _as_text_html(text: str) -> str:
    """What a paragraph of plain ``text`` renders to (Markdown drops a line's leading spaces)."""
    text = "\n".join(line.lstrip(" ") for line in text.split("\n"))
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<p>{escaped.replace(chr(34), '&quot;')}</p>\n"


@pytest.mark.parametrize("text", PAYLOADS + ORDINARY)
def test_escaped_text_renders_as_one_plain_paragraph(text):
    rendered = _render(escape_markdown(text)).replace(WORD_JOINER, "")
    assert rendered == _as_text_html(text)
    for tag in ("<img", "<a ", "<script", "<em>", "<strong>", "<h1", "<li", "<table", "<code"):
        assert tag not in rendered


@pytest.mark.parametrize("text", PAYLOADS)
def test_no_live_markup_is_left(text):
    escaped = escape_markdown(text)
    for i, char in enumerate(escaped):
        if char in "[]<>*`$|&#@~":
            assert escaped[i - 1] == "\\", (text, escaped, i)
    # shortcodes and directives: every colon before a word is escaped and joined
    assert ":red" not in escaped.replace("\\:" + WORD_JOINER, "")
    assert "http:" not in escaped


def test_ordinary_names_and_messages_keep_their_source():
    for text in ORDINARY:
        assert escape_markdown(text) == text


def test_cut_and_odd_line_breaks():
    assert escape_markdown("abcdef", max_chars=4) == "abc…"
    assert escape_markdown("a\r\rb\u2028c") == "a  b c"
    assert escape_markdown(3) == "3"


@pytest.mark.parametrize("text", ["plain", "a`b", "``x``", "<img src=x>", "![x](http://e/p)"])
def test_code_span_shows_the_text_in_code(text):
    rendered = _render("see " + code_span(text))
    inner = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    inner = inner.replace('"', "&quot;")
    assert f"<code>{inner}</code>" in rendered
    assert "<img" not in rendered and "<a " not in rendered
