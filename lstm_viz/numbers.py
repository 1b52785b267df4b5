"""Numeric inputs as people give them: typed numbers and CSV files, to and from [T, F] tensors.

Used by the Explore page (its input box and CSV upload) and the importers (an uploaded layer
reading a CSV). Every problem is a ValueError that says what to fix.
"""

from __future__ import annotations

import re

import torch

from lstm_viz._csv import CsvRead, first_columns, read_csv_table  # the CSV reader, kept apart


def parse_numbers(text: str, input_size: int) -> torch.Tensor:
    """Typed numbers -> [T, input_size] float32.

    One number per step: separated by commas, spaces, semicolons or line breaks ("0.1, 0.5 -1").
    Several numbers per step: steps separated by ";" or line breaks, numbers by commas or spaces
    ("0.3 0; 0.9 1"). ValueError with the step and the offending text otherwise.
    """
    text = text.strip()
    if not text:
        raise ValueError("type some numbers, e.g. 0.1, 0.5, -0.2")
    if input_size == 1:
        rows = [[part] for part in re.split(r"[,;\s]+", text) if part]
    else:
        rows = [re.split(r"[,\s]+", row.strip()) for row in re.split(r"[;\n]+", text)]
        rows = [[p for p in row if p] for row in rows if any(row)]
    values = []
    for step, row in enumerate(rows):
        if len(row) != input_size:
            raise ValueError(
                f"step {step} has {len(row)} numbers, this model reads {input_size} per step "
                f"(separate steps with ';')"
            )
        try:
            numbers = [float(p) for p in row]
        except ValueError:
            raise ValueError(f"step {step}: {' '.join(row)!r} is not a number") from None
        if not all(abs(n) < float("inf") for n in numbers):
            raise ValueError(f"step {step}: {' '.join(row)!r} is not a finite number")
        values.append(numbers)
    return torch.tensor(values, dtype=torch.float32).reshape(len(values), input_size)


def format_numbers(values: torch.Tensor) -> str:
    """[T, F] -> the text parse_numbers reads back (3 significant digits)."""
    values = values.reshape(values.shape[0], -1)
    if values.shape[1] == 1:
        return ", ".join(f"{v:.3g}" for v in values[:, 0].tolist())
    return "; ".join(" ".join(f"{v:.3g}" for v in row) for row in values.tolist())


def read_csv_numbers(data: bytes, input_size: int, max_rows: int) -> torch.Tensor:
    """A CSV file's first ``input_size`` numeric feature columns -> [T, input_size] float32 (see
    read_csv_table, which also says which rows and columns were read)."""
    return read_csv_table(data, input_size, max_rows)[0]


__all__ = [
    "CsvRead",
    "first_columns",
    "format_numbers",
    "parse_numbers",
    "read_csv_numbers",
    "read_csv_table",
]
