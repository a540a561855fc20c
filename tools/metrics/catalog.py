"""The metrics catalogue: the shipped metrics.yaml, then the workspace's own file on top (a name given there
replaces the default of that name; a new name adds a metric). Validated by pydantic; every error names the file
and the key.

A metric's SQL is an aggregate written once, here, by the people who own the definitions, never by the model.
Its placeholders are the shop's one definition of a sale (tools/sales.py) and other metrics of the same source.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools import sales

DEFAULT_FILE = Path(__file__).with_name("metrics.yaml")
WORKSPACE_FILE = "metrics.yaml"  # in MKA_HOME, unless MKA_METRICS_FILE names another
Source = Literal["sales", "reviews"]
Unit = Literal["money", "count", "orders", "percent", "rating", "ratio"]
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# The one definition of a sale (tools/sales.py), as placeholders a metric's SQL may use.
FRAGMENTS = {"COMPLETED": sales.COMPLETED, "CANCELLED": sales.CANCELLED, "LINE_AMOUNT": sales.LINE_AMOUNT}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# A metric is one expression: no statement separators, comments or subqueries that could read other tables.
_FORBIDDEN = re.compile(r";|--|/\*|\b(select|from|join|union|attach|copy|pragma|install|load|create|drop)\b", re.I)


class MetricsConfigError(ValueError):
    """A metrics file that cannot be read or does not validate; the message names the file and the key."""


class MetricDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=60, description="What the number is, as an answer says it.")
    description: str = Field(default="", max_length=300)
    phrase: str | None = Field(
        default=None,
        max_length=60,
        description="Written after the value in answers ('of orders cancelled'); default: label.",
    )
    source: Source
    unit: Unit = "count"
    sql: str = Field(min_length=1, max_length=2000, description="One aggregate expression over the source's rows.")
    per_customer: str | None = Field(
        default=None, max_length=2000, description="Sales only: a figure per customer and group (customer_value)."
    )

    @field_validator("sql", "per_customer")
    @classmethod
    def _one_expression(cls, value: str | None) -> str | None:
        if value is not None and _FORBIDDEN.search(value):
            raise ValueError("must be one aggregate expression (no ;, comments, SELECT, FROM, JOIN …)")
        return value


class MetricsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metrics: dict[str, MetricDef] = Field(default_factory=dict)


class Metric(BaseModel):
    """A metric ready to compile: its placeholders replaced (fragments and the metrics it refers to)."""

    name: str
    label: str
    phrase: str
    description: str
    source: Source
    unit: Unit
    sql: str
    per_customer: str | None
    origin: str  # the file that defined it


class Catalog(BaseModel):
    metrics: dict[str, Metric]
    files: list[str]

    def names(self) -> list[str]:
        return list(self.metrics)


def _read(path: Path) -> MetricsFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MetricsConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise MetricsConfigError(f"{path}: not valid YAML ({exc})") from exc
    try:
        parsed = MetricsFile.model_validate(data or {})
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise MetricsConfigError(f"{path}: {detail}") from exc
    for name in parsed.metrics:
        if not NAME.match(name):
            raise MetricsConfigError(f"{path}: metrics.{name}: a name is lower-case letters, digits and _ (≤ 40)")
        metric = parsed.metrics[name]
        if metric.per_customer is not None and metric.source != "sales":
            raise MetricsConfigError(f"{path}: metrics.{name}.per_customer: only sales metrics have customers")
    return parsed


def _expand(name: str, defs: dict[str, tuple[MetricDef, Path]], stack: tuple[str, ...] = ()) -> str:
    """The metric's SQL with fragments and referenced metrics written out (parenthesised)."""
    metric, path = defs[name]
    if name in stack:
        raise MetricsConfigError(f"{path}: metrics.{name}.sql: refers to itself ({' -> '.join((*stack, name))})")

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in FRAGMENTS:
            return FRAGMENTS[key]
        if key not in defs:
            known = ", ".join([*FRAGMENTS, *defs])
            raise MetricsConfigError(f"{path}: metrics.{name}.sql: unknown placeholder {{{key}}} (known: {known})")
        other, _ = defs[key]
        if other.source != metric.source or other.per_customer is not None:
            raise MetricsConfigError(
                f"{path}: metrics.{name}.sql: {{{key}}} cannot be used here (only single-level metrics of the "
                f"{metric.source} source)"
            )
        return f"({_expand(key, defs, (*stack, name))})"

    return _PLACEHOLDER.sub(sub, metric.sql)


def _fragments_only(name: str, text: str, path: Path) -> str:
    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in FRAGMENTS:
            raise MetricsConfigError(f"{path}: metrics.{name}.per_customer: unknown placeholder {{{key}}}")
        return FRAGMENTS[key]

    return _PLACEHOLDER.sub(sub, text)


def load_catalog(workspace_file: Path | None = None) -> Catalog:
    """The shipped metrics, then `workspace_file` (if it exists) on top."""
    files = [DEFAULT_FILE] + ([workspace_file] if workspace_file is not None and workspace_file.exists() else [])
    stamps = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    return _load(stamps)


@lru_cache(maxsize=8)
def _load(stamps: tuple[tuple[str, int], ...]) -> Catalog:
    """Cached per file set and modification time: an edited metrics.yaml takes effect on the next question."""
    defs: dict[str, tuple[MetricDef, Path]] = {}
    for name, _ in stamps:
        path = Path(name)
        for key, metric in _read(path).metrics.items():
            defs[key] = (metric, path)
    metrics = {}
    for name, (metric, path) in defs.items():
        per_customer = metric.per_customer and _fragments_only(name, metric.per_customer, path)
        metrics[name] = Metric(
            name=name,
            label=metric.label,
            phrase=metric.phrase or metric.label,
            description=metric.description,
            source=metric.source,
            unit=metric.unit,
            sql=_expand(name, defs),
            per_customer=per_customer or None,
            origin=str(path),
        )
    return Catalog(metrics=metrics, files=[s[0] for s in stamps])


@lru_cache(maxsize=1)
def default_metric_names() -> tuple[str, ...]:
    """The shipped metrics' names (for the input schema's enum; the workspace's own are added at routing)."""
    return tuple(_read(DEFAULT_FILE).metrics)
