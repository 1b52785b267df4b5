"""Train: an LSTM autoencoder of normal signal (lstm_viz.models.autoencoder), in its own form.

The signal is the ECG-like task's, a noisy sum of sines, or a column of the user's CSV file
(lstm_viz.training.autoencoder.training_signals). Training runs inside this script's run (like
the encoder-decoder form): any click interrupts it and nothing is saved; the time limit ends it
early and keeps the best epoch. The finished model is calibrated on its validation signal
(lstm_viz.analysis.anomaly.calibrate), saved under a free name in the models folder and selected
in the sidebar; Explore opens it in the anomaly view."""

from __future__ import annotations

import time

import streamlit as st

from app import state
from app.text import escape_markdown
from lstm_viz.models.checkpoints import models_dir
from lstm_viz.models.names import reserve_free_name

K = f"{state.TRAIN_PREFIX}.autoencoder"
DONE = f"{K}.done"  # what the last autoencoder training saved
SOURCES = {"ecg": "ECG-like signal", "sines": "Noisy sum of sines", "csv": "Your CSV column"}


def render_autoencoder_training() -> None:
    with st.expander("🫀 LSTM autoencoder: learn normal signal, flag anomalies", key=f"{K}.open"):
        st.caption(
            "An encoder LSTM reads a window of the signal, a decoder LSTM reconstructs it; the "
            "threshold on the reconstruction error is calibrated on normal validation signal. "
            "A few epochs of 300 s of ECG take about a minute on a laptop CPU."
        )
        source = st.selectbox(
            "Signal", list(SOURCES), format_func=SOURCES.get, key=f"{K}.source"
        )  # outside the form: the CSV inputs follow it
        data, column = None, None
        if source == "csv":
            file = st.file_uploader("CSV file", type=["csv", "txt"], key=f"{K}.csv")
            data = file.getvalue() if file is not None else None
            column = st.text_input("Column", key=f"{K}.column", placeholder="value")
        with st.form(f"{K}.form", enter_to_submit=False):  # Enter only confirms a value
            left, middle, right = st.columns(3)
            window = left.number_input("Window (steps)", 16, 256, 64, key=f"{K}.window")
            hidden = left.number_input("Units", 4, 128, 32, key=f"{K}.hidden")
            feedback = left.selectbox(
                "Decoder input",
                ["signal", "repeat"],
                format_func={
                    "signal": "the true value before (EncDec-AD)",
                    "repeat": "the encoder's state (Keras)",
                }.get,
                key=f"{K}.feedback",
            )
            seconds = middle.number_input(
                "Seconds of signal (ECG, sines)", 20, 1200, 300, key=f"{K}.seconds"
            )
            epochs = middle.number_input("Epochs", 1, 100, 5, key=f"{K}.epochs")
            limit = right.number_input("Time limit (s)", 5, 3600, 120, key=f"{K}.limit")
            seed = right.number_input("Seed", 0, 2**31 - 1, 0, key=f"{K}.seed")
            submitted = st.form_submit_button("🏋️ Train the autoencoder", key=f"{K}.go")
        if submitted:
            settings = {
                "window": int(window),
                "hidden": int(hidden),
                "feedback": feedback,
                "seconds": float(seconds),
                "epochs": int(epochs),
                "limit": float(limit),
                "seed": int(seed),
            }
            train_autoencoder_page(source, data, column, settings)
        done = st.session_state.get(DONE)
        if done:
            st.success(escape_markdown(done), icon="✅")


def train_autoencoder_page(source: str, data, column, settings: dict) -> None:
    """Train, calibrate and save; a clear message (never a traceback) for bad input."""
    from lstm_viz.analysis.anomaly import calibrate
    from lstm_viz.models.autoencoder import Autoencoder, AutoencoderConfig, save_autoencoder
    from lstm_viz.training.autoencoder import train_autoencoder, training_signals

    try:
        if source == "csv" and not data:
            raise ValueError("no CSV file uploaded; upload one and name its column")
        train, validation = training_signals(
            source,
            seconds=settings["seconds"],
            seed=settings["seed"],
            data=data,
            column=column or None,
        )
        config = AutoencoderConfig(
            hidden_size=settings["hidden"], window=settings["window"], feedback=settings["feedback"]
        )
    except ValueError as error:
        st.error(escape_markdown(f"Cannot train: {error}"), icon="🚫")
        return
    bar = st.progress(0.0, text="Training...")
    start = time.perf_counter()

    def step(done: int, total: int, loss: float) -> None:
        if done % 5 == 0 or done == total:
            bar.progress(done / total, text=f"step {done}/{total}, loss {loss:.4f}")

    def over_time() -> bool:
        return time.perf_counter() - start > settings["limit"]

    try:
        result = train_autoencoder(
            train,
            validation,
            config,
            epochs=settings["epochs"],
            seed=settings["seed"],
            on_progress=step,
            should_stop=over_time,
        )
        anomaly = calibrate(result.model, validation)
    except ValueError as error:
        st.error(escape_markdown(f"Cannot train: {error}"), icon="🚫")
        return
    title = SOURCES[source] + (f" {column!r}" if source == "csv" else "")
    info = {
        "task": {"name": source, "title": title, "params": {"seed": settings["seed"]}},
        "metrics": {"validation_mse": result.validation_mse},
        "training": {
            "step": result.steps,
            "seconds": round(result.seconds, 1),
            "stopped_at_limit": over_time(),
        },
    }
    with reserve_free_name(models_dir(), f"{source}-autoencoder") as reservation:
        save_autoencoder(
            reservation.path, Autoencoder(reservation.path, result.model, anomaly, info)
        )
    limit = " (stopped at the time limit; the best epoch is kept)" if over_time() else ""
    st.session_state[DONE] = (
        f"Autoencoder {reservation.name} saved after {result.seconds:.0f} s{limit}: "
        f"reconstruction error {result.validation_mse:.5f} per step, threshold "
        f"{anomaly['threshold']:.4f}. It is selected in the sidebar; open Explore."
    )
    state.hand_off(state.SELECT_MODEL, f"trained/{reservation.name}")
    st.rerun()
