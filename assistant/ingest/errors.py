"""Errors that name the file and the column or field at fault, in one line."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """Bad input: the message names the file and, where it applies, the column or field."""

    def __init__(self, path: Path | str, problem: str, column: str | None = None) -> None:
        self.path = str(path)
        self.column = column
        self.problem = problem
        where = f"{self.path}: column '{column}': " if column else f"{self.path}: "
        super().__init__(where + problem)
