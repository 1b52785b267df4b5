"""The Analyze page's parts: the cached corpus and analyses, and one render function per tool.

Everything is keyed by strings (model path, file version, corpus settings), so caching hashes
cleanly. The corpus itself is a large read-only object: it is held once with st.cache_resource
(st.cache_data would pickle and copy hundreds of MB on every rerun); the small results
(tables) are st.cache_data. Library functions do the work; this module lays them out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app import state
from app.components.heatmaps import PLOTLY_CONFIG
from app.resources import ModelRef, load_model, model_version
from app.text import code_span, escape_markdown
from lstm_viz.analysis import (
    FEATURE_LABELS,
    TARGETS,
    Intervention,
    PatternError,
    cell_ledger,
    correlate,
    feature_set,
    find_spans,
    find_units,
    gradient_figure,
    gradient_flow,
    half_life_figure,
    half_lives,
    intervene,
    intervention_figure,
    ledger_figure,
    record_corpus,
    saturation,
    saturation_figure,
    similar_spans,
    span_text,
    task_from_info,
    top_predictions,
)
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.quantities import label
from lstm_viz.trace import DIRECTION_NAMES

MAX_STEPS = 20_000  # real steps a corpus holds at most (the page says so)
MAX_VALUES = 30_000_000  # recorded numbers a corpus holds at most (wide models get fewer steps)
MAX_TEXT = 200_000  # characters of the user's text
CHUNK = 200  # the user's text is read in sequences of this many tokens
MAX_INTERVENTION_STEPS = 500  # an intervention re-runs one sequence step by step
MAX_TYPED = 300  # tokens of a typed input the gradient flow reads (one backward pass per unit)
FINDER_QUANTITIES = ("cell", "hidden", "input_gate", "forget_gate", "candidate", "output_gate")


@dataclass(frozen=True)
class CorpusKey:
    """What a corpus is made of: every field a string or a number (the cache key)."""

    path: str
    version: int
    source: str  # "validation" or "text"
    text: str
    max_steps: int
    device: str

    def args(self) -> tuple:
        return (self.path, self.version, self.source, self.text, self.max_steps, self.device)


def steps_allowed(checkpoint) -> int:
    """The most steps a corpus of this model may hold (MAX_STEPS, fewer for wide models)."""
    config = checkpoint.model.config
    dirs = 2 if config.bidirectional else 1
    per_step = config.num_layers * dirs * config.hidden_size * 6
    return int(max(100, min(MAX_STEPS, MAX_VALUES // per_step)))


@st.cache_resource(max_entries=8, show_spinner=False)
def _task(path: str, version: int):
    """The model's task, rebuilt once (building a text task reads a corpus: up to a second)."""
    from app.resources import _load_checkpoint

    return task_from_info(_load_checkpoint(path, version).info)


def load_task(ref: ModelRef):
    """The task ``ref``'s model was trained on, or None (see task_from_info)."""
    return _task(ref.path, model_version(ref))


def _record(
    path: str,
    version: int,
    source: str,
    text: str,
    max_steps: int,
    device: str,
    progress: Callable[[float], None] | None = None,
) -> Corpus:
    from app.resources import _load_checkpoint

    checkpoint = _load_checkpoint(path, version)
    if source == "text":
        return record_corpus(
            checkpoint.model,
            texts=[text],
            vocab=checkpoint.vocab,
            max_steps=max_steps,
            chunk=CHUNK,
            device=device,
            progress=progress,
        )
    task = _task(path, version)
    if task is None:
        raise ValueError(
            "this model's task cannot be rebuilt here (none is named, or it was trained on "
            "your own data): analyse your own text instead"
        )
    return record_corpus(
        checkpoint.model, task, max_steps=max_steps, device=device, progress=progress
    )


# Corpora are large and read-only: one shared store (st.cache_resource: no copies), the most
# recently used kept. A store of our own, not a cached function, so a recording can report
# its progress to the page that asked for it.
MAX_CORPORA = 4
_STORE_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def _corpus_store() -> OrderedDict:
    return OrderedDict()


MAX_REFUSED = 64  # (pattern, corpus) pairs remembered as invalid or too slow


@st.cache_resource(show_spinner=False)
def _refused_patterns() -> OrderedDict:
    """(regex, CorpusKey) -> why it was refused: shared, so a slow pattern costs its time once."""
    return OrderedDict()


def corpus_is_recorded(key: CorpusKey) -> bool:
    with _STORE_LOCK:
        return key in _corpus_store()


def load_corpus(key: CorpusKey, progress: Callable[[float], None] | None = None) -> Corpus:
    """The corpus for ``key``: recorded once (``progress(fraction)`` while recording), then
    shared by every session; never mutate it. ValueError for no data (not stored)."""
    store = _corpus_store()
    with _STORE_LOCK:
        if key in store:
            store.move_to_end(key)
            return store[key]
    corpus = _record(*key.args(), progress=progress)
    with _STORE_LOCK:
        store[key] = corpus
        while len(store) > MAX_CORPORA:
            store.popitem(last=False)
    return corpus


def _corpus(*args) -> Corpus:
    return load_corpus(CorpusKey(*args))


@st.cache_data(max_entries=8, show_spinner=False)
def _saturation(*args) -> pd.DataFrame:
    return saturation(_corpus(*args).trace)


@st.cache_data(max_entries=8, show_spinner=False)
def _half_lives(*args) -> pd.DataFrame:
    return half_lives(_corpus(*args).trace)


def corpus_features(corpus: Corpus, regex: str) -> dict[str, np.ndarray]:
    """The finder's features for this corpus; numeric models have only the hidden variable."""
    steps = corpus.trace.num_steps
    if corpus.level == "numeric":
        if corpus.hidden is None:
            return {}
        return {corpus.hidden_name or "hidden variable": corpus.hidden}
    joiner = " " if corpus.level == "word" else ""
    return feature_set(
        corpus.tokens, steps, corpus.hidden, corpus.hidden_name, regex or None, joiner
    )


def finder_quantities(names: tuple[str, ...]) -> list[str]:
    """The trace's quantities, the states first (cell, hidden), then the gates."""
    first = [n for n in FINDER_QUANTITIES if n in names]
    return first + [n for n in names if n not in first]


@st.cache_data(max_entries=8, show_spinner=False)
def _finder(regex: str, *args) -> pd.DataFrame:
    corpus = _corpus(*args)
    features = corpus_features(corpus, regex)
    if not features:
        return pd.DataFrame()
    return find_units(corpus.trace, features, finder_quantities(corpus.trace.names))


@st.cache_data(max_entries=32, show_spinner=False)
def _gradient(model_path: str, model_version_: int, sequence: int, *args) -> np.ndarray:
    from app.resources import _load_checkpoint

    corpus = _corpus(*args)
    n = int(corpus.lengths[sequence])
    inputs = corpus.inputs[sequence : sequence + 1, :n]
    model = _load_checkpoint(model_path, model_version_).model
    return gradient_flow(model, inputs)


@st.cache_data(max_entries=8, show_spinner=False)
def _best_cell_unit(*args) -> dict | None:
    """The cell unit that follows the task's hidden variable best (positions and r), or None."""
    corpus = _corpus(*args)
    if corpus.hidden is None or "cell" not in corpus.trace.names:
        return None
    table = correlate(corpus.trace, {"hidden": corpus.hidden}, ["cell"])
    table = table[table["r"].notna()]
    if table.empty:
        return None
    row = table.loc[table["r"].abs().idxmax()]
    return {
        "layer": corpus.trace.ids("layer").index(int(row["layer"])),
        "direction": corpus.trace.ids("direction").index(int(row["direction"])),
        "unit": int(row["unit"]),
        "r": float(row["r"]),
    }


def unit_defaults(key: CorpusKey, corpus: Corpus) -> dict:
    """Where the ledger and interventions start: the hidden variable's best cell unit, said on
    the page, or unit 0 of layer 0."""
    best = _best_cell_unit(*key.args())
    if best is None:
        return {"layer": 0, "direction": 0, "unit": 0}
    st.caption(
        f"Starting on unit {best['unit']} of layer {best['layer']}: the cell that follows "
        f"{escape_markdown(corpus.hidden_name or 'the hidden variable')} best "
        f"(r = {best['r']:.3f})."
    )
    return best


@st.cache_data(max_entries=32, show_spinner=False)
def _gradient_typed(model_path: str, model_version_: int, text: str) -> np.ndarray:
    from app.resources import _load_checkpoint

    checkpoint = _load_checkpoint(model_path, model_version_)
    ids = checkpoint.vocab.encode(text)[:MAX_TYPED]
    return gradient_flow(checkpoint.model, torch.tensor([ids], dtype=torch.int64))


# ---- small shared widgets -----------------------------------------------------------------------


def open_in_explore(layer: int, direction: int, unit: int, text: str | None = None) -> None:
    """Hand a unit (and optionally an input) to Explore and go there."""
    st.session_state[state.EXPLORE_UNIT] = {
        "layer": int(layer),
        "direction": int(direction),
        "unit": int(unit),
    }
    if text:
        st.session_state[state.EXPLORE_INPUT] = text
    st.switch_page("views/explore.py")


def unit_name(layer: int, direction: int, unit: int, bidirectional: bool) -> str:
    layer, direction, unit = int(layer), int(direction), int(unit)
    where = f"layer {layer}"
    if bidirectional:
        where += f" {DIRECTION_NAMES[direction]}"
    return f"unit {unit} ({where})"


def render_open_buttons(table: pd.DataFrame, bidirectional: bool, key: str) -> None:
    """A picker of the table's units and a button that opens the picked one in Explore."""
    if table.empty:
        return
    options = list(range(min(len(table), 20)))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left:
        pick = st.selectbox(
            "Open a unit of this list in Explore",
            options,
            format_func=lambda i: (
                f"#{i + 1}: "
                + unit_name(
                    table.iloc[i]["layer"],
                    table.iloc[i]["direction"],
                    table.iloc[i]["unit"],
                    bidirectional,
                )
            ),
            key=f"{key}.pick",
        )
    with right:
        if st.button("🔍 Open in Explore", key=f"{key}.open", width="stretch"):
            row = table.iloc[pick or 0]
            open_in_explore(row["layer"], row["direction"], row["unit"])


def columns_for(corpus: Corpus, columns: list[str]) -> list[str]:
    """``columns`` without "direction" for a one-directional model."""
    if corpus.trace.num_directions > 1:
        return columns
    return [c for c in columns if c != "direction"]


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """Quantity and feature names as people read them."""
    table = table.copy()
    if "quantity" in table:
        table["quantity"] = table["quantity"].map(lambda q: label(q).split(" (")[0])
    if "feature" in table:
        table["feature"] = table["feature"].map(lambda f: FEATURE_LABELS.get(f, f))
    return table


def direction_picker(corpus: Corpus, key: str) -> int:
    if corpus.trace.num_directions == 1:
        return 0
    return st.radio(
        "Direction",
        [0, 1],
        format_func=lambda d: ("→ forward", "← backward")[d],
        horizontal=True,
        key=f"{key}.direction",
    )


def layer_picker(corpus: Corpus, key: str, label_: str = "Layer") -> int:
    layers = corpus.trace.num_layers
    if layers == 1:
        return 0
    return st.radio(
        label_,
        list(range(layers)),
        format_func=lambda i: f"Layer {i}",
        horizontal=True,
        key=f"{key}.layer",
    )


def joiner_of(corpus: Corpus) -> str:
    """How the corpus's tokens join into text: words with spaces, characters as they are."""
    return " " if corpus.level in ("word", "numeric") else ""


def sequence_text(corpus: Corpus, sequence: int) -> str:
    tokens = corpus.tokens[sequence]
    if corpus.level == "numeric":
        return ""
    return (" " if corpus.level == "word" else "").join(tokens)


def sequence_picker(corpus: Corpus, key: str) -> int:
    count = corpus.trace.batch_size
    if count == 1:
        return 0
    return int(
        st.number_input(
            f"Sequence (0 to {count - 1})",
            min_value=0,
            max_value=count - 1,
            value=0,
            step=1,
            key=f"{key}.sequence",
        )
    )


def show_sequence(corpus: Corpus, sequence: int, limit: int = 300) -> None:
    tokens = corpus.tokens[sequence]
    text = sequence_text(corpus, sequence) if corpus.level != "numeric" else " · ".join(tokens)
    more = " …" if len(text) > limit else ""
    st.code(text[:limit] + more, language=None, wrap_lines=True)


# ---- the tools ----------------------------------------------------------------------------------


def render_saturation(key: CorpusKey, corpus: Corpus, widget: str) -> None:
    st.markdown(
        "How often each gate sits **nearly shut** (< 0.1, left) or **nearly open** (> 0.9, "
        "right), as in Karpathy et al. (2015). A unit in a corner is a switch; one near the "
        "origin works in the soft middle. **Click a point** to open that unit in Explore."
    )
    try:
        table = _saturation(*key.args())
    except ValueError as error:
        st.info(f"No saturation to show: {escape_markdown(error)}.", icon="ℹ️")
        return
    direction = direction_picker(corpus, widget)
    figure = saturation_figure(table, direction)
    event = st.plotly_chart(
        figure,
        key=f"{widget}.scatter",
        on_select="rerun",
        selection_mode="points",
        config=PLOTLY_CONFIG,
    )
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    clicked = [unit for unit in map(_clicked_unit, points) if unit is not None]
    if clicked:
        open_in_explore(*clicked[0])
    table = table.assign(saturated=table["left"] + table["right"])
    top = (
        table[table["direction"] == direction]
        .sort_values("saturated", ascending=False, kind="stable")
        .head(10)
        .reset_index(drop=True)
    )
    st.markdown("**Most saturated units**")
    st.dataframe(
        top[columns_for(corpus, ["gate", "layer", "direction", "unit", "left", "right"])].assign(
            gate=top["gate"].map(lambda g: label(g).split(" (")[0])
        ),
        hide_index=True,
        key=f"{widget}.table",
        column_config={
            "left": st.column_config.NumberColumn("shut (< 0.1)", format="percent"),
            "right": st.column_config.NumberColumn("open (> 0.9)", format="percent"),
        },
    )
    render_open_buttons(top, corpus.trace.num_directions > 1, f"{widget}.open")


def _clicked_unit(point: dict) -> tuple[int, int, int] | None:
    """(layer, direction, unit) from a clicked point's customdata, or None."""
    data = point.get("customdata")
    if isinstance(data, dict):  # a typed array may come back keyed by position
        data = [data[k] for k in sorted(data, key=lambda k: int(k))]
    try:
        layer, direction, unit = (int(v) for v in list(data)[:3])
    except (TypeError, ValueError):
        return None
    return layer, direction, unit


def render_timescales(key: CorpusKey, corpus: Corpus, widget: str) -> None:
    st.markdown(
        "How long each unit remembers: with nothing written, a cell keeps f̄ⁿ of its memory "
        "after n steps (f̄: the geometric mean of its forget gate over the corpus), so it "
        "halves after **ln 0.5 / ln f̄** steps."
    )
    try:
        table = _half_lives(*key.args())
    except ValueError as error:
        st.info(f"No timescales to show: {escape_markdown(error)}.", icon="ℹ️")
        return
    gate = "update gate" if corpus.trace.kind == "gru" else "forget gate"
    st.plotly_chart(half_life_figure(table, gate), key=f"{widget}.histogram", config=PLOTLY_CONFIG)
    st.markdown("**Longest memories first**")
    shown = table.head(20)
    st.dataframe(
        shown[columns_for(corpus, ["layer", "direction", "unit", "keep", "half_life"])],
        hide_index=True,
        key=f"{widget}.table",
        column_config={
            "keep": st.column_config.NumberColumn(f"mean {gate} f̄", format="%.4f"),
            "half_life": st.column_config.NumberColumn("half-life (steps)", format="%.1f"),
        },
    )
    render_open_buttons(shown, corpus.trace.num_directions > 1, f"{widget}.open")


def render_finder(key: CorpusKey, corpus: Corpus, widget: str) -> None:
    st.markdown(
        "Which unit follows which feature of the input? Every unit of the cell, the hidden "
        "state and each gate is correlated (Pearson r) with each feature. Units are ranked on "
        "the **first half** of the corpus; **r held out** is measured again on the second "
        "half, which took no part in choosing them."
    )
    regex = st.text_input(
        "Your feature: a regular expression (marks the tokens a match covers)",
        key=f"{widget}.regex",
        placeholder=r"e.g. \bthe\b  or  [0-9]+",
        max_chars=200,
    )
    refused = _refused_patterns()
    with _STORE_LOCK:
        why = refused.get((regex, key))
    if why is not None:  # known bad: say so again without running it again (2 s a rerun)
        st.error(escape_markdown(why), icon="🚫")
        return
    try:
        with st.spinner("Correlating every unit with every feature..."):
            table = _finder(regex or "", *key.args())
    except ValueError as error:
        if isinstance(error, PatternError):
            with _STORE_LOCK:
                refused[(regex, key)] = str(error)
                while len(refused) > MAX_REFUSED:
                    refused.popitem(last=False)
        st.error(escape_markdown(error), icon="🚫")
        return
    if table.empty:
        st.info("This model reads numbers and its task has no known hidden variable.", icon="ℹ️")
        return
    features = list(dict.fromkeys(table["feature"]))
    known = table[table["r"].notna()]
    constant = [f for f in features if f not in set(known["feature"])]
    features = [f for f in features if f not in constant]
    if not features:
        st.info("Every feature is constant on this corpus: nothing to correlate.", icon="ℹ️")
        return
    # The task's hidden variable and your regex first, then the rest by how well they are found.
    best = known.groupby("feature", sort=False).head(1)
    strength = best.set_index("feature")["r_heldout"].abs().fillna(0)
    first = [f for f in (corpus.hidden_name, "regex") if f in features]
    features = first + sorted(
        (f for f in features if f not in first), key=lambda f: -strength.get(f, 0)
    )
    best = best.set_index("feature").reindex(features).reset_index()
    st.markdown("**The best unit for each feature**")
    columns = ["feature", "quantity", "layer", "direction", "unit", "r", "r_heldout"]
    st.dataframe(
        readable(best[columns_for(corpus, columns)]),
        hide_index=True,
        key=f"{widget}.best",
        column_config={
            "r": st.column_config.NumberColumn("r (ranked on)", format="%.3f"),
            "r_heldout": st.column_config.NumberColumn("r held out", format="%.3f"),
        },
    )
    if constant:
        st.caption(
            "Constant on this corpus, so no unit can follow them: "
            + ", ".join(escape_markdown(FEATURE_LABELS.get(f, f)) for f in constant)
            + "."
        )
    default = "regex" if regex and "regex" in features else features[0]
    feature = st.selectbox(
        "Feature",
        features,
        index=features.index(default),
        format_func=lambda f: FEATURE_LABELS.get(f, f),
        key=f"{widget}.feature.{regex}",
    )
    ranked = known[known["feature"] == feature].head(10).reset_index(drop=True)
    st.markdown(f"**Top units for {escape_markdown(FEATURE_LABELS.get(feature, feature))}**")
    columns = ["quantity", "layer", "direction", "unit", "r", "r_heldout", "n", "n_heldout"]
    st.dataframe(
        readable(ranked[columns_for(corpus, columns)]),
        hide_index=True,
        key=f"{widget}.ranked",
        column_config={
            "r": st.column_config.NumberColumn("r (ranked on)", format="%.3f"),
            "r_heldout": st.column_config.NumberColumn("r held out", format="%.3f"),
            "n": st.column_config.NumberColumn("steps", format="%d"),
            "n_heldout": st.column_config.NumberColumn("steps held out", format="%d"),
        },
    )
    render_open_buttons(ranked, corpus.trace.num_directions > 1, f"{widget}.open")


def render_ledger(key: CorpusKey, corpus: Corpus, widget: str) -> None:
    if corpus.trace.kind not in ("lstm", "peephole_lstm"):
        st.info("The cell-state ledger reads an LSTM's cell; this model has none.", icon="ℹ️")
        return
    st.markdown(
        "Which earlier tokens' writes survive in a unit's memory? Unrolled, "
        "c_t = Σ_k (f_{k+1} ⋯ f_t) · i_k g_k: each bar is what step k wrote, times every "
        "forget gate since. The bars add up to the recorded c_t."
    )
    trace = corpus.trace
    start = unit_defaults(key, corpus)
    sequence = sequence_picker(corpus, widget)
    show_sequence(corpus, sequence)
    length = int(trace.lengths[sequence])
    cols = st.columns(4)
    with cols[0]:
        layer = int(
            st.number_input("Layer", 0, trace.num_layers - 1, start["layer"], key=f"{widget}.layer")
        )
    with cols[1]:
        direction = 0
        if trace.num_directions > 1:
            direction = int(
                st.number_input("Direction", 0, 1, start["direction"], key=f"{widget}.direction")
            )
    with cols[2]:
        units = trace.cell.shape[-1]
        unit = int(
            st.number_input(
                f"Unit (0 to {units - 1})", 0, units - 1, start["unit"], key=f"{widget}.unit"
            )
        )
    with cols[3]:
        step = int(
            st.number_input(
                f"Step t (0 to {length - 1})",
                0,
                length - 1,
                length - 1,
                key=f"{widget}.step.{sequence}",
            )
        )
    ledger = cell_ledger(trace, unit, step, layer, direction, sequence)
    figure = ledger_figure(
        ledger, f"What survives in unit {unit} at step {step} ({ledger.tokens[-1]!r})"
    )
    st.plotly_chart(figure, key=f"{widget}.bars", config=PLOTLY_CONFIG)
    st.markdown(
        f"Sum of the contributions **{ledger.total:.6f}**, recorded c_t **{ledger.cell:.6f}** "
        f"(difference {abs(ledger.total - ledger.cell):.1e})."
    )
    frame = ledger.to_frame()
    frame = frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index)
    st.dataframe(
        frame.head(10),
        hide_index=True,
        key=f"{widget}.table",
        column_config={
            "written": st.column_config.NumberColumn("wrote i·g", format="%.4f"),
            "kept": st.column_config.NumberColumn("kept since", format="%.4f"),
            "contribution": st.column_config.NumberColumn("survives", format="%.4f"),
            "share": st.column_config.NumberColumn("share of |c|", format="percent"),
        },
    )
    if st.button("🔍 Open this unit and sequence in Explore", key=f"{widget}.open"):
        open_in_explore(layer, direction, unit, sequence_text(corpus, sequence))


def output_labels(checkpoint, task) -> list[str]:
    config = checkpoint.model.config
    if config.objective == "next_token" and checkpoint.vocab is not None:
        return list(checkpoint.vocab.tokens)
    if task is not None and task.output_labels:
        return list(task.output_labels)
    return [str(k) for k in range(config.num_outputs)]


def render_interventions(ref: ModelRef, key: CorpusKey, corpus: Corpus, widget: str) -> None:
    checkpoint = load_model(ref)
    if checkpoint.model.config.cell != "lstm":
        st.info(
            "Interventions re-run an nn.LSTM core step by step; this model's core is a "
            f"{checkpoint.model.config.cell.upper().replace('_', ' ')}.",
            icon="ℹ️",
        )
        return
    st.markdown(
        "Force a gate or a unit's cell to a value over a span of steps, re-run the model step "
        "by step from there, and see what changes: the unit's cell and hidden state, and the "
        f"prediction at every step (the first {MAX_INTERVENTION_STEPS} steps of a sequence)."
    )
    trace = corpus.trace
    defaults = unit_defaults(key, corpus)
    sequence = sequence_picker(corpus, widget)
    show_sequence(corpus, sequence)
    length = min(int(trace.lengths[sequence]), MAX_INTERVENTION_STEPS)
    cols = st.columns(3)
    with cols[0]:
        quantity = st.selectbox(
            "Change",
            TARGETS,
            index=TARGETS.index("forget_gate"),
            format_func=lambda q: label(q).split(" (")[0],
            key=f"{widget}.quantity",
        )
        layer = int(
            st.number_input(
                "Layer", 0, trace.num_layers - 1, defaults["layer"], key=f"{widget}.layer"
            )
        )
    with cols[1]:
        units = trace.cell.shape[-1]
        unit = int(
            st.number_input(
                f"Unit (0 to {units - 1})", 0, units - 1, defaults["unit"], key=f"{widget}.unit"
            )
        )
        low, high = (-1.0, 1.0) if quantity == "candidate" else (0.0, 1.0)
        if quantity == "cell":
            low, high = -100.0, 100.0
        value = st.number_input(
            f"Set it to ({low:g} to {high:g})",
            min_value=low,
            max_value=high,
            value=0.0,
            step=0.1,
            key=f"{widget}.value.{quantity}",
        )
    with cols[2]:
        start = int(
            st.number_input(
                f"From step (0 to {length - 1})",
                0,
                length - 1,
                min(5, length - 1),
                key=f"{widget}.start.{sequence}",
            )
        )
        stop = int(
            st.number_input(
                f"To step (inclusive, {start} to {length - 1})",
                start,
                length - 1,
                max(start, min(start + 2, length - 1)),
                key=f"{widget}.stop.{sequence}.{start}",
            )
        )
        direction = 0
        if trace.num_directions > 1:
            direction = int(
                st.number_input("Direction", 0, 1, defaults["direction"], key=f"{widget}.direction")
            )
    forced = Intervention(quantity, unit, float(value), start, stop + 1, layer, direction)
    inputs = corpus.inputs[sequence : sequence + 1, :length]
    try:
        result = intervene(
            checkpoint.model, inputs, [forced], tokens=[corpus.tokens[sequence][:length]]
        )
    except ValueError as error:
        st.error(escape_markdown(error), icon="🚫")
        return
    st.plotly_chart(
        intervention_figure(result, forced), key=f"{widget}.figure", config=PLOTLY_CONFIG
    )
    if result.probabilities and result.original_output.dim() == 3:
        change = result.change()[0]
        worst = int(np.argmax(change))
        token = corpus.tokens[sequence][worst]
        st.markdown(
            f"Largest change at step **{worst}** ({escape_markdown(repr(token))}): total variation "
            f"**{change[worst]:.3f}** between the two predicted distributions."
        )
        task = load_task(ref)
        st.dataframe(
            top_predictions(result, worst, output_labels(checkpoint, task), count=5),
            hide_index=True,
            key=f"{widget}.predictions",
            column_config={
                "original": st.column_config.NumberColumn("as read", format="percent"),
                "intervened": st.column_config.NumberColumn("intervened", format="percent"),
            },
        )
    elif result.original_output.dim() == 2:
        before = result.original_output[0].numpy()
        after = result.intervened_output[0].numpy()
        what = "probabilities" if result.probabilities else "values"
        st.markdown(
            f"The model predicts once per sequence. Its {what}: as read "
            f"`{np.round(before, 4).tolist()}`, intervened `{np.round(after, 4).tolist()}`."
        )


def comparable(ref: ModelRef, other) -> bool:
    """Whether ``other``'s model reads the same inputs as ``ref``'s (same vocabulary or the
    same number of input features)."""
    try:
        mine, theirs = load_model(ref), load_model(other)
    except (ValueError, OSError):
        return False
    if (mine.vocab is None) != (theirs.vocab is None):
        return False
    if mine.vocab is not None:
        return mine.vocab.tokens == theirs.vocab.tokens
    return mine.model.config.input_size == theirs.model.config.input_size


def render_gradients(
    ref: ModelRef, key: CorpusKey, corpus: Corpus, models: list, widget: str
) -> None:
    st.markdown(
        "How strongly does the last hidden state h_T depend on each earlier input x_t? The "
        "norm of ∂h_T/∂x_t against the distance T − t: in a vanilla RNN it falls "
        "geometrically (vanishing gradients); an LSTM's cell path can carry it much further. "
        "Compare models that read the same inputs (e.g. the shipped bracket LSTM, GRU and RNN)."
    )
    others = [m for m in models if m.id != ref.id and m.path and comparable(ref, m)]
    by_id = {m.id: m for m in [ref, *others]}
    checkpoint = load_model(ref)
    task_name = (checkpoint.info.get("task") or {}).get("name")
    same_task = [
        m.id
        for m in others
        if task_name and (load_model(m).info.get("task") or {}).get("name") == task_name
    ]
    chosen = st.multiselect(
        "Models (the same inputs)",
        list(by_id),
        default=[ref.id, *same_task[:3]],
        format_func=lambda i: by_id[i].label,
        key=f"{widget}.models",
    )
    typed = ""
    if corpus.level != "numeric":
        typed = st.text_input(
            f"Type an input to read (at most {MAX_TYPED:,} tokens), or leave it empty to read a "
            "sequence of the corpus",
            key=f"{widget}.typed",
            max_chars=20_000,
        )
    if not typed.strip():
        sequence = sequence_picker(corpus, widget)
        show_sequence(corpus, sequence)
    if not chosen:
        st.info("Pick at least one model.", icon="ℹ️")
        return
    curves = {}
    bar = st.progress(0.0, text="Differentiating...")
    for k, model_id in enumerate(chosen):
        other = by_id[model_id]
        bar.progress(k / len(chosen), text=f"Differentiating {escape_markdown(other.name)}...")
        if typed.strip():
            curves[other.name] = _gradient_typed(other.path, model_version(other), typed)
        else:
            curves[other.name] = _gradient(other.path, model_version(other), sequence, *key.args())
    bar.empty()
    st.plotly_chart(gradient_figure(curves), key=f"{widget}.figure", config=PLOTLY_CONFIG)
    distances = [d for d in (1, 10, 25, 50, 100) if d < len(next(iter(curves.values())))]
    st.dataframe(
        pd.DataFrame(
            {
                "model": list(curves),
                **{
                    f"distance {d}": [float(c[len(c) - 1 - d]) for c in curves.values()]
                    for d in distances
                },
            }
        ),
        hide_index=True,
        key=f"{widget}.table",
        column_config={
            f"distance {d}": st.column_config.NumberColumn(format="%.2e") for d in distances
        },
    )


def _spans_table(corpus: Corpus, spans: pd.DataFrame, count: int = 20) -> pd.DataFrame:
    top = spans.head(count).copy()
    top["text"] = [
        span_text(corpus.tokens[s], b, e, joiner=joiner_of(corpus))
        for s, b, e in top[["sequence", "start", "stop"]].values
    ]
    return top


TEXT_COLUMN = {"text": st.column_config.TextColumn("text («span» in context)", width="large")}


def _show_similar(
    corpus: Corpus,
    acts: np.ndarray,
    span: tuple[int, int, int],
    threshold: float,
    min_length: int,
    widget: str,
) -> None:
    """The units on throughout ``span`` (sequence, start, stop) and the spans like it."""
    try:
        found_units, like = similar_spans(
            acts, *span, threshold, min_length, corpus.trace.lengths.numpy()
        )
    except ValueError as error:
        st.info(escape_markdown(str(error).capitalize()) + ".", icon="ℹ️")
        return
    st.markdown(
        f"Units on throughout that span: **{', '.join(map(str, found_units.tolist()))}**; "
        f"{len(like):,} span(s) where they are all on for {min_length}+ steps "
        "(the one you picked is marked):"
    )
    st.dataframe(
        _spans_table(corpus, like),
        hide_index=True,
        key=f"{widget}.like_table",
        column_config=TEXT_COLUMN,
    )


def render_patterns(corpus: Corpus, widget: str) -> None:
    st.markdown(
        "As in LSTMVis: pick units and a threshold, and find every span of the corpus where all "
        "of them are on (≥ threshold) for at least a minimum number of steps, longest first. Or "
        "select a span of a sequence: the units that stay on throughout it are searched for "
        "elsewhere (**spans like it**)."
    )
    trace = corpus.trace
    by = st.radio(
        "Search by",
        ["units", "span"],
        format_func={"units": "units you pick", "span": "a span you select"}.get,
        horizontal=True,
        key=f"{widget}.by",
    )
    cols = st.columns(4)
    with cols[0]:
        layer = int(st.number_input("Layer", 0, trace.num_layers - 1, 0, key=f"{widget}.layer"))
        direction = 0
        if trace.num_directions > 1:
            direction = int(st.number_input("Direction", 0, 1, 0, key=f"{widget}.direction"))
    with cols[1]:
        quantity = st.radio(
            "State",
            ["hidden", "cell"] if "cell" in trace.names else ["hidden"],
            horizontal=True,
            key=f"{widget}.quantity",
        )
    acts = trace[quantity][layer, direction].numpy()  # [N, T, U]
    units = []
    with cols[2]:
        if by == "units":
            units = st.multiselect(
                "Units", list(range(acts.shape[-1])), default=[0], key=f"{widget}.units"
            )
    with cols[3]:
        threshold = st.number_input(
            "Threshold", value=0.5, step=0.05, key=f"{widget}.threshold", format="%.2f"
        )
        min_length = int(st.number_input("Minimum length", 1, 1000, 3, key=f"{widget}.min"))

    if by == "span":
        sequence = sequence_picker(corpus, widget)
        show_sequence(corpus, sequence)
        length = int(trace.lengths[sequence])
        left, right = st.columns(2)
        with left:
            start = int(
                st.number_input(
                    f"Span from step (0 to {length - 1})",
                    0,
                    length - 1,
                    0,
                    key=f"{widget}.span_start.{sequence}",
                )
            )
        with right:
            stop = int(
                st.number_input(
                    f"to step (inclusive, {start} to {length - 1})",
                    start,
                    length - 1,
                    min(start + 2, length - 1),
                    key=f"{widget}.span_stop.{sequence}.{start}",
                )
            )
        st.markdown(
            "Selected: "
            + code_span(
                span_text(corpus.tokens[sequence], start, stop + 1, joiner=joiner_of(corpus))
            )
        )
        _show_similar(corpus, acts, (sequence, start, stop + 1), threshold, min_length, widget)
        return

    if not units:
        st.info("Pick at least one unit.", icon="ℹ️")
        return
    spans = find_spans(acts, units, threshold, min_length, trace.lengths.numpy())
    st.markdown(
        f"**{len(spans):,} spans** in {corpus.num_steps:,} steps where units "
        f"{', '.join(map(str, units))} are all ≥ {threshold:g} for {min_length}+ steps."
    )
    if spans.empty:
        return
    top = _spans_table(corpus, spans)
    st.dataframe(top, hide_index=True, key=f"{widget}.spans", column_config=TEXT_COLUMN)
    pick = st.selectbox(
        "Find spans like this one",
        list(range(len(top))),
        format_func=lambda i: f"#{i + 1}: {top.iloc[i]['text'][:60]}",
        key=f"{widget}.like",
    )
    row = top.iloc[pick or 0]
    span = (int(row["sequence"]), int(row["start"]), int(row["stop"]))
    _show_similar(corpus, acts, span, threshold, min_length, widget)
