"""Shared by the analysis tools: the error they raise for a request or input the data cannot answer."""

from __future__ import annotations


class AnalysisError(ValueError):
    """Bad arguments or input data; the message names the field, file, column or row."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")
