"""Analyze: tools that find out what units do, over a corpus (the model's validation data or
your text). The library (lstm_viz.analysis) does the work; app/corpora/ caches it and
app/components/analyze/ lays out each tool (one file per tool)."""

import streamlit as st

from app import corpora, state
from app.components.analyze.agreement import render_agreement
from app.components.analyze.attribution import render_attribution
from app.components.analyze.finder import render_finder
from app.components.analyze.gradients import render_gradients
from app.components.analyze.interventions import render_interventions
from app.components.analyze.ledger import render_ledger
from app.components.analyze.patching import render_patching
from app.components.analyze.patterns import render_patterns
from app.components.analyze.preactivation import render_preactivation
from app.components.analyze.saturation import render_saturation
from app.components.analyze.timescales import render_timescales
from app.components.analyze.trajectories import render_trajectories
from app.components.model_header import render_model_header
from app.components.opened import render_opener
from app.resources import all_models, model_version
from app.text import escape_markdown
from lstm_viz.quantities import unknown_tokens_line

K = state.ANALYZE_PREFIX  # widget-key prefix of this page
FEW_STEPS = 1_000  # a corpus of fewer steps gets a warning that its statistics are noisy
SECTIONS = {
    "saturation": "🌡️ Saturation",
    "timescales": "⏳ Timescales",
    "finder": "🎯 Unit finder",
    "ledger": "📒 Cell ledger",
    "interventions": "✋ Interventions",
    "gradients": "🌊 Gradient flow",
    "patterns": "🔦 Pattern search",
    "attribution": "🧭 Attribution",
    "patching": "🩹 Patching",
    "preactivation": "🧮 Gate split",
    "trajectories": "🌀 Trajectories",
    "agreement": "🔢 Agreement",
}

st.title("🧪 Analyze")

choices = state.choices()
opened = render_opener("analyze")  # an LSTMVis project or a corpus store, instead of a model
if opened is not None:
    from app.components.analyze.opened import render_opened_analyze

    render_opened_analyze(opened)
    st.stop()
ref, checkpoint = render_model_header(
    "Pick a model in the sidebar to analyse it. No model yet? Train a small one in a "
    "minute: a bracket-depth LSTM shows a depth-counting unit in the unit finder.",
    upload_link=False,
)
config = checkpoint.model.config

# ---- the corpus ---------------------------------------------------------------------------------
widget = f"{K}.{ref.id}"
task = corpora.load_task(ref)
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
allowed = corpora.steps_allowed(checkpoint)
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
                f"{corpora.MAX_VALUES:,} recorded numbers.",
            )
        )
    text = ""
    if source == "text":
        text = st.text_area(
            f"Your text (at most {corpora.MAX_TEXT:,} characters; read in sequences of "
            f"{corpora.CHUNK} tokens)",
            key=f"{widget}.text",
            height=120,
            max_chars=corpora.MAX_TEXT,
            placeholder="Paste some text the model should read...",
        )
        if not text.strip():
            st.info("Paste some text above, then press Ctrl+Enter.", icon="✍️")
            st.stop()

key = corpora.CorpusKey(
    ref.path, model_version(ref), source, text, max_steps, choices.get("device", "cpu")
)
progress = None
if not corpora.corpus_is_recorded(key):
    what = f"Recording every gate over up to {max_steps:,} steps"
    bar = st.progress(0.0, text=f"{what}...")

    def progress(fraction: float) -> None:
        bar.progress(min(1.0, fraction), text=f"{what}: {fraction:.0%}")


try:
    corpus = corpora.load_corpus(key, progress)
except ValueError as error:
    st.error(f"No corpus to analyse: {escape_markdown(error)}", icon="🚫")
    st.stop()
if progress is not None:
    bar.empty()
st.caption(
    f"Corpus: **{corpus.trace.batch_size:,} sequence{'s' if corpus.trace.batch_size != 1 else ''}"
    f", {corpus.num_steps:,} steps**"
    + (
        f" · known hidden variable: **{escape_markdown(corpus.hidden_name)}**"
        if corpus.hidden_name
        else ""
    )
)
if source == "text" and checkpoint.vocab is not None:
    tokens = checkpoint.vocab.tokenize(text)
    line = unknown_tokens_line(
        tokens, checkpoint.vocab.unknown(tokens), source="model's vocabulary", read_as="<unk>"
    )
    if line:
        st.info(escape_markdown(line) + ".", icon="ℹ️")
if source == "text" and corpus.num_steps < FEW_STEPS:
    st.warning(
        f"Only {corpus.num_steps:,} steps: averages, correlations and rankings over so few steps "
        "are noisy. Read a longer text (a few thousand characters) before drawing conclusions.",
        icon="⚠️",
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
    render_saturation(key, corpus, place)
elif section == "timescales":
    render_timescales(key, corpus, place)
elif section == "finder":
    render_finder(key, corpus, place)
elif section == "ledger":
    render_ledger(key, corpus, place)
elif section == "interventions":
    render_interventions(ref, key, corpus, place)
elif section == "gradients":
    render_gradients(ref, key, corpus, all_models(), place)
elif section == "attribution":
    render_attribution(ref, key, corpus, place)
elif section == "patching":
    render_patching(ref, key, corpus, place)
elif section == "preactivation":
    render_preactivation(ref, key, corpus, place)
elif section == "trajectories":
    render_trajectories(ref, key, corpus, place)
elif section == "agreement":
    render_agreement(ref, place)
else:
    render_patterns(corpus, place)
