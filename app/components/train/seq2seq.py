"""Train: the dates task with an encoder-decoder (lstm_viz.models.seq2seq), in its own form.

Training runs inside this script's run (like the sequence tasks): any click interrupts it, and
then nothing is saved; a finished run is saved under a free name in the models folder and
selected in the sidebar."""

from __future__ import annotations

import streamlit as st

from app import state
from app.text import escape_markdown
from lstm_viz.models.checkpoints import models_dir
from lstm_viz.models.names import reserve_free_name
from lstm_viz.models.seq2seq import ATTENTIONS, ENCODER_CELLS, Seq2Seq, Seq2SeqConfig
from lstm_viz.models.seq2seq_files import save_seq2seq
from lstm_viz.tasks.dates import date_examples, source_tokens, target_tokens
from lstm_viz.training.randomness import seeded
from lstm_viz.training.seq2seq import train_seq2seq

K = f"{state.TRAIN_PREFIX}.seq2seq"
# Checked against pretrained/dates-attention-lstm/README.md (the build's measurements) by
# tests/app/test_seq2seq_page.py; was "3 epochs reach ~100%" (never measured).
SHIPPED_DATES = (
    "The shipped dates-attention-lstm (32 units per direction) trained 4 epochs of 10,000 "
    "examples in 216 s on one CPU thread and rewrites all 4,000 validation inputs exactly."
)


def render_seq2seq_training() -> None:
    with st.expander("📅 Encoder-decoder with attention: dates → ISO dates", key=f"{K}.open"):
        st.caption(
            "“3rd of March 2021”, “Mar 3 2021”, “03.03.2021”, ... rewritten as 2021-03-03 by an "
            "encoder LSTM/GRU and an LSTM decoder that attends to it. " + SHIPPED_DATES
        )
        with st.form(f"{K}.form", enter_to_submit=False):  # Enter only confirms a value
            left, middle, right = st.columns(3)
            attention = left.selectbox("Attention", ATTENTIONS, key=f"{K}.attention")
            cell = left.selectbox("Encoder", ENCODER_CELLS, key=f"{K}.cell")
            bidirectional = left.checkbox("Bidirectional encoder", True, key=f"{K}.bi")
            hidden = middle.number_input("Encoder units", 4, 128, 32, key=f"{K}.hidden")
            epochs = middle.number_input("Epochs", 1, 10, 3, key=f"{K}.epochs")
            size = right.number_input(
                "Examples per epoch", 200, 50_000, 10_000, step=200, key=f"{K}.size"
            )
            seed = right.number_input("Seed", 0, 2**31 - 1, 0, key=f"{K}.seed")
            submitted = st.form_submit_button("🏋️ Train the encoder-decoder", key=f"{K}.go")
        if submitted:
            train_dates(attention, cell, bidirectional, int(hidden), int(epochs), int(size),
                        int(seed))  # fmt: skip
        done = st.session_state.get(state.TRAIN_SEQ2SEQ_DONE)
        if done:
            st.success(escape_markdown(done), icon="✅")


def train_dates(attention, cell, bidirectional, hidden, epochs, size, seed) -> None:
    try:
        config = Seq2SeqConfig(
            source_tokens(),
            target_tokens(),
            hidden_size=hidden,
            encoder_cell=cell,
            bidirectional=bidirectional,
            attention=attention,
            max_target_length=12,
        )
    except ValueError as error:
        st.error(escape_markdown(error), icon="🚫")
        return
    with seeded(seed):  # the initial weights: one session at a time (training/randomness.py)
        model = Seq2Seq(config)
    validation = [(s, t) for s, t, _, _ in date_examples("validation", 300, seed=0)]
    bar = st.progress(0.0, text="Training...")

    def step(done: int, total: int, loss: float) -> None:
        if done % 10 == 0 or done == total:
            bar.progress(done / total, text=f"step {done}/{total}, loss {loss:.4f}")

    result = train_seq2seq(
        model,
        lambda e: [(s, t) for s, t, _, _ in date_examples("train", size, seed=seed * 100 + e)],
        validation,
        epochs=epochs,
        seed=seed,
        on_step=step,
        on_epoch=lambda row: st.caption(
            f"epoch {row['epoch']:.0f}: validation exact match {row['exact_match']:.4f}"
        ),
    )
    info = {
        "task": {
            "name": "dates",
            "title": "Dates -> ISO dates",
            "metric": "exact_match",
            "params": {"validation_size": 300},
        },  # fmt: skip
        "training": {
            "seconds": round(result.seconds, 1),
            "steps": result.steps,
            "best_epoch": result.best_epoch,
            "history": result.history,
        },  # fmt: skip
    }
    with reserve_free_name(models_dir(), f"dates-{attention}-{cell}") as reservation:
        save_seq2seq(reservation.path, model, info)
    name = reservation.name
    st.session_state[state.TRAIN_SEQ2SEQ_DONE] = (
        f"Encoder-decoder {name} saved: validation exact match {result.best_exact_match:.4f} "
        f"after {result.seconds:.0f} s. It is selected in the sidebar; open Explore."
    )
    state.hand_off(state.SELECT_MODEL, f"trained/{name}")
    st.rerun()
