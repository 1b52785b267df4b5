"""The CSV readers' words for columns: singular and plural, never "column(s)"."""

from __future__ import annotations

import pytest

from lstm_viz.numbers import first_columns, read_csv_table


def test_first_columns_in_words():
    assert first_columns(1) == "its first numeric column"
    assert first_columns(3) == "its first 3 numeric columns"


def test_too_few_columns_says_how_many_in_words():
    with pytest.raises(ValueError, match=r"the CSV has 1 numeric column \(") as error:
        read_csv_table(b"a\n1\n2\n", input_size=2, max_rows=10)
    assert "column(s)" not in str(error.value)
