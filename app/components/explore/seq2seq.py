"""Explore for encoder-decoder models: the attention matrix linked to the decoder's and the
encoder's gates, and an attribution of the same outputs beside the attention."""

from __future__ import annotations

import streamlit as st

from app import state
from app.components.explore.export import plotly_config
from app.resources import (
    MAX_SEQ2SEQ_CHARS,
    ModelRef,
    load_seq2seq_model,
    model_scales,
    model_version,
    seq2seq_analysis,
)
from app.text import escape_markdown
from lstm_viz.analysis.scales import scale_sentence
from lstm_viz.figures.attention import attention_matrix, attention_vs_attribution
from lstm_viz.figures.heatmap import heatmap
from lstm_viz.quantities import display_order, display_token, label
from lstm_viz.recording.seq2seq import generated_text

DEFAULT_INPUTS = {"dates": "3rd of March 2021"}


def render_seq2seq_explore(ref: ModelRef) -> None:
    """The whole Explore page for an encoder-decoder (``ref.kind == "seq2seq"``)."""
    key = f"{state.EXPLORE_PREFIX}.seq2seq.{ref.id}"
    try:
        checkpoint = load_seq2seq_model(ref)
    except (ValueError, OSError) as error:
        st.error(f"**{escape_markdown(ref.name)}** cannot be read: {escape_markdown(error)}")
        st.stop()
    config = checkpoint.model.config
    task = (checkpoint.info.get("task") or {}).get("name") or ""
    encoder = f"{'bidirectional ' if config.bidirectional else ''}{config.encoder_cell.upper()}"
    st.caption(
        f"**{escape_markdown(ref.name)}** · encoder-decoder · {encoder} encoder "
        f"({config.hidden_size} units per direction) → LSTM decoder ({config.decoder_size} "
        f"units), {config.attention} attention"
    )
    handed = state.take(state.EXPLORE_INPUT)  # e.g. from a Learn tour
    if handed:
        st.session_state[f"{key}.input"] = handed[:MAX_SEQ2SEQ_CHARS]
    st.session_state.setdefault(f"{key}.input", DEFAULT_INPUTS.get(task, ""))
    text = st.text_input(
        "Input",
        max_chars=MAX_SEQ2SEQ_CHARS,
        key=f"{key}.input",
        help="What the encoder reads, character by character; the decoder writes the output.",
    )
    if not text:
        st.info("Type an input above: the model rewrites it.", icon="⌨️")
        st.stop()
    try:
        recording, attribution = seq2seq_analysis(ref.path, model_version(ref), text)
    except ValueError as error:
        st.error(f"The model cannot read this input: {escape_markdown(error)}", icon="🚫")
        st.stop()
    generated = recording.generated[0]
    st.markdown(f"Output: **{escape_markdown(generated_text(generated))}**")
    st.caption(
        "The model always writes an answer of the form it was trained on: given text that is "
        "not one of its input forms, its output means nothing."
    )
    steps = len(generated)
    step = st.select_slider(
        "Generated token (step through the decoding)",
        options=list(range(steps)),
        value=min(5, steps - 1),
        format_func=lambda t: f"step {t}: {display_token(generated[t])!r}",
        key=f"{key}.step",
    )
    source = attribution.source
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            attention_matrix(attribution.attention, source, generated, selected=step),
            key=f"{key}.attention",
            config=plotly_config(f"{key}.attention"),
        )
    with right:
        st.plotly_chart(
            attention_matrix(
                attribution.share,
                source,
                generated,
                heading="Attribution (integrated gradients)",
                subtitle="share of |IG| of log p(token) per source character",
                selected=step,
                colour_title="share",
            ),
            key=f"{key}.attribution",
            config=plotly_config(f"{key}.attribution"),
        )
    st.plotly_chart(
        attention_vs_attribution(
            attribution.attention[step], attribution.share[step], source, generated[step]
        ),
        key=f"{key}.bars",
        config=plotly_config(f"{key}.bars"),
    )
    render_agreement(attribution)
    render_gates(recording, step, key, model_scales(ref))


def render_agreement(attribution) -> None:
    agree = attribution.agree
    lines = [
        f"Attention and attribution put their largest weight on the same character for "
        f"**{int(agree.sum())} of {len(agree)}** generated tokens."
    ]
    for t, token, by_attention, by_attribution in attribution.disagreements():
        (at_a, char_a), (at_b, char_b) = by_attention, by_attribution
        lines.append(
            f"- step {t} (“{escape_markdown(display_token(token))}”): attention → "
            f"“{escape_markdown(display_token(char_a))}” (position {at_a}), attribution → "
            f"“{escape_markdown(display_token(char_b))}” (position {at_b})"
        )
    st.markdown("\n".join(lines))
    st.caption(
        "Attention says where the decoder looked; attribution says which characters changed "
        "its output (Jain and Wallace 2019: the two often differ). Integrated gradients from "
        "all-padding embeddings, 24 steps."
    )


def render_gates(recording, step: int, key: str, scales=None) -> None:
    """The decoder's gates with the chosen step outlined, and the encoder's. ``scales``: the
    model's fixed colour scales (scales.json, one part each for the encoder and the decoder):
    the cell state's colours then mean the same on every input; a caption says which."""
    decoder_scales = scales.part("decoder") if scales is not None else None
    encoder_scales = scales.part("encoder") if scales is not None else None
    decoder, encoder = recording.decoder, recording.encoder
    quantity = st.radio(
        "Gate or state",
        options=list(display_order(decoder.names)),
        format_func=label,
        horizontal=True,
        key=f"{key}.quantity",
    )
    left, right = st.columns(2)
    with left:
        bound = decoder_scales.bound(quantity, 0) if decoder_scales is not None else None
        figure = heatmap(decoder, quantity, bound=bound)
        figure.update_layout(title=dict(text=f"Decoder: {label(quantity)}"))
        figure.add_shape(
            type="rect",
            yref="paper",
            x0=step - 0.5,
            x1=step + 0.5,
            y0=0,
            y1=1,
            line=dict(color="#d62728", width=2),
        )
        st.plotly_chart(figure, key=f"{key}.decoder", config=plotly_config(f"{key}.decoder"))
    with right:
        names = encoder.names
        shown = quantity if quantity in names else "hidden"
        direction = 0
        if encoder.num_directions > 1:
            direction = st.radio(
                "Encoder direction",
                options=[0, 1],
                format_func=lambda d: ("forward", "backward")[d],
                horizontal=True,
                key=f"{key}.direction",
            )
        bound = encoder_scales.bound(shown, 0, direction) if encoder_scales is not None else None
        figure = heatmap(encoder, shown, direction=direction, bound=bound)
        figure.update_layout(title=dict(text=f"Encoder: {label(shown)}"))
        st.plotly_chart(figure, key=f"{key}.encoder", config=plotly_config(f"{key}.encoder"))
    notes = [
        f"{part}: {sentence}"
        for part, part_scales, name, way in (
            ("Decoder", decoder_scales, quantity, 0),
            ("Encoder", encoder_scales, shown, direction),
        )
        if (sentence := scale_sentence(name, 0, way, part_scales))
    ]
    if notes:
        st.caption(" ".join(notes))
