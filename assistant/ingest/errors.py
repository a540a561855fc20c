"""Errors that name the file, the column or field, and the row at fault, in one line."""

from __future__ import annotations

import numbers
from pathlib import Path


class IngestError(Exception):
    """Bad input: the message names the file and, where they apply, the column or field and the row.

    `row` is the 1-based line number in the file (the header is line 1), so a user can open the file there.
    """

    def __init__(self, path: Path | str, problem: str, column: str | None = None, row: int | None = None) -> None:
        self.path = str(path)
        self.column = column
        self.row = row
        self.problem = problem
        where = self.path
        if column:
            where += f": column '{column}'"
        if row is not None:
            where += f": line {row}"
        super().__init__(f"{where}: {problem}")


def line_of(index: object) -> int | None:
    """The file line of a row read with a default RangeIndex (line 1 is the header)."""
    return int(index) + 2 if isinstance(index, numbers.Integral) else None
