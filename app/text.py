"""Showing user and link text literally: one helper for every Markdown string the app builds.

``st.markdown``, ``st.caption``, ``st.toast``, ``st.error``/``warning``/``info``/``success``,
widget labels, expander labels and ``help=`` tooltips all render Markdown (links, images,
``:red[...]`` colours, ``:material/...:`` icons that load fonts from outside, emoji shortcodes,
``$`` LaTeX). Text that came from a link, a typed box, an uploaded file or a model folder must go
through :func:`escape_markdown` (or :func:`code_span` inside backticks) before it is put in such a
string, so that it shows as typed and makes the browser fetch nothing. Pure functions: no
streamlit here.
"""

from __future__ import annotations

# Marks that start Markdown (or HTML) anywhere in a line: always backslash-escaped. Others
# ("-", "+", "=", "1." at a line's start; "_" at a word's edge; ":" before a non-space; "." after
# "www") are escaped only where they mean something, so ordinary names and messages keep their
# dashes, dots, parentheses and quotes unchanged in the Markdown source.
_ALWAYS = frozenset("\\`*[]<>&#|$~@")
_LINE_START = frozenset("-+=")
# A word joiner (U+2060, invisible, zero width) after an escaped colon: shortcodes (":smile:",
# ":material/home:") are replaced in the rendered text, after escapes are resolved, so a
# backslash alone does not stop them.
_WORD_JOINER = "\u2060"
_LINE_BREAKS = str.maketrans({"\r": " ", "\x0b": " ", "\x0c": " ", "\u2028": " ", "\u2029": " "})


def escape_markdown(text: object, max_chars: int | None = None) -> str:
    """``text`` (str() of anything) as Markdown that renders as exactly that text, with no link,
    image, HTML, emphasis, heading, list, quote, table, code, colour directive, icon, emoji
    shortcode, LaTeX or autolink left: the marks that start those are backslash-escaped (a
    colon also gets an invisible word joiner). Carriage returns and other line separators
    become spaces; line feeds are kept. ``max_chars``: cut longer text and end it with "…"
    (counted before escaping).
    """
    text = str(text)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max(0, max_chars - 1)] + "…"
    text = text.translate(_LINE_BREAKS)
    out = []
    line_start = True  # only spaces so far on this line
    for i, char in enumerate(text):
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if char in _ALWAYS:
            out.append("\\" + char)
        elif char == ":" and after and not after.isspace():
            out.append("\\:" + _WORD_JOINER)
        elif char == "_" and not (before.isalnum() and after.isalnum()):
            out.append("\\_")
        elif line_start and char in _LINE_START:
            out.append("\\" + char)
        elif char in ".)" and _after_line_start_digits(text, i):
            out.append("\\" + char)  # "1." or "1)" would start an ordered list
        elif char == "." and text[max(0, i - 3) : i].lower() == "www":
            out.append("\\.")  # "www.host" would become a link
        else:
            out.append(char)
        if char == "\n":
            line_start = True
        elif not char.isspace():
            line_start = False
    return "".join(out)


def _after_line_start_digits(text: str, i: int) -> bool:
    """True when text[i] follows 1 to 9 digits that follow only spaces since the line began."""
    j = i
    while j > 0 and text[j - 1].isdigit():
        j -= 1
    if j == i or i - j > 9:
        return False
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    return j == 0 or text[j - 1] == "\n"


def code_span(text: object) -> str:
    """``text`` as a Markdown inline code span, backticks included: shown literally in a
    monospace font. The fence is longer than any run of backticks inside; line breaks become
    spaces (a code span is one line)."""
    text = str(text).translate(_LINE_BREAKS).replace("\n", " ")
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"
