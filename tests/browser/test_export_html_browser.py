"""The exported page (python -m lstm_viz export-html) in Chromium with the network blocked:
a heatmap draws, and the unit picker changes the unit view. Screenshot: docs/images/export-html.png.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = 'The cat sat on the mat. <b>"Bold"</b> & more.'


def test_exported_page_works_offline(browser, tmp_path):
    out = tmp_path / "page.html"
    result = subprocess.run(
        [sys.executable, "-m", "lstm_viz", "export-html", "--model",
         str(ROOT / "pretrained" / "english-char-lstm"), "--input", TEXT, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size < 10_000_000
    context = browser.new_context(viewport={"width": 1300, "height": 1500})
    attempted: list[str] = []
    errors: list[str] = []

    def block(route):  # every request that is not the file itself is refused
        if not route.request.url.startswith(("file://", "data:")):
            attempted.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", block)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda r: None if r.url.startswith(("file:", "data:")) else attempted.append(r.url),
    )
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-ready='true']", timeout=30_000)
    # a heatmap draws (plotly renders heatmaps as an image in .heatmaplayer)
    page.wait_for_selector("#lv-heatmaps .heatmaplayer image", timeout=30_000)
    assert page.locator("#lv-heatmaps .lv-heatmap").count() == 2 * 6
    page.wait_for_function(
        "document.querySelectorAll('#lv-heatmaps .heatmaplayer image').length === 12"
    )  # every gate and state of both layers drawn
    # the note shows the input as text, escaped (no <b> element made from it)
    assert page.locator(".lv-input").inner_text() == TEXT
    assert page.locator(".lv-note b").count() == 1  # only the model name's own <b>

    def unit_view():
        return page.evaluate(
            "() => [document.getElementById('lv-unit-title').textContent,"
            " document.getElementById('lv-unit-states').data.map(t => t.y.slice(0, 5)),"
            " [...document.querySelectorAll('#lv-unit-text span')].map(s => s.style.background)]"
        )

    title0, states0, colours0 = unit_view()
    assert title0 == "Unit view: unit 0, layer 0"
    assert len(states0) == 3  # candidate, cell, hidden
    page.select_option("#lv-layer", "1")
    page.select_option("#lv-unit", "17")
    title1, states1, colours1 = unit_view()
    assert title1 == "Unit view: unit 17, layer 1"
    assert states1 != states0 and colours1 != colours0
    assert "".join(page.locator("#lv-unit-text span").all_inner_texts()) == TEXT
    # Issue 16: the cell is coloured on the model's stored scale, and the words say so: the
    # text's legend, the layer's note and the cell heatmap's colour bar name one range.
    page.select_option("#lv-colour-by", "cell")
    legend = page.locator("#lv-unit-legend").inner_text()
    bar = page.evaluate(
        "() => document.querySelector('.lv-heatmap[data-key=\"cell|1|0\"]')"
        ".layout.coloraxis === undefined && document.querySelector("
        "'.lv-heatmap[data-key=\"cell|1|0\"]').data[0].colorbar.title.text"
    )
    assert legend.endswith("(model)") and legend.split("±")[1].split(" ")[0] in bar
    assert "(model)" in bar
    notes = page.locator(".lv-scale-note").all_inner_texts()
    assert len(notes) == 2 and all("fixed for this model" in n for n in notes)
    assert legend.split("±")[1].split(" ")[0] in notes[1]
    page.wait_for_timeout(300)
    page.screenshot(path=str(ROOT / "docs" / "images" / "export-html.png"), full_page=False)
    context.close()
    assert attempted == []
    assert errors == []
