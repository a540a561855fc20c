"""Keyword categories for catalogues without their own (the UCI Online Retail gift shop)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pandas as pd
import yaml

OTHER = "Other"


@lru_cache(maxsize=1)
def _rules() -> list[tuple[str, re.Pattern[str]]]:
    text = resources.files("assistant").joinpath("data/retail_categories.yaml").read_text("utf-8")
    rules = []
    for rule in yaml.safe_load(text):
        words = sorted(rule["keywords"], key=len, reverse=True)
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
        rules.append((str(rule["category"]), pattern))
    return rules


def categorise(names: pd.Series) -> pd.Series:
    """The first matching category for each product name (case-insensitive), else 'Other'."""
    upper = names.fillna("").str.upper()
    result = pd.Series(OTHER, index=names.index, dtype="object")
    unassigned = pd.Series(True, index=names.index)
    for category, pattern in _rules():
        hit = unassigned & upper.str.contains(pattern)
        result[hit] = category
        unassigned &= ~hit
    return result
