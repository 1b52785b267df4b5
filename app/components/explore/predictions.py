"""Explore's Predictions view: the top-k next tokens after each step (language models)."""

from __future__ import annotations

import streamlit as st

from app import classroom
from app.resources import ModelRef, load_model, predictions

# lstm_viz.figures.predictions (altair, pandas) is imported by the view that draws it: the
# heatmaps, where a class starts, do without, and the first page run of a new server is shorter
# (pandas' import alone holds the GIL about 0.35 s: every session waits).


def language_model(ref: ModelRef) -> bool:
    """Whether ``ref``'s model predicts the next token over its vocabulary."""
    checkpoint = load_model(ref)
    vocab, config = checkpoint.vocab, checkpoint.model.config
    # lstm_viz.figures.predictions.is_language_model, without importing that module on every page
    return (
        vocab is not None
        and getattr(config, "objective", None) == "next_token"
        and getattr(config, "num_outputs", None) == len(vocab)
    )


def render_predictions(ref: ModelRef, text: str, key: str) -> None:
    """The top-k table after each step and the chart of one step's guesses."""
    from lstm_viz.figures.predictions import top_k_chart

    if not language_model(ref):
        st.info(
            "This model does not predict the next token (it is not a language model over its "
            "vocabulary), so there are no next-token predictions to show.",
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
    shown = table.drop(columns=["top_tokens", "top_probs", "next_token"])
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
