"""How long from pressing Enter in Explore to every heatmap drawn? In a real browser.

    python benchmarks/explore_speed.py [--repeats N]

Starts the app (tests/browser/conftest.py's start_server) on a temporary models folder holding
three models it builds and saves: a character LSTM (2 layers x 128 units), a wide one
(2 layers x 256 units) and a very wide one (1 layer x 1,024 units). Drives Debian's Chromium
with Playwright:

- default sentence: type "The cat sat on the mat." after another input, press Enter, stop the
  clock when all six heatmaps hold the new input and have drawn their image (seen by the page
  itself: an observer of its changes, confirmed at the next frame; nothing polls the page while
  it waits on the server);
- 1,000 tokens x 256 units: the same with a fresh 1,000-character text each time (so the
  recording is never a cache hit); the page shows 64 units at a time and averages steps into
  at most 300 columns;
- 5,000 tokens x 1,024 units: the same with 5,000-character texts (Explore's longest input).

The server is warm: one untimed round first. Each Enter is pressed on an idle page (the script
not running, the browser idle), as a reader types. Prints the median of N rounds for each case; the
last line is the headline: `explore enter-to-drawn seconds (default sentence): X.XX`.
Timings depend on the machine's load: say how loaded it was when you report them.

Where the time goes (one `breakdown` line per case, medians):
- in the browser, from the page's own clock: Enter -> the script starts running (the key press
  reaching the server), running -> finished (the server's run: recording, figures, serialising,
  and sending each chart as it is made; and the browser drawing each chart as it arrives, since
  the page marks the run finished only when its main thread gets to that message), finished ->
  every heatmap drawn (the last messages, and plotly drawing what it received);
- in this process, the same server work for one fresh input, step by step: recording, building
  the six figures, and what st.plotly_chart does with each (to_dict, to_json, the element id's
  hash), with the bytes sent.
Measured in session 12 (Chrome DevTools profile of one 1,000 x 256 round, 0.66 s): the server's
steps take 0.07 s; the renderer's main thread is busy about 0.65 s, plotly's six heatmaps most
of it (about 0.36 s of JavaScript, 60 ms a chart, of which 0.11 s under plotly's doAutoMargin,
which drew every chart again once its margins moved: lstm_viz.figures.heatmap.MARGIN now starts
them where they settle); then style and layout work. In the 5,000 x 1,024 case the recording
(1.0-1.6 s on both cores in the server, 0.86-1.06 s alone) comes first, then the same drawing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from lstm_viz.figures.heatmap import plan_window  # noqa: E402
from lstm_viz.models.checkpoints import save_checkpoint  # noqa: E402
from lstm_viz.models.sequence import ModelConfig, SequenceModel  # noqa: E402
from lstm_viz.models.vocab import Vocab  # noqa: E402
from lstm_viz.quantities import display_token  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, start_server  # noqa: E402

DEFAULT_SENTENCE = "The cat sat on the mat."
HUGE_ROUNDS = 5  # the long-input case (5,000 steps x 1,024 units, one layer): fewer rounds
OTHER_SENTENCE = "A dog lay on the log."
CORPUS = "The quick brown fox jumps over the lazy dog. A cat sat on the mat, and then it slept."
# Arms, before Enter, a promise that resolves (with the page's clock) once every heatmap holds
# the new input and has its image: checked after each change to the page (a MutationObserver),
# then once more at the next animation frame, when the task that drew the last chart is over.
# Nothing runs while the page waits on the server. Polling the page every frame (Playwright's
# polling="raf", as this script did before) ran a query 60 times a second on the machine whose
# two cores the recording was using: 5,000 x 1,024 rounds read 1.72 s against 1.60 s this way
# (medians of 8 interleaved rounds, one server); 1,000 x 256, 0.52 against 0.53 s.
ARM_DRAWN = """([expected, count]) => {
    const drawn = () => {
        const charts = '[data-testid="stPlotlyChart"] .js-plotly-plot';
        const divs = [...document.querySelectorAll(charts)];
        return divs.length >= count && divs.every(d => d.data && d.data[0]
            && String(d.data[0].x[0]) === expected && d.querySelector('.heatmaplayer image'));
    };
    window.__lvDrawn = new Promise((resolve, reject) => {
        let framed = false;
        const finish = () => {
            observer.disconnect();
            clearTimeout(timeout);
            if (window.__lv) window.__lv.drawn = performance.now();
            resolve(true);
        };
        const changed = () => {
            if (framed || !drawn()) return;
            framed = true;  // confirm at the next frame: the last chart's task is then done
            requestAnimationFrame(() => { framed = false; if (drawn()) finish(); });
        };
        const observer = new MutationObserver(changed);
        observer.observe(document.body, {childList: true, subtree: true, attributes: true});
        const timeout = setTimeout(() => { observer.disconnect(); reject('not drawn'); }, 120000);
    });
    return true;
}"""
# Watches the app's script state from just before Enter: when the run starts and finishes.
WATCH = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const lv = {start: performance.now(), running: null, done: null, drawn: null};
    window.__lv = lv;
    if (window.__lvObserver) window.__lvObserver.disconnect();
    window.__lvObserver = new MutationObserver(() => {
        const state = app.getAttribute('data-test-script-state'), now = performance.now();
        if (state === 'running' && lv.running === null) lv.running = now;
        if (state === 'notRunning' && lv.running !== null && lv.done === null) lv.done = now;
    });
    window.__lvObserver.observe(
        app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
PHASES = ("to server", "server run", "after run, to drawn")
# Resolves once the app's script is not running and the browser has had an idle moment (nothing
# left of the previous round to lay out or draw).
IDLE = """() => new Promise(resolve => {
    const app = document.querySelector('[data-testid="stApp"]');
    const check = () => app.getAttribute('data-test-script-state') === 'notRunning'
        ? requestIdleCallback(() => resolve(), {timeout: 2000}) : setTimeout(check, 20);
    check();
})"""


def save_model(root: Path, name: str, hidden: int, layers: int = 2) -> None:
    torch.manual_seed(0)
    vocab = Vocab.build([CORPUS])
    config = ModelConfig(
        vocab_size=len(vocab),
        embedding_size=32,
        hidden_size=hidden,
        num_layers=layers,
        num_outputs=len(vocab),
    )
    task = {"name": "text-english", "title": "English prose", "params": {}}
    save_checkpoint(root / name, SequenceModel(config), vocab, {"task": task})


def first_column(text: str, units: int) -> str:
    """The x label of a heatmap's first column for ``text`` (what plots.heatmap writes)."""
    tokens = list(text)
    window = plan_window(len(tokens), units).window
    if window == 1:
        return f"{display_token(tokens[0])!r} · step 0"
    shown = "".join(display_token(t) for t in tokens[:window])
    shown = shown if len(shown) <= 24 else shown[:23] + "…"
    return f"{shown!r} · steps 0-{window - 1} (mean)"


def enter_to_drawn(page, text: str, units: int, phases: list | None = None) -> float:
    """Seconds from Enter to every heatmap drawn; appends (to server, server run, after run)
    seconds to ``phases`` when the page saw the run start and finish."""
    box = page.get_by_role("textbox", name="Text the model reads", exact=False)
    page.evaluate(IDLE)  # from an idle page, as a reader types: the last round's tail is done
    box.fill(text)
    page.evaluate(WATCH)
    page.evaluate(ARM_DRAWN, [first_column(text, units), 6])
    started = time.perf_counter()
    box.press("Enter")
    page.evaluate("() => window.__lvDrawn")  # resolves when drawn (rejects after 120 s)
    seconds = time.perf_counter() - started
    lv = page.evaluate("() => window.__lv")
    if phases is not None and None not in (lv["running"], lv["done"], lv["drawn"]):
        marks = [lv["start"], lv["running"], lv["done"], lv["drawn"]]
        phases.append(tuple((b - a) / 1e3 for a, b in zip(marks, marks[1:], strict=False)))
    return seconds


def server_work(model_dir: Path, text: str, rounds: int = 3) -> dict[str, float]:
    """Median seconds of the server's steps for one fresh input (no cache): recording, building
    the six heatmaps, and what st.plotly_chart does with each; and the spec's size in MB."""
    import hashlib

    import plotly.io
    import plotly.tools

    from app.heatmap_figures import build_heatmap_figure
    from app.resources import model_inputs, serve_torch_threads
    from lstm_viz import record
    from lstm_viz.figures.heatmap import DEFAULT_MAX_STEPS, DEFAULT_MAX_UNITS
    from lstm_viz.models.checkpoints import load_checkpoint
    from lstm_viz.quantities import display_order

    serve_torch_threads()  # as the server computes: one torch thread
    checkpoint = load_checkpoint(model_dir)
    times: dict[str, list[float]] = {"record": [], "figures": [], "serialise": [], "MB": []}
    for round_ in range(rounds + 1):
        inputs, tokens, _ = model_inputs(checkpoint, text)
        start = time.perf_counter()
        _, trace = record(checkpoint.model, inputs, tokens=[tokens])
        built = time.perf_counter()
        figures = [
            build_heatmap_figure(
                trace, n, 0, 0, DEFAULT_MAX_STEPS, DEFAULT_MAX_UNITS, 0, None, 0, 0.0
            )
            for n in display_order(trace.names)
        ]
        drawn = time.perf_counter()
        size = 0
        for figure in figures:  # as st.plotly_chart does
            spec = plotly.io.to_json(
                plotly.tools.return_figure_from_figure_or_data(figure, True), validate=False
            )
            hashlib.md5(spec.encode()).hexdigest()
            size += len(spec)
        done = time.perf_counter()
        if round_:  # the first round warms up
            times["record"].append(built - start)
            times["figures"].append(drawn - built)
            times["serialise"].append(done - drawn)
            times["MB"].append(size / 1e6)
    return {k: statistics.median(v) for k, v in times.items()}


def breakdown_line(name: str, phases: list, server: dict[str, float]) -> str:
    browser = (
        ", ".join(
            f"{what} {statistics.median(p[k] for p in phases):.2f} s"
            for k, what in enumerate(PHASES)
        )
        if phases
        else "no phases seen"
    )
    return (
        f"breakdown ({name}): browser: {browser}; server steps: record {server['record']:.3f} s, "
        f"6 figures {server['figures']:.3f} s, serialise {server['serialise']:.3f} s "
        f"({server['MB']:.2f} MB)"
    )


def open_model(page, url: str, model: str, units: int) -> None:
    page.goto(f"{url}/?model={model}", timeout=120_000)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000
    )
    page.wait_for_function(
        """() => document.querySelectorAll('[data-testid="stPlotlyChart"] .heatmaplayer image')
              .length >= 6""",
        timeout=120_000,
    )


def long_text(seed: int, length: int = 1_000) -> str:
    rng = random.Random(seed)
    words = CORPUS.lower().replace(".", "").replace(",", "").split()
    text = ""
    while len(text) < length:
        text += rng.choice(words) + " "
    return f"{seed:04d}" + text[: length - 4]  # a distinct start: the first column changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per case (>= 5)")
    parser.add_argument(
        "--huge-rounds", type=int, default=HUGE_ROUNDS, help="timed rounds, 5,000 x 1,024 case"
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        models = Path(folder) / "models"
        models.mkdir()
        save_model(models, "bench-char-128", 128)
        save_model(models, "bench-wide-256", 256)
        save_model(models, "bench-huge-1024", 1024, layers=1)
        with (
            start_server(models, Path(folder) / "server.log") as url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=VIEWPORT).new_page()

            open_model(page, url, "trained/bench-char-128", 128)
            short, short_phases = [], []
            for round_ in range(args.repeats + 1):  # round 0 warms up
                enter_to_drawn(page, OTHER_SENTENCE, 128)
                seconds = enter_to_drawn(page, DEFAULT_SENTENCE, 128, short_phases)
                if round_:
                    short.append(seconds)

            open_model(page, url, "trained/bench-wide-256", 256)
            long, long_phases = [], []
            for round_ in range(args.repeats + 1):
                seconds = enter_to_drawn(page, long_text(round_), 256, long_phases)
                if round_:
                    long.append(seconds)

            open_model(page, url, "trained/bench-huge-1024", 1024)
            huge, huge_phases = [], []
            for round_ in range(args.huge_rounds + 1):
                seconds = enter_to_drawn(page, long_text(round_, 5_000), 1024, huge_phases)
                if round_:
                    huge.append(seconds)
            browser.close()
        # The same server work in this process, one step at a time (after the browser rounds,
        # so it does not compete with them).
        server = {
            "default sentence": server_work(models / "bench-char-128", DEFAULT_SENTENCE),
            "1,000 tokens x 256 units": server_work(models / "bench-wide-256", long_text(99)),
            "5,000 tokens x 1,024 units": server_work(
                models / "bench-huge-1024", long_text(99, 5_000), rounds=2
            ),
        }
    phases = {
        "default sentence": short_phases[1:],
        "1,000 tokens x 256 units": long_phases[1:],
        "5,000 tokens x 1,024 units": huge_phases[1:],
    }
    for name, seen in phases.items():
        print(breakdown_line(name, seen, server[name]))

    print(
        f"default sentence, 2 x 128 units, {args.repeats} rounds: "
        + ", ".join(f"{s:.2f}" for s in short)
    )
    print(
        f"1,000 tokens x 256 units, {args.repeats} rounds: " + ", ".join(f"{s:.2f}" for s in long)
    )
    print(
        f"5,000 tokens x 1,024 units, {args.huge_rounds} rounds: "
        + ", ".join(f"{s:.2f}" for s in huge)
    )
    print(
        "explore enter-to-drawn seconds (5,000 tokens x 1,024 units): "
        f"{statistics.median(huge):.2f}"
    )
    print(
        f"explore enter-to-drawn seconds (1,000 tokens x 256 units): {statistics.median(long):.2f}"
    )
    print(f"explore enter-to-drawn seconds (default sentence): {statistics.median(short):.2f}")


if __name__ == "__main__":
    main()
