"""Gradient flow: how strongly h_T depends on each earlier input x_t, across models."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import classroom, corpora
from app.components.analyze.common import (
    sequence_picker,
    show_sequence,
)
from app.components.heatmaps import PLOTLY_CONFIG
from app.corpora import CorpusKey
from app.resources import ModelRef, load_model, model_version
from app.text import escape_markdown
from lstm_viz.analysis import (
    gradient_figure,
)
from lstm_viz.analysis.corpus import Corpus
from lstm_viz.analysis.textbook import gradient_summary, spectral_radius, textbook_summary


def comparable(ref: ModelRef, other) -> bool:
    """Whether ``other``'s model reads the same inputs as ``ref``'s (the same vocabulary or the
    same number of input features; Checkpoint.input_signature). A model that cannot be loaded
    here, or a ConvLSTM reading frames (no gradient flow for it), is not comparable."""
    try:
        mine, theirs = load_model(ref), load_model(other)
    except (ValueError, OSError):
        return False
    reads = mine.input_signature
    return reads[0] != "frames" and reads == theirs.input_signature


def render_gradients(
    ref: ModelRef, key: CorpusKey, corpus: Corpus, models: list, widget: str
) -> None:
    st.markdown(
        "How strongly does the last hidden state h_T depend on each earlier input x_t? The "
        "norm of ∂h_T/∂x_t against the distance T − t, for models that read the same inputs. "
        "The textbook picture (a vanilla RNN's norm falls geometrically, an LSTM's cell path "
        "carries it further) holds for weights like those a network starts from; a trained "
        "model keeps what its task taught it to keep. The sentence under the chart says what "
        "these models do on this input."
    )
    others = [m for m in models if m.id != ref.id and m.path and comparable(ref, m)]
    by_id = {m.id: m for m in [ref, *others]}
    checkpoint = load_model(ref)
    task_name = checkpoint.task.name if checkpoint.task else None
    same_task = [
        m.id for m in others if task_name and getattr(load_model(m).task, "name", None) == task_name
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
            f"Type an input to read (at most {corpora.MAX_TYPED:,} tokens), or leave it empty to "
            "read a sequence of the corpus",
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
            curves[other.name] = corpora.cached_gradient_typed(
                other.path, model_version(other), typed
            )
        else:
            curves[other.name] = corpora.cached_gradient(
                other.path, model_version(other), sequence, *key.args()
            )
    bar.empty()
    st.plotly_chart(
        classroom.on_screen(gradient_figure(curves)), key=f"{widget}.figure", config=PLOTLY_CONFIG
    )
    models = {by_id[i].name: load_model(by_id[i]).model for i in chosen}
    st.markdown(
        gradient_summary(
            curves,
            {name: model.config.cell for name, model in models.items()},
            {name: spectral_radius(model) for name, model in models.items()},
        )
    )
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
    render_textbook(widget)


def render_textbook(widget: str) -> None:
    """Where the textbook effect holds: an LSTM, a GRU and a vanilla RNN built the same way
    every time (seed 0) for the adding problem, as initialised or after a short training."""
    with st.expander("Where the textbook effect holds: LSTM, GRU and RNN on the adding problem"):
        trained = st.toggle(
            f"Train each for {corpora.TEXTBOOK_STEPS} steps first (once per server, then kept)",
            key=f"{widget}.textbook_trained",
        )
        steps = corpora.TEXTBOOK_STEPS if trained else 0
        curves, seconds = corpora.timed_textbook(steps)
        st.plotly_chart(
            classroom.on_screen(gradient_figure(curves)),
            key=f"{widget}.textbook",
            config=PLOTLY_CONFIG,
        )
        how = (
            f"trained for {steps} steps ({seconds:.0f} s on this server)"
            if steps
            else "as initialised"
        )
        st.markdown(
            f"Three models of 16 units, {how} (seed 0) for the adding problem (T = 100), "
            f"reading its first validation sequence. {textbook_summary(curves)} Each step "
            "multiplies a vanilla RNN's gradient by its recurrent weights and the tanh's slope; "
            "where that shrinks it, as the chart shows for these weights, it falls "
            "geometrically, while the LSTM's cell passes it on through its forget gates."
        )
