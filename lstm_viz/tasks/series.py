"""Time-series forecasting: at every step, predict the next value.

sines  noisy sums of sines, each sequence with its own periods and phases. The known hidden
       variable ``phase`` is the phase of the main (largest) component after each step, an angle
       in [0, 2*pi): the network must estimate it from noisy values to forecast well.
csv    a numeric column of the user's own CSV file, normalized with the training part's mean
       and standard deviation, cut into overlapping windows. Train = the first 80% of the time,
       validation = the rest (by default), so validation is the future. No hidden variable.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import torch

from ._common import INLINE_CHARS, lengths_of, pad_floats, read_text
from .base import Batch, Task

if TYPE_CHECKING:
    import pandas as pd

MIN_CSV_ROWS = 50  # fewer values leave too little to learn from and to validate on
MAX_CSV_CHARS = 20_000_000  # a larger file is more than a CPU trains on interactively

Split = Literal["train", "validation"]


def collate_values(
    examples: Sequence[torch.Tensor], hidden: Sequence[torch.Tensor] | None
) -> Batch:
    """Rows of values [T_b + 1] -> inputs x[t] [B, T, 1], targets x[t + 1] [B, T, 1] (0 on pad)."""
    return Batch(
        inputs=pad_floats([e[:-1, None] for e in examples], 0.0),  # [B, T, 1]
        targets=pad_floats([e[1:, None] for e in examples], 0.0),  # [B, T, 1]
        lengths=lengths_of([e[:-1] for e in examples]),  # [B]
        hidden=None if hidden is None else pad_floats(hidden),  # [B, T], NaN on padding
    )


class SinesTask(Task):
    """Forecast noisy sums of sines one step ahead (see the module docstring)."""

    def __init__(
        self,
        length: int = 100,
        components: int = 3,
        noise: float = 0.1,
        min_period: float = 8.0,
        max_period: float = 40.0,
        train_size: int = 1000,
        validation_size: int = 200,
        seed: int = 0,
    ) -> None:
        if min_period > max_period:
            raise ValueError(f"min_period ({min_period}) must be <= max_period ({max_period})")
        super().__init__(
            name="sines",
            title="Noisy sums of sines",
            description="Predict the next value of a noisy sum of sines. To forecast, the network "
            "must track each wave's phase; look for units that rotate with the main one.",
            objective="step_value",
            num_outputs=1,
            vocab=None,
            input_size=1,
            hidden_variable="phase",
            metric="mse",
            seed=seed,
            params={
                "length": length,
                "components": components,
                "noise": noise,
                "min_period": min_period,
                "max_period": max_period,
                "train_size": train_size,
                "validation_size": validation_size,
                "seed": seed,
            },
        )
        generator = torch.Generator().manual_seed(seed)
        self._splits = {}
        for split, size in (("train", train_size), ("validation", validation_size)):
            shape = (size, components)
            period = min_period + (max_period - min_period) * torch.rand(shape, generator=generator)
            start = 2 * math.pi * torch.rand(shape, generator=generator)  # phase at t = 0
            amplitude = 0.2 + 0.3 * torch.rand(shape, generator=generator)
            amplitude[:, 0] = 1.0  # component 0 is the main one
            t = torch.arange(length + 1, dtype=torch.float32)
            angle = 2 * math.pi * t / period[..., None] + start[..., None]  # [N, C, T + 1]
            values = (amplitude[..., None] * torch.sin(angle)).sum(1)  # [N, T + 1]
            values += noise * torch.randn(values.shape, generator=generator)
            phase = torch.remainder(angle[:, 0, :-1], 2 * math.pi)  # [N, T]
            self._splits[split] = list(zip(values, phase, strict=True))

    def sequences(self, split: Split) -> Sequence[tuple[torch.Tensor, torch.Tensor]]:
        """(values [T + 1], phase [T]) per sequence."""
        return self._splits[split]

    def collate(self, examples: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> Batch:
        return collate_values([values for values, _ in examples], [phase for _, phase in examples])

    def sample(self) -> torch.Tensor:
        """[T, 1]: the inputs of the first validation sequence."""
        return self._splits["validation"][0][0][:-1, None]


class Windows(Sequence):
    """Overlapping windows [w + 1] of a series [N], every ``stride`` steps and one at the end."""

    def __init__(self, series: torch.Tensor, window: int, stride: int) -> None:
        self.series = series
        self.width = min(window, len(series) - 1) + 1
        last = len(series) - self.width
        self.starts = list(range(0, last + 1, stride))
        if self.starts[-1] != last:
            self.starts.append(last)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        start = self.starts[i]
        return self.series[start : start + self.width]


class CsvTask(Task):
    """Forecast one column of the user's CSV file one step ahead (see the module docstring)."""

    def __init__(self, series: torch.Tensor, column: str, *, params: dict, seed: int) -> None:
        super().__init__(
            name="csv",
            title=f"Your CSV column {column!r}",
            description=f"Predict the next value of column {column!r} ({len(series):,} rows), "
            "normalized to mean 0 and standard deviation 1 on the training part.",
            objective="step_value",
            num_outputs=1,
            vocab=None,
            input_size=1,
            metric="mse",
            seed=seed,
            params=params,
        )
        cut = round(len(series) * (1 - params["validation_fraction"]))
        mean, std = params["mean"], params["std"]
        normalized = ((series - mean) / std).float()  # [N]
        window, stride = params["window"], params["stride"]
        self._splits = {
            "train": Windows(normalized[:cut], window, stride),
            "validation": Windows(normalized[cut:], window, stride),
        }

    def sequences(self, split: Split) -> Sequence[torch.Tensor]:
        """Windows of normalized values [w + 1]; the last value of each is only a target."""
        return self._splits[split]

    def collate(self, examples: Sequence[torch.Tensor]) -> Batch:
        return collate_values(examples, None)

    def sample(self) -> torch.Tensor:
        """[w, 1]: the inputs of the first validation window."""
        return self._splits["validation"][0][:-1, None]


# sines_task: Noisy sums of ``components`` sines, one-step-ahead forecasting; hidden: the main
# phase. The factory is the class itself, so the defaults are written once (in __init__).
sines_task = SinesTask


def csv_task(
    data: str | bytes,
    column: str | None,
    window: int = 50,
    stride: int = 5,
    validation_fraction: float = 0.2,
    mean: float | None = None,
    std: float | None = None,
    seed: int = 0,
) -> CsvTask:
    """Forecast ``column`` of the CSV text ``data`` (a header row, then one row per time step).

    ``mean`` and ``std`` normalize the values; by default they are the training part's (the task's
    params keep them, so a rebuilt task normalizes the same way). ValueError, with a message that
    says what to fix, for: no column chosen, an unknown column, a non-numeric or empty cell (which
    row), fewer than MIN_CSV_ROWS rows, an empty, binary or over-limit (MAX_CSV_CHARS) file, or a
    column that does not vary.
    """
    text = read_text(data, "CSV file", MAX_CSV_CHARS)
    values = _read_column(text, column)
    if len(values) < MIN_CSV_ROWS:
        raise ValueError(
            f"column {column!r} has {len(values)} rows; at least {MIN_CSV_ROWS} are needed"
        )
    if not 0.05 <= validation_fraction <= 0.5:
        raise ValueError(f"validation_fraction must be in [0.05, 0.5], got {validation_fraction}")
    series = torch.tensor(values.to_numpy(), dtype=torch.float64)  # [N]
    cut = round(len(series) * (1 - validation_fraction))
    mean = float(series[:cut].mean()) if mean is None else float(mean)
    std = float(series[:cut].std()) if std is None else float(std)
    if not std > 0:
        raise ValueError(
            f"column {column!r} does not vary in the training part (standard deviation 0): "
            "there is nothing to forecast"
        )
    params = {
        **({"data": text} if len(text) <= INLINE_CHARS else {}),
        "column": column,
        "window": window,
        "stride": stride,
        "validation_fraction": validation_fraction,
        "mean": mean,
        "std": std,
        "seed": seed,
    }
    return CsvTask(series, str(column), params=params, seed=seed)


def _read_column(text: str, column: str | None) -> pd.Series:
    """The chosen column as floats; ValueError naming the columns or the first bad row."""
    import pandas as pd  # here: importing pandas holds the GIL ~0.35 s, a stall for every session

    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise ValueError("the CSV file has no header row") from None
    except (pd.errors.ParserError, ValueError) as error:
        reason = str(error).strip().split("\n")[0]
        raise ValueError(f"the CSV file could not be read: {reason}") from None
    columns = ", ".join(repr(str(c)) for c in frame.columns)
    if column is None or not str(column).strip():
        raise ValueError(f"no column chosen; choose one of: {columns}")
    if column not in frame.columns:
        raise ValueError(f"the CSV file has no column {column!r}; its columns are: {columns}")
    cells = frame[column].str.strip()
    values = pd.to_numeric(cells, errors="coerce")
    bad = values.isna() | values.isin([math.inf, -math.inf])
    if bad.any():
        row = int(bad.to_numpy().argmax())
        cell = cells.iloc[row]
        what = "an empty cell" if cell == "" else f"a non-numeric cell {cell[:40]!r}"
        raise ValueError(
            f"column {column!r} has {what} in row {row + 1} (counting data rows from 1, after "
            "the header); every cell must be a number"
        )
    return values.astype(float)
