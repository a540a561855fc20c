"""From a SegmentSpec to parameterised SQL: resolve names against the data, then build CTEs from an allow-list.

The SQL text is assembled only from constants in this package; every value the caller gave travels as a
named, bound parameter ($name). Names the caller gives (countries, categories) are first matched to the
values that exist in the warehouse, so a typo gets a clear error with suggestions instead of an empty result.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from tools.sales import COMPLETED, LINE_AMOUNT, UP_TO_AS_OF
from tools.segments.rfm import ORDER_TOTALS_CTE, RFM_CTES, STORED_RFM_CTE
from tools.segments.spec import PREDICTION_FILTERS, GroupBy, SegmentQueryError, SegmentSpec, SortKey
from tools.segments.sqlrun import ExecutedQuery, run_query

MAX_WORDS = 8
MAX_BREAKDOWN_ROWS = 100
MAX_EXPORT_ROWS = 1_000_000
MATCHES_SHOWN = 15

# Allow-lists: the only identifiers and orderings a spec can reach.
GROUP_COLUMNS: dict[GroupBy, str] = {
    GroupBy.country: "coalesce(m.country, '(unknown)')",
    GroupBy.segment: "m.segment",
    GroupBy.cluster: "CAST(m.cluster AS VARCHAR)",
}
SORT_ORDER: dict[SortKey, str] = {
    SortKey.monetary: "monetary DESC, customer_id",
    SortKey.frequency: "frequency DESC, monetary DESC, customer_id",
    SortKey.recency: "recency_days, monetary DESC, customer_id",
    SortKey.customer_id: "customer_id",
}
MEMBER_COLUMNS = (
    "customer_id, country, segment, cluster, recency_days, frequency, monetary, first_order_at, last_order_at"
)


@dataclass
class DataSpan:
    first: date
    last: date


@dataclass
class Plan:
    """Resolved spec: the CTE text every query of this request shares, its parameters, and what it means."""

    spec: SegmentSpec
    as_of: date
    ctes: list[str]
    params: dict[str, Any]
    conditions: list[str]
    matched_products: list[tuple[str, str]] = field(default_factory=list)
    matched_products_total: int = 0
    has_clusters: bool = False
    log: list[ExecutedQuery] = field(default_factory=list)

    def sql(self, tail: str) -> str:
        return "WITH " + ",\n".join(self.ctes) + "\n" + tail


def table_exists(cur: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def data_span(cur: duckdb.DuckDBPyConnection) -> DataSpan:
    """First and last order dates of the data; the last one is the data's "now"."""
    rows = dict(cur.execute("SELECT key, value FROM meta WHERE key IN ('first_order_at', 'last_order_at')").fetchall())
    if not rows.get("last_order_at"):
        raise SegmentQueryError("as_of", "this workspace has no orders, so there are no customers to analyse")
    return DataSpan(
        first=date.fromisoformat(rows["first_order_at"][:10]), last=date.fromisoformat(rows["last_order_at"][:10])
    )


def resolve_as_of(requested: date | None, span: DataSpan) -> date:
    if requested is None:
        return span.last
    if not span.first <= requested <= span.last:
        raise SegmentQueryError("as_of", f"{requested} is outside the data ({span.first} to {span.last})")
    return requested


def resolve_names(cur: duckdb.DuckDBPyConnection, field_name: str, sql: str, wanted: list[str]) -> list[str]:
    """Match names case-insensitively to the values in the data; unknown ones raise with suggestions."""
    known = [str(r[0]) for r in cur.execute(sql).fetchall() if r[0] is not None]
    by_lower = {k.casefold(): k for k in known}
    resolved = []
    for name in wanted:
        hit = by_lower.get(name.casefold())
        if hit is None:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            shown = ", ".join(sorted(known)[:40]) + (", ..." if len(known) > 40 else "")
            raise SegmentQueryError(field_name, f"{name!r} is not in the data.{hint} Known values: {shown}")
        resolved.append(hit)
    return list(dict.fromkeys(resolved))


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _product_match_cte(spec: SegmentSpec, params: dict[str, Any]) -> str:
    clauses = []
    if spec.bought_product is not None:
        words = spec.bought_product.split()[:MAX_WORDS]
        params["product_text"] = spec.bought_product
        name_terms = []
        for i, word in enumerate(words):
            params[f"word_{i}"] = _like_pattern(word)
            name_terms.append(f"p.name ILIKE $word_{i} ESCAPE '\\'")
        clauses.append(f"(upper(p.product_id) = upper($product_text) OR ({' AND '.join(name_terms)}))")
    if spec.bought_category is not None:
        clauses.append("p.category = $category")
    return f"matched_products AS (\n    SELECT p.product_id, p.name FROM products p WHERE {' AND '.join(clauses)}\n)"


BOUGHT_CTE = f"""bought AS (
    SELECT o.customer_id, round(sum({LINE_AMOUNT}), 3) AS bought_revenue
    FROM orders o JOIN order_lines l ON l.order_id = o.order_id
    WHERE {COMPLETED} AND o.customer_id IS NOT NULL
      AND {UP_TO_AS_OF}
      AND l.product_id IN (SELECT product_id FROM matched_products)
    GROUP BY o.customer_id
)"""


def _conditions(spec: SegmentSpec, params: dict[str, Any]) -> list[str]:
    conds: list[str] = []
    if spec.segments:
        params["segments"] = [s.value for s in spec.segments]
        conds.append("list_contains($segments, r.segment)")
    if spec.countries:
        conds.append("list_contains($countries, c.country)")  # $countries resolved by the caller
    bounds = [
        ("recency_days_min", "r.recency_days >= $recency_days_min"),
        ("recency_days_max", "r.recency_days <= $recency_days_max"),
        ("frequency_min", "r.frequency >= $frequency_min"),
        ("frequency_max", "r.frequency <= $frequency_max"),
        ("monetary_min", "r.monetary >= $monetary_min"),
        ("monetary_max", "r.monetary <= $monetary_max"),
        ("not_ordered_since", "r.last_order_at < CAST($not_ordered_since AS DATE)"),
        ("first_order_from", "r.first_order_at >= CAST($first_order_from AS DATE)"),
        ("first_order_to", "r.first_order_at < CAST($first_order_to AS DATE) + INTERVAL 1 DAY"),
        ("cluster", "k.cluster = $cluster"),
        ("churn_probability_min", "pr.churn_probability >= $churn_probability_min"),
        ("churn_probability_max", "pr.churn_probability <= $churn_probability_max"),
        ("expected_spend_min", "pr.expected_spend >= $expected_spend_min"),
    ]
    strict = {b.value for b in spec.strict_bounds}
    for name, cond in bounds:
        value = getattr(spec, name)
        if value is not None:
            params[name] = value
            # Both comparisons are representable: "more than" excludes the bound, "at least" includes it.
            conds.append(cond.replace(">=", ">").replace("<=", "<") if name in strict else cond)
    return conds


def _check_predictions(spec: SegmentSpec, cur: duckdb.DuckDBPyConnection, as_of: Any) -> None:
    """Prediction filters need the stored predictions, which are made as of the data's last order date."""
    field_name = next(name for name in PREDICTION_FILTERS if getattr(spec, name) is not None)
    if not table_exists(cur, "customer_predictions"):
        raise SegmentQueryError(field_name, "no predictions in this workspace (built with --skip predict)")
    row = cur.execute("SELECT max(as_of) FROM customer_predictions").fetchone()
    made = row[0] if row else None
    if made is not None and str(made)[:10] != str(as_of)[:10]:
        raise SegmentQueryError(field_name, f"predictions are made as of {str(made)[:10]}; drop as_of ({as_of})")


def plan(spec: SegmentSpec, cur: duckdb.DuckDBPyConnection, with_order_totals: bool = False) -> Plan:
    """Resolve the spec against the warehouse and lay out the shared CTEs (members = the segment).

    `with_order_totals` also provides `order_totals` (one row per completed order) for order-level queries.
    """
    span = data_span(cur)
    as_of = resolve_as_of(spec.as_of, span)
    if spec.not_ordered_since is not None and spec.not_ordered_since > as_of:
        raise SegmentQueryError("not_ordered_since", f"{spec.not_ordered_since} is after the analysis date {as_of}")
    params: dict[str, Any] = {"as_of": as_of}
    has_clusters = table_exists(cur, "customer_clusters")
    if (spec.cluster is not None or spec.group_by == GroupBy.cluster) and not has_clusters:
        field_name = "cluster" if spec.cluster is not None else "group_by"
        raise SegmentQueryError(field_name, "no clusters in this workspace (built with --skip segments)")
    if spec.uses_predictions():
        _check_predictions(spec, cur, as_of)
    if spec.countries:
        params["countries"] = resolve_names(cur, "countries", "SELECT DISTINCT country FROM customers", spec.countries)
    if spec.bought_category is not None:
        params["category"] = resolve_names(
            cur, "bought_category", "SELECT DISTINCT category FROM products", [spec.bought_category]
        )[0]

    stored = as_of == span.last and table_exists(cur, "customer_rfm")
    ctes = [STORED_RFM_CTE] if stored else [RFM_CTES]
    if (with_order_totals or spec.group_by == GroupBy.month) and stored:
        ctes.insert(0, ORDER_TOTALS_CTE)
    joins = ["JOIN customers c ON c.customer_id = r.customer_id"]
    cluster_col = "k.cluster" if has_clusters else "CAST(NULL AS INTEGER)"
    if has_clusters:
        joins.append("LEFT JOIN customer_clusters k ON k.customer_id = r.customer_id")
    if spec.uses_predictions():
        joins.append("JOIN customer_predictions pr ON pr.customer_id = r.customer_id")
    bought_col = "CAST(NULL AS DOUBLE)"
    if spec.uses_products():
        ctes += [_product_match_cte(spec, params), BOUGHT_CTE]
        joins.append("JOIN bought b ON b.customer_id = r.customer_id")
        bought_col = "b.bought_revenue"
    conds = _conditions(spec, params)
    where = "\n    WHERE " + "\n      AND ".join(conds) if conds else ""
    ctes.append(
        "members AS (\n"
        f"    SELECT r.*, c.country, {cluster_col} AS cluster, {bought_col} AS bought_revenue\n"
        f"    FROM rfm r {' '.join(joins)}{where}\n)"
    )
    ctes.append("base AS (SELECT count(*) AS customers, sum(monetary) AS revenue FROM rfm)")
    return Plan(spec=spec, as_of=as_of, ctes=ctes, params=params, conditions=conds, has_clusters=has_clusters)


def fetch_matches(p: Plan, cur: duckdb.DuckDBPyConnection) -> None:
    if not p.spec.uses_products():
        return
    p.params["matches_shown"] = MATCHES_SHOWN
    frame = run_query(
        cur,
        "matched products",
        p.sql(
            "SELECT product_id, name, count(*) OVER () AS total FROM matched_products "
            "ORDER BY product_id LIMIT $matches_shown"
        ),
        p.params,
        p.log,
    )
    p.matched_products = list(zip(frame["product_id"].astype(str), frame["name"].astype(str), strict=True))
    p.matched_products_total = int(frame["total"].iloc[0]) if len(frame) else 0


SUMMARY_TAIL = """SELECT count(*) AS customers,
       round(coalesce(sum(m.monetary), 0), 2) AS revenue,
       coalesce(sum(m.frequency), 0) AS orders,
       round(avg(m.recency_days), 2) AS avg_recency_days,
       round(avg(m.frequency), 2) AS avg_frequency,
       round(avg(m.monetary), 2) AS avg_monetary,
       round(sum(m.bought_revenue), 2) AS bought_revenue,
       (SELECT customers FROM base) AS total_customers,
       (SELECT round(revenue, 2) FROM base) AS total_revenue
FROM members m"""


def summary(p: Plan, cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    frame = run_query(cur, "summary", p.sql(SUMMARY_TAIL), p.params, p.log)
    return {k: (None if v != v else v) for k, v in frame.iloc[0].to_dict().items()}  # NaN -> None


def breakdown(p: Plan, cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    group = p.spec.group_by
    if group == GroupBy.none:
        return []
    p.params["breakdown_rows"] = MAX_BREAKDOWN_ROWS
    if group == GroupBy.month:
        tail = (
            "SELECT strftime(date_trunc('month', t.ordered_at), '%Y-%m') AS key,\n"
            "       count(DISTINCT t.customer_id) AS customers, count(*) AS orders,\n"
            "       round(sum(t.amount), 2) AS revenue\n"
            "FROM order_totals t WHERE t.customer_id IN (SELECT customer_id FROM members)\n"
            "GROUP BY 1 ORDER BY 1 LIMIT $breakdown_rows"
        )
    else:
        tail = (
            f"SELECT {GROUP_COLUMNS[group]} AS key, count(*) AS customers,\n"
            "       round(sum(m.monetary), 2) AS revenue, sum(m.frequency) AS orders,\n"
            "       round(avg(m.recency_days), 2) AS avg_recency_days, round(avg(m.frequency), 2) AS avg_frequency,\n"
            "       round(avg(m.monetary), 2) AS avg_monetary, round(sum(m.bought_revenue), 2) AS bought_revenue\n"
            "FROM members m GROUP BY 1 ORDER BY revenue DESC, key LIMIT $breakdown_rows"
        )
    frame = run_query(cur, f"breakdown by {group.value}", p.sql(tail), p.params, p.log)
    return [{k: (None if v != v else v) for k, v in row.items()} for row in frame.to_dict("records")]


def member_rows(p: Plan, cur: duckdb.DuckDBPyConnection, limit: int, purpose: str) -> Any:
    """Members in the spec's sort order, at most `limit` rows (a bound LIMIT)."""
    p.params[f"{purpose}_rows"] = limit
    columns = MEMBER_COLUMNS + (", bought_revenue" if p.spec.uses_products() else "")
    tail = f"SELECT {columns} FROM members ORDER BY {SORT_ORDER[p.spec.sort]} LIMIT ${purpose}_rows"
    return run_query(cur, purpose, p.sql(tail), p.params, p.log)
