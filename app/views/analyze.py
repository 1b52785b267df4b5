"""Analyze: tools that find out what units do, over a corpus (the model's validation data or
your text). The library (lstm_viz.analysis) does the work; app/components/analysis.py lays out
each tool."""

import streamlit as st

from app import state
from app.components import analysis as tools
from app.components.model_header import render_model_header
from app.resources import (
    list_shipped_models,
    list_trained_models,
    model_version,
)
from app.text import escape_markdown

K = "analyze"  # widget-key prefix of this page
SECTIONS = {
    "saturation": "🌡️ Saturation",
    "timescales": "⏳ Timescales",
    "finder": "🎯 Unit finder",
    "ledger": "📒 Cell ledger",
    "interventions": "✋ Interventions",
    "gradients": "🌊 Gradient flow",
    "patterns": "🔦 Pattern search",
}

st.title("🧪 Analyze")

choices = state.choices()
ref, checkpoint = render_model_header(
    "Pick a model in the sidebar to analyse it. No model yet? Train a small one in a "
    "minute: a bracket-depth LSTM shows a depth-counting unit in the unit finder.",
    upload_link=False,
)
config = checkpoint.model.config

# ---- the corpus ---------------------------------------------------------------------------------
widget = f"{K}.{ref.id}"
task = tools.load_task(ref)
sources = []
if task is not None:
    sources.append("validation")
if checkpoint.vocab is not None:
    sources.append("text")
if not sources:
    st.error(
        "This model reads numbers and its task cannot be rebuilt here, so there is no corpus "
        "to analyse.",
        icon="🚫",
    )
    st.stop()
allowed = tools.steps_allowed(checkpoint)
with st.container(border=True):
    left, right = st.columns([3, 2])
    source_labels = {
        "validation": f"Validation data of its task ({task.title if task else ''})",
        "text": "Your text",
    }
    with left:
        if len(sources) > 1:
            source = st.radio(
                "Corpus",
                sources,
                format_func=source_labels.get,
                horizontal=True,
                key=f"{widget}.source",
            )
        else:
            source = sources[0]
            st.markdown(f"**Corpus:** {source_labels[source]}")
    with right:
        max_steps = int(
            st.number_input(
                f"Steps to record (at most {allowed:,})",
                min_value=100,
                max_value=allowed,
                value=min(5_000, allowed),
                step=1_000,
                key=f"{widget}.max_steps",
                help="Whole sequences are taken in order until the next would pass this. "
                "Wide models get fewer steps: a corpus holds at most "
                f"{tools.MAX_VALUES:,} recorded numbers.",
            )
        )
    text = ""
    if source == "text":
        text = st.text_area(
            f"Your text (at most {tools.MAX_TEXT:,} characters; read in sequences of "
            f"{tools.CHUNK} tokens)",
            key=f"{widget}.text",
            height=120,
            max_chars=tools.MAX_TEXT,
            placeholder="Paste some text the model should read...",
        )
        if not text.strip():
            st.info("Paste some text above, then press Ctrl+Enter.", icon="✍️")
            st.stop()

key = tools.CorpusKey(
    ref.path, model_version(ref), source, text, max_steps, choices.get("device", "cpu")
)
progress = None
if not tools.corpus_is_recorded(key):
    what = f"Recording every gate over up to {max_steps:,} steps"
    bar = st.progress(0.0, text=f"{what}...")

    def progress(fraction: float) -> None:
        bar.progress(min(1.0, fraction), text=f"{what}: {fraction:.0%}")


try:
    corpus = tools.load_corpus(key, progress)
except ValueError as error:
    st.error(f"No corpus to analyse: {escape_markdown(error)}", icon="🚫")
    st.stop()
if progress is not None:
    bar.empty()
st.caption(
    f"Corpus: **{corpus.trace.batch_size:,} sequences, {corpus.num_steps:,} steps**"
    + (
        f" · known hidden variable: **{escape_markdown(corpus.hidden_name)}**"
        if corpus.hidden_name
        else ""
    )
)

section = st.radio(
    "Tool",
    list(SECTIONS),
    format_func=SECTIONS.get,
    horizontal=True,
    key=f"{K}.section",
    label_visibility="collapsed",
)
place = f"{widget}.{section}"
if section == "saturation":
    tools.render_saturation(key, corpus, place)
elif section == "timescales":
    tools.render_timescales(key, corpus, place)
elif section == "finder":
    tools.render_finder(key, corpus, place)
elif section == "ledger":
    tools.render_ledger(key, corpus, place)
elif section == "interventions":
    tools.render_interventions(ref, key, corpus, place)
elif section == "gradients":
    models = [*list_shipped_models(), *list_trained_models()]
    models += st.session_state.get(state.UPLOADED_MODELS, [])
    tools.render_gradients(ref, key, corpus, models, place)
else:
    tools.render_patterns(corpus, place)
