"""The `query_metrics` tool: a metric from the catalogue, compiled to SQL by code, run on the read-only warehouse;
a table, the SQL shown (bound and copyable), named facts and a chart chosen by the shape of the answer."""

from __future__ import annotations

from typing import Any

import duckdb
from pydantic import BaseModel, Field

from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.facts import Fact
from tools.metrics.catalog import WORKSPACE_FILE, Catalog, Metric, load_catalog
from tools.metrics.dimensions import LINE_DIMENSIONS, TIMESTAMP, Dimension, dimension_sql
from tools.metrics.query import MAX_ROWS, Compiled, MetricsError, MetricsQuery, compile_query, inline
from tools.segments.sqlrun import ExecutedQuery, run_query

HEATMAP_MAX_X, HEATMAP_MAX_Y = 40, 25
BAR_MAX = 30
_FACT_UNITS = {"money": "money", "count": "count", "orders": "orders", "percent": "percent", "rating": "rating",
               "ratio": "ratio"}  # fmt: skip


def catalog_for(ctx: ToolContext) -> Catalog:
    """The shipped metrics with the workspace's file on top (MKA_METRICS_FILE, else MKA_HOME/metrics.yaml)."""
    path = ctx.settings.metrics_file or (ctx.settings.home / WORKSPACE_FILE)
    return load_catalog(path)


class MetricsResult(BaseModel):
    metric: str
    label: str = Field(description="What the metric measures, as the answer says it.")
    phrase: str = Field(description="What a value is, written after it ('of orders cancelled').")
    unit: str
    definition: str = Field(description="The metric's definition and the file it comes from.")
    dimensions: list[str]
    scope: str = Field(description="The filters in words ('Germany, 2011-01-01 to 2011-06-30'); empty: all data.")
    total: float | int | None = Field(description="The metric over everything in scope (no breakdown).")
    table: Table | None
    truncated: bool = False
    sql: str = Field(description="The statement run, with named parameters ($name).")
    params: dict[str, Any]
    sql_inline: str = Field(description="The same statement with its parameters written in: paste into DuckDB.")
    queries: list[ExecutedQuery]
    notes: list[str] = Field(default_factory=list)

    # ------------------------------------------------------------------------------------------- rendering

    def _format(self, value: float | None) -> str:
        if value is None:
            return "–"
        if self.unit == "percent":
            return f"{value:.1%}"
        if self.unit in ("money", "rating", "ratio"):
            return f"{value:,.2f}"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"

    def to_markdown(self) -> str:
        title = f"**{self.label}**" + (f" by {' and '.join(self.dimensions)}" if self.dimensions else "")
        lines = [title + (f" ({self.scope})" if self.scope else ""), ""]
        lines.append(f"- Total: **{self._format(self.total)}**")
        lines.append(f"- Definition: {self.definition}")
        if self.table is not None:
            lines += ["", self.table.to_markdown(max_rows=50)]
        lines += [f"\n_{note}_" for note in self.notes]
        lines += ["", "SQL (run with bound parameters):", "```sql", self.sql_inline, "```"]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        if self.table is None or not self.table.rows:
            return []
        rows = self.table.rows
        dims = [Dimension(d) for d in self.dimensions]
        value_col = len(self.table.columns) - 1
        if len(dims) == 2:
            return self._heatmap(rows, value_col)
        keys = [str(r[0]) for r in rows]
        values = [_number(r[value_col]) for r in rows]
        title = f"{self.label} by {dims[0].value}" + (f" ({self.scope})" if self.scope else "")
        if dims[0] in LINE_DIMENSIONS and len(rows) > 1:
            series = Series(name=self.label, values=values)
            return [ChartSpec(kind="line", title=title, x=keys, series=[series], x_label=dims[0].value,
                              y_label=self.label)]  # fmt: skip
        shown = [(k, v) for k, v in zip(keys, values, strict=True)][:BAR_MAX]
        series = Series(name=self.label, values=[v for _, v in shown])
        kind = "barh" if dims[0] in (Dimension.product, Dimension.product_class) else "bar"
        return [ChartSpec(kind=kind, title=title, x=[k for k, _ in shown], series=[series], x_label=dims[0].value,
                          y_label=self.label)]  # fmt: skip

    def _heatmap(self, rows: list[list[Any]], value_col: int) -> list[ChartSpec]:
        xs = list(dict.fromkeys(str(r[0]) for r in rows))
        ys = list(dict.fromkeys(str(r[1]) for r in rows))
        if len(xs) > HEATMAP_MAX_X or len(ys) > HEATMAP_MAX_Y:
            return []  # the table has every cell; a heat map that large is unreadable
        cells = {(str(r[0]), str(r[1])): r[value_col] for r in rows}
        series = [Series(name=y, values=[_number(cells.get((x, y))) for x in xs]) for y in ys]
        title = f"{self.label} by {self.dimensions[0]} and {self.dimensions[1]}"
        return [ChartSpec(kind="heatmap", title=title, x=xs, series=series, x_label=self.dimensions[0],
                          y_label=self.dimensions[1])]  # fmt: skip

    def facts(self) -> list[Fact]:
        """The total, then the rows (a time series' latest periods first), each labelled by its row."""
        unit = _FACT_UNITS.get(self.unit, "count")
        source = f"query_metrics: SQL '{self.metric}" + (f" by {' and '.join(self.dimensions)}'" if self.dimensions
                                                         else "'")  # fmt: skip
        scope = self.scope
        out: list[Fact] = []
        head = self.phrase
        if self.total is not None:
            label = head + (f" ({scope})" if scope else "")
            out.append(Fact(label=label, value=self.total, unit=unit, source=source, head=head, scope=scope))
        if self.table is None:
            return out
        rows = list(self.table.rows)
        n = len(self.dimensions)
        if n == 1 and Dimension(self.dimensions[0]) in LINE_DIMENSIONS and self.table.note != "sorted by value":
            rows.reverse()
        for row in rows:
            value = row[-1]
            if not isinstance(value, int | float):
                continue
            key = ", ".join(str(v) for v in row[:n] if v is not None)
            if n == 1 and self.dimensions[0] == Dimension.product.value and len(row) > 2 and row[1]:
                key = f"{row[1]} ({row[0]})"
            where = f"for {key}"
            label = f"{head} {where}" + (f" ({scope})" if scope else "")
            out.append(Fact(label=label, value=value, unit=unit, source=source, head=head, key=key, scope=scope))
        return out


def _number(value: object) -> float:
    """A table cell as a chart value: NaN (a gap) for an empty cell."""
    return float(value) if isinstance(value, int | float) else float("nan")


def _tables(cur: duckdb.DuckDBPyConnection) -> set[str]:
    return {str(r[0]) for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _scope_words(q: MetricsQuery) -> str:
    parts: list[str] = []
    if q.countries:
        parts.append(" or ".join(q.countries))
    if q.segment is not None:
        parts.append(f"RFM segment {q.segment.value}")
    if q.cluster is not None:
        parts.append(f"cluster {q.cluster}")
    if q.category:
        parts.append(f"category {q.category}")
    if q.product_ids:
        parts.append("products " + ", ".join(q.product_ids))
    if q.date_from and q.date_to:
        parts.append(f"{q.date_from} to {q.date_to}")
    elif q.date_from:
        parts.append(f"from {q.date_from}")
    elif q.date_to:
        parts.append(f"up to {q.date_to}")
    return ", ".join(parts)


def _has_values(cur: duckdb.DuckDBPyConnection, column: str, tables: set[str]) -> bool:
    table, name = column.split(".")
    if table not in tables:
        return False
    row = cur.execute(f'SELECT count("{name}") FROM "{table}"').fetchone()  # names from code, not input
    return bool(row and row[0])


def _check_empty(metric: Metric, compiled: Compiled, cur: duckdb.DuckDBPyConnection, log: list[ExecutedQuery]) -> None:
    """An empty answer because the workspace has no value of a dimension at all is an error, not a zero."""
    what = "review" if metric.source == "reviews" else "order"
    for dim, sql in compiled.presence.items():
        frame = run_query(cur, f"rows with a {dim.value}", sql, {}, log)
        if not int(frame["n"].iloc[0]):
            column = dimension_sql(metric.source)[dim].column
            raise MetricsError(
                f"{metric.name} by {dim.value}: no {what} in this workspace has a {dim.value} (read from {column}), "
                "so there is no number to give"
            )


def _cell(value: Any) -> str | int | float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if value == value else None
    return str(value)


def _value(value: Any, unit: str) -> float | int | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    number = float(value)
    if unit in ("count", "orders") and number.is_integer():
        return int(number)
    return round(number, {"percent": 6, "ratio": 4, "money": 2}.get(unit, 4))


def query_metrics(args: MetricsQuery, ctx: ToolContext) -> MetricsResult:
    """One metric from metrics.yaml, by up to two dimensions, filtered; answered by SQL compiled by code."""
    catalog = catalog_for(ctx)
    metric = catalog.metrics.get(args.metric)
    if metric is None:
        raise MetricsError(f"unknown metric {args.metric!r}; known: {', '.join(catalog.names())}")
    cur = ctx.warehouse()
    tables = _tables(cur)
    needed = {"sales": "orders", "reviews": "reviews"}[metric.source]
    if needed not in tables:
        raise MetricsError(f"{metric.name}: the warehouse has no {needed} table")
    limit = args.top_n if args.top_n is not None else MAX_ROWS + 1
    compiled = compile_query(args, metric, tables, limit)
    log: list[ExecutedQuery] = []
    notes: list[str] = []
    try:
        total_frame = run_query(cur, "total", compiled.total_sql, compiled.params, log)
        frame = (
            run_query(
                cur,
                f"{metric.name} by {' and '.join(d.value for d in compiled.dimensions)}",
                compiled.sql,
                compiled.params,
                log,
            )
            if compiled.dimensions
            else None
        )
    except duckdb.Error as exc:
        raise MetricsError(f"{metric.name} (defined in {metric.origin}): the SQL failed: {exc}") from exc
    total = _value(total_frame["value"].iloc[0], metric.unit) if len(total_frame) else None
    table = None
    truncated = False
    if frame is not None:
        if frame.empty:
            _check_empty(metric, compiled, cur, log)
            notes.append("Nothing in scope: no rows match these filters.")
        if args.top_n is None and len(frame) > MAX_ROWS:
            frame = frame.head(MAX_ROWS)
            truncated = True
            notes.append(f"Showing the first {MAX_ROWS} rows ({compiled.order}); ask for a top N to narrow it.")
        table = _table(frame, args, metric, cur, compiled.order)
    if (
        (args.date_from or args.date_to)
        and metric.source == "reviews"
        and not _has_values(cur, "reviews.created_at", tables)
    ):
        raise MetricsError(f"{metric.name} for a period: the reviews carry no dates (reviews.created_at is empty)")
    if compiled.dimensions and metric.source == "sales":
        notes.append("Rows without a value of the dimension (e.g. orders of products without a category) are left out.")
    if Dimension.segment in compiled.dimensions or Dimension.cluster in compiled.dimensions or args.segment or (
        args.cluster is not None
    ):  # fmt: skip
        notes.append("RFM segments and clusters are as of the data's last order date.")
    if metric.per_customer is not None:
        notes.append("Computed per customer first (guest orders have no customer).")
    stamp = TIMESTAMP[metric.source]
    if args.date_from or args.date_to:
        notes.append(
            f"The period applies to {stamp.split('.')[1]} (the {'order' if stamp.startswith('o') else 'review'} date)."
        )
    return MetricsResult(
        metric=metric.name,
        label=metric.label,
        phrase=metric.phrase,
        unit=metric.unit,
        definition=f"{metric.description or metric.sql} ({metric.origin.rsplit('/', 1)[-1]}"
        + (", workspace" if metric.origin != str(_default_origin()) else "")
        + ")",
        dimensions=[d.value for d in compiled.dimensions],
        scope=_scope_words(args),
        total=total,
        table=table,
        truncated=truncated,
        sql=compiled.sql if compiled.dimensions else compiled.total_sql,
        params={k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in compiled.params.items()},
        sql_inline=inline(compiled.sql if compiled.dimensions else compiled.total_sql, compiled.params),
        queries=log,
        notes=notes,
    )


def _default_origin() -> str:
    from tools.metrics.catalog import DEFAULT_FILE

    return str(DEFAULT_FILE)


def _table(frame: Any, q: MetricsQuery, metric: Metric, cur: duckdb.DuckDBPyConnection, order: str) -> Table:
    dims = q.dimensions()
    columns = [d.value for d in dims]
    names: dict[str, str] = {}
    if dims[0] == Dimension.product and len(dims) == 1 and len(frame):
        ids = [str(v) for v in frame["key1"].tolist()]
        rows = cur.execute("SELECT product_id, name FROM products WHERE list_contains($ids, product_id)", {"ids": ids})
        names = {str(r[0]): str(r[1]) for r in rows.fetchall()}
        columns.append("name")
    columns.append(metric.label)
    out: list[list[str | int | float | None]] = []
    for record in frame.itertuples(index=False):
        row: list[str | int | float | None] = [_cell(getattr(record, f"key{i}")) for i in range(1, len(dims) + 1)]
        if names:
            row.append(names.get(str(row[0])))
        row.append(_value(record.value, metric.unit))
        out.append(row)
    sorted_by_value = order in ("highest first", "lowest first")
    return Table(
        title=f"{metric.label} by {' and '.join(columns[: len(dims)])}",
        columns=columns,
        rows=out,
        note="sorted by value" if sorted_by_value else None,
    )
