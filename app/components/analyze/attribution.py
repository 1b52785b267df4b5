"""Input attribution: which input steps made one output (integrated gradients, gradient x
input, occlusion), the input coloured by it beside the heatmaps, and IG's completeness."""

from __future__ import annotations

import streamlit as st

from app import corpora
from app.components.analyze.causal_common import pick_source, source_tokens
from app.components.analyze.interventions import output_labels
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import CorpusKey
from app.resources import ModelRef, default_input, load_model, model_scales
from app.text import escape_markdown
from lstm_viz.analysis import METHODS
from lstm_viz.analysis.attribution import AUTO_ERROR, AUTO_STEPS, MAX_AUTO_STEPS, METHOD_LABELS
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.figures.causal import attribution_figure, completeness_figure
from lstm_viz.figures.colours import max_abs, symmetric_scale
from lstm_viz.quantities import display_token

_NOT_CLOSED = (
    " Over a long input the straight path from the baseline can pass where the gradient "
    "explodes, and more points close in slowly: a shorter input converges sooner, and gradient "
    "× input or occlusion need no path."
)

_FEW_POINTS = (
    " More integration points may close it (or clear the box: then they double until the sum is "
    "within 1%)."
)


def _still_off(result, chosen: int | None) -> str:
    """What to try when integrated gradients' sum is more than AUTO_ERROR off: more points where
    fewer than the most were asked for, else why more would not pay."""
    if result.completeness_error <= AUTO_ERROR:
        return ""
    return _FEW_POINTS if chosen is not None and chosen < MAX_AUTO_STEPS else _NOT_CLOSED


def render_attribution(ref: ModelRef, key: CorpusKey, corpus: Corpus, widget: str) -> None:
    from lstm_viz.figures.unit import coloured_text_html

    checkpoint = load_model(ref)
    # the baseline attribution.py uses: no token (a zero embedding), or zeros for numbers
    baseline = (
        "all-zero input embedding" if checkpoint.model.config.vocab_size else "all-zero input"
    )
    st.markdown(
        "Which input steps made an output at the **last step**? Attribution gives each step a "
        "share of one output (a next-token logit, a class score, a value). The baseline of "
        f"integrated gradients and occlusion is an **{baseline}** at every step."
    )
    source = pick_source(checkpoint, corpus, "Input", default_input(ref), 0, f"{widget}.input")
    found = source_tokens(key, source)
    if found is None:
        return
    labels = output_labels(checkpoint, corpora.load_task(ref))
    top = corpora.cached_top_output(key.path, key.version, source, key.args())
    cols = st.columns([2, 2, 1])
    with cols[0]:
        method = st.radio("Method", METHODS, format_func=METHOD_LABELS.get, key=f"{widget}.method")
    with cols[1]:
        target = st.selectbox(
            "Target output (at the last step)",
            range(len(labels)),
            index=top,
            format_func=lambda k: (
                repr(display_token(labels[k])) + (" (predicted)" if k == top else "")
            ),
            key=f"{widget}.target",
        )
    with cols[2]:
        steps = st.number_input(
            "Integration points",
            min_value=8,
            max_value=MAX_AUTO_STEPS,
            value=None,
            step=8,
            placeholder="auto",
            help=f"Empty: {AUTO_STEPS}, doubled while the attributions' sum is more than "
            f"{AUTO_ERROR:.0%} off output(input) − output(baseline) and the error at least "
            f"halves each time (at most {MAX_AUTO_STEPS}).",
            key=f"{widget}.steps",
            disabled=method != "integrated-gradients",
        )
    try:
        result = corpora.cached_attribution(
            key.path,
            key.version,
            source,
            key.args(),
            int(target),
            method,
            None if steps is None else int(steps),
        )
    except ValueError as error:
        st.error(escape_markdown(error), icon="🚫")
        return
    tokens = result.tokens or [str(t) for t in range(len(result.scores))]
    top_step = int(abs(result.scores).argmax())
    st.markdown(
        f"Output **{escape_markdown(repr(display_token(labels[int(target)])))}** at the last step: "
        f"{float(result.output):+.4f}. The step that mattered most: **{top_step}** "
        f"({escape_markdown(repr(display_token(tokens[top_step])))}, "
        f"{result.scores[top_step]:+.4f})."
    )
    st.caption("The input coloured by attribution (red: pushed the output up; blue: down):")
    with st.container(key=f"{widget}.coloured"):
        shown = tokens if corpus.level == "char" else [f"{t} " for t in tokens]  # words: spaced
        # Attribution is not a recorded quantity: its colour bar says what it is, over the
        # largest |score| of this input.
        bound = max_abs(result.scores) or 1.0
        scale = symmetric_scale("attribution", bound, "this input")
        st.markdown(
            coloured_text_html(shown, result.scores, "cell", scale=scale), unsafe_allow_html=True
        )
    trace = corpora.cached_causal_recording(key.path, key.version, source, key.args())
    quantity = "cell" if "cell" in trace.names else "hidden"
    layer = trace.num_layers - 1
    scales = model_scales(ref)
    bound = scales.bound(quantity, layer, 0) if scales is not None else None
    st.plotly_chart(
        attribution_figure(result, trace, quantity, layer, bound=bound),
        key=f"{widget}.figure",
        config=PLOTLY_CONFIG,
    )
    if method == "integrated-gradients":
        ok = "within 1%" if result.completeness_error <= 0.01 else "**more than 1% off**"
        st.plotly_chart(
            completeness_figure(result), key=f"{widget}.completeness", config=PLOTLY_CONFIG
        )
        st.caption(
            f"Completeness: the attributions sum to {result.total:+.6f}; output(input) − "
            f"output(baseline) is {result.expected:+.6f} (baseline: {baseline}): "
            f"{ok} ({result.completeness_error:.3%}) with {result.n_steps} integration points."
            + _still_off(result, steps)
        )
    table = result.table()
    table["token"] = table["token"].map(display_token)  # a space as ␣, as on every axis
    st.dataframe(table, hide_index=True, key=f"{widget}.table", height=200)
