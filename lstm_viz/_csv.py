"""CSV files as people write them, read into [T, F] numbers without dropping or inventing a row.

What is handled: the separator (``,`` ``;`` tab ``|``) and a decimal comma (``1,5`` with ``;``
separators) are sniffed; a header is detected (a first line of plain numbers is data, as
``np.savetxt`` writes it); an unnamed leading index column (``df.to_csv()``'s) is skipped; date
and text columns are not features. A missing value in a feature column is refused, naming its row
and column. Every read returns a ``CsvRead`` that says which rows and columns were read.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import torch

_NUMBER = re.compile(r"^[+-]?(\d+([.]\d*)?|[.]\d+)([eE][+-]?\d+)?$")
_NUMBER_COMMA = re.compile(r"^[+-]?(\d+(,\d*)?|,\d+)([eE][+-]?\d+)?$")
_SPECIAL = {"nan", "inf", "-inf", "+inf"}


@dataclass(frozen=True)
class CsvRead:
    """Which part of a CSV file was read: rows are data rows counted from 1 (file lines in
    ``lines``), ``columns`` the feature columns in order, ``skipped`` the others with why."""

    rows: tuple[int, int]  # first and last data row read, from 1
    lines: tuple[int, int]  # the same rows as file lines, from 1
    columns: tuple[str, ...]
    skipped: tuple[str, ...] = ()  # "Date (dates, not a feature)", ...
    header: bool = True
    separator: str = ","
    decimal: str = "."
    notes: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        count = self.rows[1] - self.rows[0] + 1
        sep = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(self.separator)
        text = (
            f"read {count} rows (file lines {self.lines[0]}-{self.lines[1]}) and columns "
            f"{', '.join(self.columns)}; separator {sep}, decimal '{self.decimal}', "
            + ("header on line 1" if self.header else "no header (the first line is data)")
        )
        if self.skipped:
            text += "; not read: " + ", ".join(self.skipped)
        return "; ".join([text, *self.notes])


def first_columns(count: int) -> str:
    """What a model of ``count`` input features reads from a CSV, in words: "its first numeric
    column", "its first 3 numeric columns"."""
    return "its first numeric column" if count == 1 else f"its first {count} numeric columns"


def _columns(count: int) -> str:
    return f"{count} numeric column{'' if count == 1 else 's'}"


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _separator(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        return max(counts, key=counts.get) if any(counts.values()) else ","


def _is_number(cell: str, decimal: str) -> bool:
    cell = cell.strip()
    if cell.lower() in _SPECIAL:
        return True
    return bool((_NUMBER_COMMA if decimal == "," else _NUMBER).match(cell))


def _to_float(cell: str, decimal: str) -> float:
    cell = cell.strip()
    return float(cell.replace(",", ".") if decimal == "," else cell)


def read_csv_table(data: bytes, input_size: int, max_rows: int) -> tuple[torch.Tensor, CsvRead]:
    """A CSV file's first ``input_size`` numeric feature columns -> ([T, input_size] float32,
    what was read). ValueError, one line saying what to fix, for an unreadable file, too few
    numeric columns (pointing at the separator or decimal comma when that is the likely cause),
    a missing or non-numeric value in a feature column (its row and column), infinite numbers,
    or no data rows. Rows beyond ``max_rows`` are not read, and the note says so."""
    import pandas as pd

    if not data:
        raise ValueError("no CSV given")
    text = _decode(data)
    sep = _separator(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
            skip_blank_lines=True, engine="python",
        )  # fmt: skip
    except Exception as error:  # pandas raises many types for a broken file
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"not a readable CSV file: {first[:200]}") from None
    if frame.empty:
        raise ValueError("the CSV is empty")
    cells = frame.fillna("").to_numpy().tolist()
    body_sample = [c for row in cells[1:50] for c in row if c.strip()]
    decimal = "."
    if sep != "," and any(_is_number(c, ",") and "," in c for c in body_sample):
        decimal = ","
    header = not all(_is_number(c, decimal) for c in cells[0] if c.strip()) or not any(
        c.strip() for c in cells[0]
    )
    if header:
        names = [c.strip() for c in cells[0]]
    else:
        names = [f"column {i + 1}" for i in range(len(cells[0]))]
    rows = cells[1:] if header else cells
    first_line = 2 if header else 1
    notes = []
    if len(rows) > max_rows:
        notes.append(f"rows after row {max_rows} not read (at most {max_rows} steps)")
        rows = rows[:max_rows]
    if not rows:
        raise ValueError("the CSV has a header and no data rows")
    features, skipped = [], []
    for j, name in enumerate(names):
        column = [row[j] if j < len(row) else "" for row in rows]
        filled = [c for c in column if c.strip()]
        numeric = filled and all(_is_number(c, decimal) for c in filled)
        if j == 0 and name.lower() in ("", "unnamed: 0", "index") and numeric:
            values = [_to_float(c, decimal) for c in filled]
            if len(filled) == len(column) and values in (
                [float(i) for i in range(len(values))],
                [float(i + 1) for i in range(len(values))],
            ):
                skipped.append(f"{name or 'the first column'} (a row index)")
                continue
        if numeric:
            features.append((j, name))
        elif filled and _dates(filled):
            skipped.append(f"{name} (dates, not a feature)")
        else:
            skipped.append(f"{name} (not numbers)")
    if len(features) < input_size:
        hint = ""
        if sep == "," and re.search(r"\d;\d|;", text.splitlines()[0]):
            hint = "; it looks ';'-separated: check the separator"
        elif sep == "," and decimal == "." and re.search(r"\d,\d", text):
            hint = "; numbers may use a decimal comma"
        raise ValueError(
            f"the CSV has {_columns(len(features))} (separator {sep!r}, decimal "
            f"{decimal!r}): {', '.join(n for _, n in features) or 'none'}; this model reads "
            f"{input_size}{hint}. Skipped: {', '.join(skipped) or 'none'}"
        )
    if len(features) > input_size:
        extra = ", ".join(n for _, n in features[input_size:])
        notes.append(f"only the first {input_size} numeric columns are read; not read: {extra}")
    chosen = features[:input_size]
    values = []
    for i, row in enumerate(rows):
        line = []
        for j, name in chosen:
            cell = row[j] if j < len(row) else ""
            if not cell.strip():
                raise ValueError(
                    f"row {i + 1} (file line {i + first_line}), column {name!r} is empty "
                    "(a missing value): a time series step is never dropped or filled in "
                    "silently; fill it in or remove the row, then upload again"
                )
            line.append(_to_float(cell, decimal))
        values.append(line)
    tensor = torch.tensor(values, dtype=torch.float32).reshape(len(values), input_size)
    if not bool(torch.isfinite(tensor).all()):
        bad = int((~torch.isfinite(tensor)).any(dim=1).nonzero()[0, 0])
        raise ValueError(f"row {bad + 1} (file line {bad + first_line}) holds NaN or infinity")
    read = CsvRead(
        rows=(1, len(values)),
        lines=(first_line, first_line + len(values) - 1),
        columns=tuple(n for _, n in chosen),
        skipped=tuple(skipped),
        header=header,
        separator=sep,
        decimal=decimal,
        notes=tuple(notes),
    )
    return tensor, read


def _dates(cells: list[str]) -> bool:
    import pandas as pd

    if not any(re.search(r"\d[-/.:]\d", c) for c in cells[:20]):
        return False
    try:
        pd.to_datetime(pd.Series(cells[:200]), errors="raise", format="mixed")
    except (ValueError, TypeError, OverflowError):
        return False
    return True
