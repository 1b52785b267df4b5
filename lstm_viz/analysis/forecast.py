"""Forecasts you can watch: one-step predictions against the truth, and a free-running forecast.

For a numeric next-value model (a ``SequenceModel`` with objective ``step_value`` and one input,
e.g. ``sines-lstm`` or a model trained on ``ecg``/``csv``):

    one_step(model, values)           -> predictions [T]: at step t, the forecast of x[t + 1]
    free_run(model, values, start, k) -> Forecast: the model reads x[0..start] (the truth), then
                                         its own forecasts for k - 1 more steps; trace = every
                                         gate over those start + k steps (inputs = truth, then
                                         forecasts), recorded by ``record()``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lstm_viz.models.sequence import SequenceModel
from lstm_viz.recording.recorder import record
from lstm_viz.trace import Trace

MAX_FORECAST = 2000


@dataclass(frozen=True)
class Forecast:
    start: int  # the last step read from the truth
    inputs: np.ndarray  # [start + k]: x[0..start], then the forecasts fed back
    forecast: np.ndarray  # [k]: forecasts of x[start + 1 .. start + k]
    trace: Trace  # every gate over the inputs (steps start + 1 .. are driven by forecasts)


def check_forecaster(model: SequenceModel) -> None:
    """ValueError unless ``model`` forecasts one number from one number per step."""
    config = model.config
    if config.objective != "step_value" or config.input_size != 1 or config.num_outputs != 1:
        raise ValueError(
            "a forecast needs a model that reads one number per step and predicts the next "
            f"(objective step_value, one input, one output); this one is {config.objective} with "
            f"{config.input_size or config.vocab_size} input(s)"
        )


@torch.no_grad()
def one_step(model: SequenceModel, values: np.ndarray) -> np.ndarray:
    """[T] one-step forecasts: entry t is the model's prediction of values[t + 1] after reading
    values[0..t]. ValueError for a model that is not a forecaster or non-finite values."""
    check_forecaster(model)
    x = torch.as_tensor(np.asarray(values, dtype=np.float32)).reshape(1, -1, 1)
    if x.shape[1] < 1 or not torch.isfinite(x).all():
        raise ValueError("give at least one finite value")
    out, _ = model(x)
    return out[0, :, 0].numpy()


@torch.no_grad()
def free_run(model: SequenceModel, values: np.ndarray, start: int, k: int) -> Forecast:
    """Read values[0..start], then forecast k steps feeding each forecast back as the next input.
    ValueError for a start outside the values or k outside [1, MAX_FORECAST]."""
    check_forecaster(model)
    series = np.array(values, dtype=np.float32).reshape(-1)  # a copy torch may share
    if not 0 <= start < len(series):
        raise ValueError(f"the forecast starts at step {start}; the input has {len(series)} steps")
    if not 1 <= k <= MAX_FORECAST:
        raise ValueError(f"forecast 1 to {MAX_FORECAST} steps, not {k}")
    out, state = model(torch.from_numpy(series[: start + 1]).reshape(1, -1, 1))
    y = out[:, -1:]  # [1, 1, 1]: the forecast of x[start + 1]
    forecast = [float(y)]
    for _ in range(k - 1):
        y, state = model(y, None, state)
        forecast.append(float(y))
    inputs = np.concatenate([series[: start + 1], np.array(forecast[:-1], dtype=np.float32)])
    _, trace = record(model, torch.from_numpy(inputs).reshape(1, -1, 1))
    return Forecast(start, inputs, np.array(forecast, dtype=np.float32), trace)
