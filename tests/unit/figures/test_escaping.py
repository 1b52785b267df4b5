"""Hand-built HTML shown with st.markdown(unsafe_allow_html=True): tokens from users stay text.
The HTML must stay one HTML block (no blank line), else Markdown after it is parsed again."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from app.components.heatmaps import tokens_html
from lstm_viz.figures.unit import coloured_text_html
from lstm_viz.quantities import plotly_safe

TOKENS = [
    "a",
    "\r\r",
    "![x](http://evil.example/p.png)",
    "\n\n",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[log in](http://evil.example/)",
    "\r\n\r\n",
    "**b**",
]


@pytest.mark.parametrize(
    "build",
    [
        lambda: coloured_text_html(TOKENS, [0.1 * k for k in range(len(TOKENS))], "hidden"),
        lambda: tokens_html(TOKENS, [k % 2 == 0 for k in range(len(TOKENS))]),
    ],
    ids=["coloured_text_html", "tokens_html"],
)
def test_token_html_is_one_inert_html_block(build):
    source = build()
    rendered = MarkdownIt("commonmark").render(source)
    assert rendered.rstrip("\n") == source, (
        "the HTML did not stay one block: Markdown parsed inside"
    )
    for tag in ("<img", "<script", "<a ", "<strong"):
        assert tag not in rendered


def test_plotly_safe_leaves_no_tag():
    text = plotly_safe('<a href="http://evil.example">x</a> & <b>')
    assert "<" not in text and ">" not in text
    assert text == '&lt;a href="http://evil.example"&gt;x&lt;/a&gt; &amp; &lt;b&gt;'


def test_invisible_tokens_show_their_code_points():
    from lstm_viz.quantities import display_token, visible_token

    # "I ❤️": the heart's variation selector is a character of its own, invisible alone.
    assert display_token("\ufe0f") == "U+FE0F" and display_token("\u200d") == "U+200D"
    assert display_token("\u0301") == "U+0301"  # a lone combining accent
    assert display_token("é") == "é" and display_token("❤") == "❤"  # visible: as they are
    assert display_token(" ") == "␣" and display_token("") == "∅"
    assert visible_token("supercalifragilistic") == "supercalifragilistic"  # not cut
    assert display_token("supercalifragilistic") == "supercalifr…"
    assert "U+FE0F" in tokens_html(["\ufe0f"], [True])


def test_a_cut_heatmap_says_what_to_do_about_it():
    from app.components.heatmaps import window_hint
    from lstm_viz.figures.heatmap import plan_window

    units_cut = plan_window(23, 128, 1000, 64, 0)  # a sentence, 128 units: no step is averaged
    assert window_hint(units_cut) == "**Units shown** above picks the others."
    assert window_hint(units_cut, picker=False) == ""  # a locked classroom view: no slider
    steps_cut = plan_window(5000, 16, 1000, 64, 0)
    assert window_hint(steps_cut) == "Hover a column for its steps."
