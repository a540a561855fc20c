"""Metadata filters, expressed once and applied both as a Chroma `where` and as a mask on the lexical mirror."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from vectorstore.lexical import LexicalIndex

Op = Literal["eq", "gte", "lte", "in"]


@dataclass(frozen=True)
class Condition:
    field: str
    op: Op
    value: str | int | float | bool | tuple[str, ...]  # a tuple for "in"


def to_where(conditions: list[Condition]) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = [_clause(c) for c in conditions]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _clause(c: Condition) -> dict[str, Any]:
    if c.op == "eq":
        return {c.field: c.value}
    if c.op == "in":
        return {c.field: {"$in": list(c.value) if isinstance(c.value, tuple) else [c.value]}}
    return {c.field: {f"${c.op}": c.value}}


def to_mask(index: LexicalIndex, conditions: list[Condition]) -> np.ndarray | None:
    if not conditions:
        return None
    mask = np.ones(len(index.ids), dtype=bool)
    for c in conditions:
        column = index.column(c.field)
        if c.op == "eq":
            mask &= column == c.value
        elif c.op == "in":
            wanted = list(c.value) if isinstance(c.value, tuple) else [c.value]
            mask &= np.isin(column, np.array(wanted, dtype=object))
        elif c.op == "gte":
            mask &= column >= c.value
        else:
            mask &= column <= c.value
    return mask
