"""training_signals: the normal signal an autoencoder trains on, from ECG, sines or a CSV."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_viz.tasks.ecg import ecg_signal
from lstm_viz.training.autoencoder import training_signals


def test_ecg_and_sines_give_train_and_a_fifth_as_much_validation():
    train, validation = training_signals("ecg", seconds=10, seed=3)
    np.testing.assert_allclose(train, ecg_signal(500, 3)[0], atol=1e-6)
    np.testing.assert_allclose(validation, ecg_signal(100, 4)[0], atol=1e-6)
    train, validation = training_signals("sines", seconds=10, seed=3)
    assert (len(train), len(validation)) == (500, 100) and train.dtype == np.float32
    again, _ = training_signals("sines", seconds=10, seed=3)
    np.testing.assert_array_equal(train, again)


def test_a_csv_column_is_split_and_bad_input_says_what_to_fix():
    csv = "t,v\n" + "".join(f"{i},{i % 7}\n" for i in range(300))
    train, validation = training_signals("csv", data=csv, column="v")
    assert (len(train), len(validation)) == (240, 60)
    np.testing.assert_array_equal(train[:8], [0, 1, 2, 3, 4, 5, 6, 0])
    with pytest.raises(ValueError, match="no column 'w'"):
        training_signals("csv", data=csv, column="w")
    with pytest.raises(ValueError, match="unknown signal source"):
        training_signals("noise")
