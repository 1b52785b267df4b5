"""A Keras ConvLSTM2D model (two stacked layers, return_sequences=True, random weights) saved
as .keras and legacy .h5, with frames and Keras's own output on them: made once per test
session in a child Python (Keras is slow to import), for the importer and Upload tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_MAKE = """
import sys, keras, numpy as np
keras.utils.set_random_seed(0)
def model(padding="same", second=True):
    layers = [keras.Input((None, 6, 7, 2)),
              keras.layers.ConvLSTM2D(3, (3, 2), padding=padding, return_sequences=True, name="c1")]
    if second:
        layers.append(keras.layers.ConvLSTM2D(3, (3, 2), padding="same", return_sequences=True,
                                              name="c2"))
    m = keras.Sequential(layers)
    for k, w in enumerate(m.weights):  # random, larger than the initialisers', biases too
        w.assign(np.random.default_rng(k).uniform(-0.5, 0.5, w.shape))
    return m
stacked = model()
stacked.save(sys.argv[1] + "/stacked.keras")
stacked.save(sys.argv[1] + "/stacked.h5")
frames = np.random.default_rng(1).standard_normal((1, 5, 6, 7, 2)).astype(np.float32)
np.save(sys.argv[1] + "/frames.npy", frames[0])
np.save(sys.argv[1] + "/keras_out.npy", np.asarray(stacked.predict(frames, verbose=0)))
model(padding="valid", second=False).save(sys.argv[1] + "/valid.keras")
keras.Sequential([keras.Input((4, 6, 2)), keras.layers.ConvLSTM1D(3, 3, padding="same")]).save(
    sys.argv[1] + "/conv1d.keras")
"""


def make_convlstm_keras_files(folder: Path) -> Path:
    """stacked.keras, stacked.h5, valid.keras (padding "valid"), conv1d.keras (a ConvLSTM1D),
    frames.npy [5, 6, 7, 2] and keras_out.npy (model.predict on the frames) in ``folder``."""
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    subprocess.run([sys.executable, "-c", _MAKE, str(folder)], check=True, env=env, timeout=300)
    return folder
