"""The recipes of the shipped models: task, model size and training schedule, fixed seeds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PRETRAINED_DIR = Path(__file__).resolve().parents[2] / "pretrained"
CARD = "README.md"
MAX_CARD_CHARS = 200_000  # a model card is a page of Markdown
MAX_MODEL_BYTES = 5 * 1024 * 1024  # each shipped model.safetensors stays below this
PROBE_CHUNK = 1_000  # a probe text is read in sequences of this many characters, each from a
# fresh state
PROBE_STEPS = 20_000  # validation steps searched for an interpretable unit (half to choose it,
# half to measure it)


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is made. Every field is fixed, so a rebuild is deterministic."""

    name: str  # the folder under pretrained/
    title: str  # one line for the card
    task: str  # a name in lstm_viz.tasks.TASKS
    task_params: dict[str, Any]
    cell: str = "lstm"
    hidden_size: int = 64
    num_layers: int = 1
    embedding_size: int = 32
    dropout: float = 0.0  # between recurrent layers, while training
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 3e-3
    evals_per_epoch: int = 1
    seed: int = 0
    # A warm restart (SGDR, Loshchilov & Hutter 2017): from the first schedule's best checkpoint,
    # tail_epochs more on a second cosine schedule from tail_learning_rate (a fresh AdamW, 20
    # warm-up steps, the same seed); the tail's best validation checkpoint is shipped. 0: none.
    tail_epochs: int = 0
    tail_learning_rate: float = 0.0
    features: tuple[str, ...] = ()  # the FEATURES searched for an interpretable unit
    probe_text: str = ""  # "": the task's validation data; else a name in cards.PROBE_TEXTS
    about: str = ""  # what to look for, for the card


BRACKETS = Recipe(
    "brackets-lstm",
    "Bracket depth counter (Dyck-2), LSTM",
    "dyck",
    {"types": 2, "max_depth": 6, "min_length": 20, "max_length": 50, "seed": 0},
    hidden_size=16,
    epochs=20,
    features=("depth",),
    about="A counter in the cell state: one unit steps one way at each opening bracket and "
    "back at each closing one.",
)

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        BRACKETS,
        replace(  # the twins: the same task, size and schedule, another core
            BRACKETS,
            name="brackets-gru",
            title="Bracket depth counter (Dyck-2), GRU twin of brackets-lstm",
            cell="gru",
            about="The same task and size as brackets-lstm, with a GRU: it has no separate cell "
            "state, so its counter lives in the hidden state.",
        ),
        replace(
            BRACKETS,
            name="brackets-rnn",
            title="Bracket depth counter (Dyck-2), vanilla-RNN twin of brackets-lstm",
            cell="rnn_tanh",
            about="The same task and size as brackets-lstm, with a vanilla tanh RNN: compare how "
            "well it counts and how cleanly one unit holds the depth.",
        ),
        Recipe(
            "sines-lstm",
            "Forecaster of noisy sums of sines (numeric input)",
            "sines",
            {"length": 100, "components": 3, "noise": 0.1, "seed": 0},
            hidden_size=32,
            epochs=25,
            features=("sin_phase", "cos_phase"),
            about="To forecast a wave the network tracks its phase: some units rise and fall "
            "with the sine or cosine of the main component.",
        ),
        Recipe(
            "agreement-word-lstm",
            "Word-level sentences whose verbs agree with distant subjects",
            "grammar",
            {"train_size": 5000, "validation_size": 500, "seed": 0},
            hidden_size=64,
            epochs=30,
            features=("subject_number",),
            about="To choose between 'is' and 'are' after a long modifier, the network must carry "
            "the subject's number across it: look for the unit that does.",
        ),
        Recipe(
            "english-char-lstm",
            "English, character by character (the app's default model)",
            "text-english",
            # Karpathy et al.'s War-and-Peace situation, generated (issue 20): the prose re-filled
            # at 70 columns, every paragraph that can be turned into quoted speech, read 4 times
            # an epoch, quoted anew each time (lstm_viz.tasks.text.english_task).
            {
                "seq_len": 100,
                "max_vocab": 100,
                "seed": 0,
                "wrap": 70,
                "dialogue": 1.0,
                "readings": 4,
            },
            hidden_size=128,
            num_layers=2,
            dropout=0.2,
            epochs=30,
            seed=3,
            tail_epochs=6,
            tail_learning_rate=2e-3,
            features=(
                "inside_quotes",
                "position_in_line",
                "position_in_word",
                "whitespace",
                "capital_letter",
                "punctuation",
            ),
            probe_text="stories",
            about="Two of Karpathy et al.'s (2015) cells are here: read a few lines of dialogue "
            "and follow the best unit for inside quotes, which changes while a quotation is "
            "open, and the best unit for position in line, which counts the characters since "
            "the last line break (the prose is filled at 70 columns). Then watch the forget "
            "gates at spaces and punctuation: in layer 0, 22 of the 128 units' forget gates are "
            "lower there than inside words by more than 0.2 on average (5,000 validation "
            "steps), so a few units reset at word boundaries while most do not.",
        ),
        Recipe(
            "python-char-lstm",
            "Python source code, character by character (after Karpathy et al. 2015)",
            "text-python",
            {"seq_len": 100, "max_chars": 1_000_000, "max_vocab": 100, "seed": 0},
            hidden_size=128,
            num_layers=2,
            epochs=12,
            features=("bracket_depth", "inside_quotes", "position_in_line", "whitespace"),
            about="As Karpathy et al. (2015) did, look for cells that count open brackets, "
            "switch on inside strings, or track the position in a line; which of these this "
            "small model has is measured below.",
        ),
    ]
}


@dataclass(frozen=True)
class Seq2SeqRecipe:
    """How one shipped encoder-decoder is made (lstm_viz.pretrained.seq2seq builds it)."""

    name: str
    title: str
    task: str  # "dates" (lstm_viz.tasks.dates)
    train_size: int = 10_000  # fresh training examples per epoch (seed = epoch)
    validation_size: int = 4_000
    embedding_size: int = 16
    hidden_size: int = 32
    encoder_cell: str = "lstm"
    bidirectional: bool = True
    attention: str = "additive"
    epochs: int = 4
    batch_size: int = 64
    learning_rate: float = 3e-3
    seed: int = 0
    about: str = ""


# Encoder-decoders: not SequenceModels, so kept apart from RECIPES (whose tests load every
# folder as a lstm_viz.checkpoint); `python -m lstm_viz.pretrained` builds and checks both.
SEQ2SEQ_RECIPES: dict[str, Seq2SeqRecipe] = {
    r.name: r
    for r in [
        Seq2SeqRecipe(
            "dates-attention-lstm",
            "Dates written by people rewritten as ISO dates: encoder-decoder with attention",
            "dates",
            about="Pick a generated month digit in Explore: its attention row shows which input "
            "characters it read; for a month written in words they are the month's name.",
        )
    ]
}


# ---- LSTM autoencoders (issue 18): trained on normal signal, calibrated, measured on anomalies ---


@dataclass(frozen=True)
class AutoencoderRecipe:
    """How one shipped LSTM autoencoder is made (``autoencoder_build.build_autoencoder``).

    The signal is ``lstm_viz.tasks.ecg``'s: training seed ``seed``, validation (calibration)
    seed ``seed + 1``, held-out test seed ``seed + 2``, into which ``per_kind`` anomalies of
    every kind are injected (seed ``anomaly_seed``) to measure detection."""

    name: str
    title: str
    train_seconds: int = 600
    validation_seconds: int = 120
    test_seconds: int = 600
    window: int = 64
    hidden_size: int = 48
    reverse: bool = True
    feedback: str = "signal"
    bottleneck: int = 0
    lag: int = 1
    combine: str = "mean"  # a step's error over its covering windows (analysis.anomaly)
    quantile: float = 0.995  # threshold = margin x this quantile of normal validation errors
    margin: float = 1.3
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 5e-3
    seed: int = 0
    per_kind: int = 10
    anomaly_seed: int = 3
    about: str = ""


AUTOENCODER_RECIPES: dict[str, AutoencoderRecipe] = {
    r.name: r
    for r in [
        AutoencoderRecipe(
            "ecg-autoencoder-lstm",
            "LSTM autoencoder of ECG windows that flags anomalies (after EncDec-AD)",
            hidden_size=64,
            feedback="repeat",
            epochs=60,
            about="Trained on normal beats only, its decoder has nothing but the encoder's state "
            "(Keras' RepeatVector layout), so it draws the rhythm it learned: where a beat does "
            "not come (a missing beat, a flat line) it still draws one, and sharp departures "
            "(spikes, noise, a changed amplitude) it reconstructs badly. Open it in Explore, pick "
            "a flagged step, and compare the encoder's and decoder's gates there with a normal "
            "beat.",
        )
    ]
}


# The shipped ConvLSTM (issue 19): frames in, the next frame out; its own build and card
# (lstm_viz/pretrained/frames.py), listed here so build, check and the index see every model.
from lstm_viz.pretrained.frames import FrameRecipe  # noqa: E402

MOVING_SHAPES = FrameRecipe(
    "moving-shapes-convlstm",
    "Next-frame prediction of bouncing squares and blobs, ConvLSTM",
    "moving-shapes",
    {"train_size": 1200, "validation_size": 200, "steps": 10, "size": 24, "seed": 0},
    hidden_channels=8,
    kernel_size=5,
    num_layers=1,
    steps=300,
    batch_size=16,
    learning_rate=5e-3,
    about="Open it in Explore, pick a step where a square moves, and compare the forget "
    "gate's maps with the frames: where does the cell keep its memory (f near 1), and where "
    "does it let go? Pick a pixel to see that unit's gates over time.",
)
RECIPES[MOVING_SHAPES.name] = MOVING_SHAPES
