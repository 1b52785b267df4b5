"""Explore's Predictions view: the top-k next tokens after each step (language models)."""

from __future__ import annotations

import streamlit as st

from app import classroom
from app.resources import ModelRef, load_model, predictions
from app.text import escape_markdown
from lstm_viz.models import head

# lstm_viz.figures.predictions (altair, pandas) is imported by the view that draws it: the
# heatmaps, where a class starts, do without, and the first page run of a new server is shorter
# (pandas' import alone holds the GIL about 0.35 s: every session waits).


def language_model(ref: ModelRef) -> bool:
    """Whether ``ref``'s model predicts the next token over its vocabulary: trained here as a
    language model, or uploaded with a head read as next-token scores (lstm_viz.models.head)."""
    return predictions_absent(ref) is None


def predictions_absent(ref: ModelRef) -> str | None:
    """None when Predictions can be shown for ``ref``'s model; else why not, in words (the end
    of a sentence: "Predictions is not offered: ...")."""
    checkpoint = load_model(ref)
    vocab, config, info = checkpoint.vocab, checkpoint.model.config, checkpoint.info
    objective = getattr(config, "objective", None)
    outputs = getattr(config, "num_outputs", None)
    if vocab is None:
        return "the model reads numbers, not tokens, so there is no next token to guess"
    # lstm_viz.figures.predictions.is_language_model's rule for a model trained here (without
    # importing that module on every page), then an upload's head (lstm_viz.models.head)
    if objective == "next_token":
        if outputs == len(vocab):
            return None
        return f"its head has {outputs} outputs, its vocabulary {len(vocab)} tokens"
    if head.next_token_outputs(info, outputs, len(vocab)) is not None:
        return None  # an upload whose head scores the next token
    why = head.why_not(info)
    if why:
        return why
    what = {
        "step_class": "classifies each step",
        "sequence_class": "classifies the whole input",
        "step_value": "predicts values",
        "sequence_value": "predicts values",
    }.get(objective, "does something else")
    return f"its head {what}: it does not score the next token"


def render_predictions(ref: ModelRef, text: str, key: str) -> None:
    """The top-k table after each step and the chart of one step's guesses."""
    from lstm_viz.figures.predictions import top_k_chart

    absent = predictions_absent(ref)
    if absent is not None:
        st.info(
            f"No next-token predictions to show: {escape_markdown(absent)}.",
            icon="ℹ️",
        )
        return
    k = st.slider(
        "How many guesses per step (k)", 1, 10, 5, key=f"{key}.pred_k", persist_state="session"
    )
    table = predictions(ref, text, k)
    mean_p = table["p(next)"].mean()
    first = (table["rank of next"] == 1).mean() if len(table) > 1 else float("nan")
    st.caption(
        f"After each step, the model's {k} most likely next tokens with their probabilities; "
        f"✓ marks the token that actually comes next. Mean p(next) {mean_p:.2f}; the first "
        f"guess is right at {first:.0%} of the steps."
    )
    checkpoint = load_model(ref)
    info = checkpoint.info
    if head.KEY in info:  # an upload: what its head is read as, said
        outputs = checkpoint.model.config.num_outputs
        words = (
            f"The file does not say what its head predicts: its {outputs} outputs, one per "
            "embedding row, are read as the next token's scores (softmax over them)."
        )
        if head.only_ids(info):
            words += (
                " It came without a vocabulary, so every token is shown as its **id** in the file "
                "(output 7 scores id 7): upload a vocab.json with it to see words."
            )
        st.caption("📤 " + words)
    shown = table.drop(columns=["top_tokens", "top_shown", "top_probs", "next_token"])
    st.dataframe(
        shown,
        key=f"{key}.pred_table",
        hide_index=True,
        height=min(420, 38 + 35 * len(shown)),
        column_config={
            "p(next)": st.column_config.ProgressColumn(
                "p(next)", min_value=0.0, max_value=1.0, format="%.2f"
            )
        },
    )
    step = st.slider("Step", 0, len(table) - 1, 0, key=f"{key}.pred_step", persist_state="session")
    st.altair_chart(
        classroom.on_screen_chart(top_k_chart(table, step)),
        key=f"{key}.pred_chart",
        width="stretch",
    )
