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

import string

# Every ASCII punctuation mark may be backslash-escaped in CommonMark; escaping all of them
# leaves no emphasis, link, image, heading, list, table, directive, math or autolink syntax.
_PUNCTUATION = frozenset(string.punctuation)
# A word joiner (U+2060, invisible, zero width) after each colon: shortcodes (":smile:",
# ":material/home:") are replaced in the rendered text, after escapes are resolved, so a
# backslash alone does not stop them.
_WORD_JOINER = "\u2060"
_LINE_BREAKS = str.maketrans({"\r": " ", "\x0b": " ", "\x0c": " ", "\u2028": " ", "\u2029": " "})


def escape_markdown(text: object, max_chars: int | None = None) -> str:
    """``text`` (str() of anything) as Markdown that renders as exactly that text: every ASCII
    punctuation mark backslash-escaped (so ``<img>``, ``![x](http://...)``, ``**b**``, ``:red[x]``,
    ``$x$``, ``# h`` and ``| a |`` show literally), a word joiner after each colon (shortcodes),
    and carriage returns and other line separators turned into spaces (line feeds are kept).
    ``max_chars``: cut longer text and end it with "…" (counted before escaping).
    """
    text = str(text)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max(0, max_chars - 1)] + "…"
    out = []
    for char in text.translate(_LINE_BREAKS):
        if char in _PUNCTUATION:
            out.append("\\" + char)
            if char == ":":
                out.append(_WORD_JOINER)
        else:
            out.append(char)
    return "".join(out)


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
