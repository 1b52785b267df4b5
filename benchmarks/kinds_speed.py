"""The other recurrent kinds in record_speed.py: each shipped model's own forward against its
recording, on the input Explore gives it (CPU; these models are small and run where the app runs).

- attention decoder: pretrained/dates-attention-lstm, 16 dates; fused = ``Seq2Seq.generate``
  (the encoder's fused LSTM and greedy decoding), record = ``record_seq2seq`` (every encoder and
  decoder gate, attention weights, context vectors; the same greedy decoding).
- LSTM autoencoder: pretrained/ecg-autoencoder-lstm, 16 windows of 64 steps; fused = the
  model's forward (the reconstruction), record = ``record_autoencoder``.
- ConvLSTM: the frame model Explore opens (8 channels, 5 x 5 kernels), 20 frames of 24 x 24;
  fused = its forward, record = ``record`` of every gate map.
"""

from __future__ import annotations

from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DATES = [
    "3 March 2021",
    "3rd of March 2021",
    "March 3, 2021",
    "Mar 3 2021",
    "3 mar 2021",
    "03.03.2021",
    "2021-03-03",
    "17 September 1999",
] * 2


def kind_cases() -> list[tuple[str, object, object]]:
    """(case name, fused call, record call) for each kind, on CPU."""
    from lstm_viz import record
    from lstm_viz.models.autoencoder import load_autoencoder
    from lstm_viz.models.frames import FrameModel, FrameModelConfig
    from lstm_viz.models.seq2seq_files import load_seq2seq
    from lstm_viz.recording.autoencoder import record_autoencoder
    from lstm_viz.recording.seq2seq import record_seq2seq
    from lstm_viz.tasks import moving_shapes

    seq2seq = load_seq2seq(ROOT / "pretrained" / "dates-attention-lstm").model
    source, lengths = seq2seq.encode(DATES)
    autoencoder = load_autoencoder(ROOT / "pretrained" / "ecg-autoencoder-lstm").model
    windows = torch.randn(16, autoencoder.config.window, 1)
    frames_model = FrameModel(FrameModelConfig(hidden_channels=8, kernel_size=5)).eval()
    frames = torch.from_numpy(moving_shapes(1, steps=20, size=24, seed=0))

    def no_grad(fn):
        def call():
            with torch.no_grad():
                fn()

        return call

    return [
        (
            "attention decoder (dates, B=16)",
            no_grad(lambda: seq2seq.generate(source, lengths)),
            lambda: record_seq2seq(seq2seq, DATES),
        ),
        (
            "LSTM autoencoder (ECG, T=64, B=16)",
            no_grad(lambda: autoencoder(windows)),
            lambda: record_autoencoder(autoencoder, windows),
        ),
        (
            "ConvLSTM (20 frames, 8 ch, 24x24)",
            no_grad(lambda: frames_model(frames)),
            lambda: record(frames_model, frames),
        ),
    ]
