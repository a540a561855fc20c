"""What a metric can be broken down by, per source: the SQL of each dimension's key and sort order.

A dimension a source cannot have (reviews are not linked to customers, so they have no country or RFM segment)
is missing from that source's table and compiling it is an error naming the metric and the dimension. A
dimension a source has but a workspace leaves empty (reviews without dates) is found when the query runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Dimension(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    weekday = "weekday"
    country = "country"
    product = "product"
    category = "category"
    division = "division"
    department = "department"
    product_class = "class"
    segment = "segment"
    cluster = "cluster"
    age_band = "age_band"


TIME_DIMENSIONS = frozenset(
    {Dimension.day, Dimension.week, Dimension.month, Dimension.quarter, Dimension.year, Dimension.weekday}
)
# Time in calendar order reads as a line; a weekday is a category of time (a bar per day of the week).
LINE_DIMENSIONS = TIME_DIMENSIONS - {Dimension.weekday}

# The timestamp each source is dated by.
TIMESTAMP = {"sales": "o.ordered_at", "reviews": "r.created_at"}
AGE = {"sales": "c.age", "reviews": "r.reviewer_age"}
AGE_COLUMN = {"sales": "customers.age", "reviews": "reviews.reviewer_age"}
AGE_BANDS = ((0, 24, "under 25"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"))


@dataclass(frozen=True)
class DimensionSql:
    key: str  # the group's key as text (what the table shows)
    sort: str  # its natural order
    needs: tuple[str, ...] = ()  # joins beyond the source's base (rfm, clusters)
    column: str = ""  # the stored column whose emptiness makes the dimension unavailable (for the error)


def _age_band(expr: str, sort: bool = False) -> str:
    """The band's label, or (`sort`) its position: '1' for the youngest band."""
    whens = " ".join(
        f"WHEN {expr} BETWEEN {lo} AND {hi} THEN '{i if sort else label}'"
        for i, (lo, hi, label) in enumerate(AGE_BANDS, start=1)
    )
    return f"CASE {whens} WHEN {expr} >= 65 THEN '{len(AGE_BANDS) + 1 if sort else '65+'}' END"


def _path_level(level: int) -> str:
    """A level of the products' 'division / department / class' path (clothing catalogues carry one)."""
    return f"nullif(trim(split_part(CASE WHEN p.description LIKE '% / %' THEN p.description END, ' / ', {level})), '')"


def _time(source: str) -> dict[Dimension, DimensionSql]:
    t = TIMESTAMP[source]
    column = {"sales": "orders.ordered_at", "reviews": "reviews.created_at"}[source]
    return {
        Dimension.day: DimensionSql(f"strftime({t}, '%Y-%m-%d')", f"strftime({t}, '%Y-%m-%d')", column=column),
        Dimension.week: DimensionSql(
            f"strftime(date_trunc('week', {t}), '%Y-%m-%d')",
            f"strftime(date_trunc('week', {t}), '%Y-%m-%d')",
            column=column,
        ),
        Dimension.month: DimensionSql(f"strftime({t}, '%Y-%m')", f"strftime({t}, '%Y-%m')", column=column),
        Dimension.quarter: DimensionSql(
            f"strftime({t}, '%Y') || '-Q' || quarter({t})",
            f"strftime({t}, '%Y') || '-Q' || quarter({t})",
            column=column,
        ),
        Dimension.year: DimensionSql(f"strftime({t}, '%Y')", f"strftime({t}, '%Y')", column=column),
        Dimension.weekday: DimensionSql(f"dayname({t})", f"CAST(isodow({t}) AS VARCHAR)", column=column),
    }


def _common(source: str) -> dict[Dimension, DimensionSql]:
    age = AGE[source]
    return {
        **_time(source),
        Dimension.product: DimensionSql("p.product_id", "p.product_id", column="products.product_id"),
        Dimension.category: DimensionSql(
            "nullif(p.category, '')", "nullif(p.category, '')", column="products.category"
        ),
        Dimension.division: DimensionSql(_path_level(1), _path_level(1), column="products.description"),
        Dimension.department: DimensionSql(_path_level(2), _path_level(2), column="products.description"),
        Dimension.product_class: DimensionSql(_path_level(3), _path_level(3), column="products.description"),
        Dimension.age_band: DimensionSql(_age_band(age), _age_band(age, sort=True), column=AGE_COLUMN[source]),
    }


def dimension_sql(source: str) -> dict[Dimension, DimensionSql]:
    table = _common(source)
    if source == "sales":
        table[Dimension.country] = DimensionSql(
            "coalesce(c.country, o.country)", "coalesce(c.country, o.country)", column="customers.country"
        )
        table[Dimension.segment] = DimensionSql("rfm.segment", "rfm.segment", ("rfm",), column="customer_rfm.segment")
        table[Dimension.cluster] = DimensionSql(
            "CAST(cc.cluster AS VARCHAR)", "lpad(CAST(cc.cluster AS VARCHAR), 4, '0')", ("clusters",),
            column="customer_clusters.cluster",
        )  # fmt: skip
    return table


WHY_MISSING = {
    "reviews": "reviews are not linked to customers or orders",
}
