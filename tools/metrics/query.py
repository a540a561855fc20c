"""`query_metrics`'s input and its compilation to SQL: one metric, up to two dimensions, filters, a period, sort
and top-n, compiled by code into one statement with bound (named) parameters. The model picks names from enums;
it never writes SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from tools.categories import category_condition
from tools.metrics.catalog import Metric, default_metric_names
from tools.metrics.dimensions import LINE_DIMENSIONS, TIMESTAMP, WHY_MISSING, Dimension, dimension_sql
from tools.segments.spec import SegmentName

MAX_ROWS = 500  # rows shown when no top_n is asked (products number in the thousands); the note says so
Sort = Literal["auto", "value_desc", "value_asc", "dimension"]


class MetricsError(ValueError):
    """A query the metrics cannot answer (an unknown metric, a dimension the metric's data lacks, …)."""


def _metric_enum(schema: dict[str, Any]) -> None:
    """The shipped metrics as the field's enum, read when a schema is built (not at import); the routing schema
    replaces it with the workspace's own catalogue (assistant/understand/vocabulary.py DATA_FIELDS)."""
    schema["enum"] = list(default_metric_names())


class MetricsQuery(BaseModel):
    """One metric, optionally broken down by one or two dimensions, filtered and sorted."""

    metric: str = Field(
        min_length=1,
        max_length=40,
        description="revenue, orders, customers, units, average_order_value, average_rating … (metrics.yaml). "
        "Others: cancellation_rate, cancelled_orders, repeat_rate, revenue_per_customer, review_count, "
        "recommend_rate, negative_share, positive_share, negative_reviews, positive_reviews, and the workspace's own.",
        json_schema_extra=_metric_enum,
    )
    group_by: Dimension | None = Field(
        default=None,
        description="Breakdown by time (day…year, weekday), country, product, category, segment… "
        "One of: day, week, month, quarter, year, weekday, country, product, category, division, department, class, "
        "segment, cluster, age_band. None: one figure.",
    )
    then_by: Dimension | None = Field(
        default=None, description="A second dimension (a heat map of group_by x then_by)."
    )
    countries: list[str] = Field(default_factory=list, max_length=50, description="Only these countries.")
    category: str | None = Field(default=None, max_length=100, description="Only this category, department or class.")
    segment: SegmentName | None = Field(default=None, description="Only customers in this RFM segment.")
    cluster: int | None = Field(default=None, ge=0, le=50, description="Only customers in this K-Means cluster.")
    product_ids: list[str] = Field(default_factory=list, max_length=50, description="Only these product ids.")
    date_from: date | None = Field(default=None, description="Period start (inclusive), YYYY-MM-DD.")
    date_to: date | None = Field(default=None, description="Period end (inclusive), YYYY-MM-DD.")
    sort: Sort = Field(
        default="auto",
        description="value_desc (highest first), value_asc (lowest first), dimension (calendar / name order); "
        "auto: time in calendar order, the rest highest first.",
    )
    top_n: int | None = Field(default=None, ge=1, le=MAX_ROWS, description="Only the first N rows after sorting.")

    @model_validator(mode="after")
    def _consistent(self) -> MetricsQuery:
        if self.then_by is not None and self.group_by is None:
            raise ValueError("then_by needs group_by (the first dimension)")
        if self.then_by is not None and self.then_by == self.group_by:
            raise ValueError("then_by must differ from group_by")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self

    def dimensions(self) -> list[Dimension]:
        return [d for d in (self.group_by, self.then_by) if d is not None]


@dataclass
class Compiled:
    """The statement and its named parameters; `total_sql` is the same metric without the breakdown."""

    sql: str
    params: dict[str, Any]
    total_sql: str
    dimensions: list[Dimension]
    order: str  # how the rows are ordered, in words
    needs: set[str] = field(default_factory=set)
    # Per dimension: how many of the source's rows have a value at all (no filters). Run only when an answer is
    # empty, to tell "nothing in scope" from "this data has no such dimension" (an error, never a zero).
    presence: dict[Dimension, str] = field(default_factory=dict)


_JOINS = {
    "rfm": ("customer_rfm", "LEFT JOIN customer_rfm rfm ON rfm.customer_id = o.customer_id", "segments"),
    "clusters": ("customer_clusters", "LEFT JOIN customer_clusters cc ON cc.customer_id = o.customer_id", "segments"),
}
_SALES_FROM = """FROM orders o
LEFT JOIN order_lines l ON l.order_id = o.order_id
LEFT JOIN products p ON p.product_id = l.product_id
LEFT JOIN customers c ON c.customer_id = o.customer_id"""
_REVIEWS_FROM = """FROM reviews r
LEFT JOIN products p ON p.product_id = r.product_id
LEFT JOIN {sentiment} s ON s.review_id = r.review_id"""
_NO_SENTIMENT = "(SELECT NULL::VARCHAR AS review_id, NULL::VARCHAR AS label, NULL::DOUBLE AS score WHERE FALSE)"


def _unavailable(metric: Metric, dimension: str, why: str) -> MetricsError:
    return MetricsError(f"{metric.name} cannot be broken down or filtered by {dimension}: {why}")


def _category_named(name: str) -> tuple[str, dict[str, Any]]:
    """tools/categories.py's one reading of a category, its `?` marks renamed to named parameters."""
    condition, values = category_condition(name)
    params: dict[str, Any] = {}

    def mark(_: re.Match[str]) -> str:
        key = f"category_{len(params)}"
        params[key] = values[len(params)]
        return f"${key}"

    return re.sub(r"\?", mark, condition), params


def compile_query(q: MetricsQuery, metric: Metric, tables: set[str], limit: int) -> Compiled:
    """The SQL for `q` over `metric` (`tables`: the warehouse's tables; `limit`: rows to fetch)."""
    source = metric.source
    dims_sql = dimension_sql(source)
    needs: set[str] = set()
    where: list[str] = []
    params: dict[str, Any] = {}
    for dim in q.dimensions():
        if dim not in dims_sql:
            raise _unavailable(metric, dim.value, WHY_MISSING.get(source, "not defined for its data"))
        needs.update(dims_sql[dim].needs)
    if source == "reviews":
        for name in ("countries", "segment", "cluster"):
            if getattr(q, name) not in (None, []):
                raise _unavailable(metric, name, WHY_MISSING["reviews"])
    if q.countries:
        where.append("list_contains($countries, coalesce(c.country, o.country))")
        params["countries"] = list(q.countries)
    if q.segment is not None:
        where.append("rfm.segment = $segment")
        params["segment"] = q.segment.value
        needs.add("rfm")
    if q.cluster is not None:
        where.append("cc.cluster = $cluster")
        params["cluster"] = q.cluster
        needs.add("clusters")
    if q.category:
        condition, extra = _category_named(q.category)
        where.append(condition)
        params.update(extra)
    if q.product_ids:
        where.append("list_contains($product_ids, upper(p.product_id))")
        params["product_ids"] = sorted({p.strip().upper() for p in q.product_ids if p.strip()})
    stamp = TIMESTAMP[source]
    if q.date_from is not None:
        where.append(f"{stamp} >= CAST($date_from AS DATE)")
        params["date_from"] = q.date_from
    if q.date_to is not None:
        where.append(f"{stamp} < CAST($date_to AS DATE) + INTERVAL 1 DAY")
        params["date_to"] = q.date_to

    if source == "sales":
        base = _SALES_FROM
        for need in sorted(needs):
            table, join, step = _JOINS[need]
            if table not in tables:
                raise MetricsError(
                    f"{metric.name}: the {table} table is missing (built by the ingest step '{step}'); "
                    "run `mka ingest` without skipping it"
                )
            base += "\n" + join
    else:
        base = _REVIEWS_FROM.format(sentiment="review_sentiment" if "review_sentiment" in tables else _NO_SENTIMENT)

    keys: list[str] = []
    present: list[str] = []  # a row without the dimension's value is no group (the total keeps it)
    for i, dim in enumerate(q.dimensions(), start=1):
        d = dims_sql[dim]
        keys += [f"{d.key} AS key{i}", f"{d.sort} AS sort{i}"]
        present.append(f"{d.key} IS NOT NULL")
    n = len(q.dimensions())
    key_cols = [c for i in range(1, n + 1) for c in (f"key{i}", f"sort{i}")]

    def statement(grouped: bool) -> str:
        select_keys = keys if grouped else []
        conditions = [*where, *present] if grouped else where
        condition = "\nWHERE " + "\n  AND ".join(conditions) if conditions else ""
        if metric.per_customer is None:
            head = ", ".join([*select_keys, f"{metric.sql} AS value"])
            sql = f"SELECT {head}\n{base}{condition}"
            return sql + ("\nGROUP BY ALL" if grouped and n else "")
        inner_where = condition + ("\n  AND " if condition else "\nWHERE ") + "o.customer_id IS NOT NULL"
        inner_head = ", ".join([*select_keys, "o.customer_id", f"{metric.per_customer} AS customer_value"])
        inner = f"SELECT {inner_head}\n{base}{inner_where}\nGROUP BY ALL"
        outer_keys = key_cols if grouped else []
        head = ", ".join([*outer_keys, f"{metric.sql} AS value"])
        indented = "\n".join("    " + line for line in inner.splitlines())
        return f"SELECT {head}\nFROM (\n{indented}\n) per_customer" + ("\nGROUP BY ALL" if grouped and n else "")

    sort = q.sort
    if sort == "auto":
        by_order = n == 2 or (n == 1 and (q.dimensions()[0] in LINE_DIMENSIONS or q.dimensions()[0] in (
            Dimension.weekday, Dimension.age_band)))  # fmt: skip
        sort = "dimension" if by_order else "value_desc"
    sorts = ", ".join(f"sort{i}, key{i}" for i in range(1, n + 1))
    order_by = {
        "dimension": sorts,
        "value_desc": f"value DESC NULLS LAST, {sorts}",
        "value_asc": f"value ASC NULLS LAST, {sorts}",
    }[sort]
    sql = statement(grouped=True)
    if n:
        sql += f"\nORDER BY {order_by}\nLIMIT $limit"
        params["limit"] = limit
    words = {"dimension": "in " + (" then ".join(d.value for d in q.dimensions()) or "") + " order",
             "value_desc": "highest first", "value_asc": "lowest first"}[sort]  # fmt: skip
    presence = {dim: f"SELECT count(*) AS n\n{base}\nWHERE {dims_sql[dim].key} IS NOT NULL" for dim in q.dimensions()}
    return Compiled(
        sql=sql,
        params=params,
        total_sql=statement(grouped=False),
        dimensions=q.dimensions(),
        order=words,
        needs=needs,
        presence=presence,
    )


def inline(sql: str, params: dict[str, Any]) -> str:
    """The statement with its parameters written as literals, to paste into a DuckDB shell (display only: the
    tool itself always runs the bound form)."""

    def literal(value: Any) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(value)
        if isinstance(value, date):
            return f"DATE '{value.isoformat()}'"
        if isinstance(value, list):
            return "[" + ", ".join(literal(v) for v in value) + "]"
        return "'" + str(value).replace("'", "''") + "'"

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        return literal(params[name]) if name in params else match.group(0)

    return re.sub(r"\$([a-z_][a-z0-9_]*)\b", sub, sql)
