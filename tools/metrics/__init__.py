"""Metrics: one semantic layer for long-tail questions (revenue by weekday, units per product in a year, the
weakest quarter, average rating by age band). Metrics are declared in metrics.yaml (shipped defaults, and the
workspace's own file on top); dimensions and filters are code; `query_metrics` compiles them to SQL with bound
parameters. See docs/metrics.md.
"""

from __future__ import annotations

from typing import Any

from tools.base import Tool
from tools.metrics.catalog import Catalog, Metric, MetricsConfigError, load_catalog
from tools.metrics.dimensions import Dimension
from tools.metrics.query import MetricsError, MetricsQuery, compile_query
from tools.metrics.tool import MetricsResult, catalog_for, query_metrics
from tools.segments.sqlrun import QueryTimeoutError

TOOLS: list[Tool[Any]] = [
    Tool(
        name="query_metrics",
        input_model=MetricsQuery,
        run=query_metrics,
        description=(
            "One metric (revenue, orders, customers, units, average order value, repeat/cancellation rate, reviews, "
            "average rating, recommend rate, negative share) by day/week/month/quarter/year/weekday, country, "
            "product, category, department, class, segment, cluster or age band, filtered, top-N or lowest-N."
        ),
        errors=(MetricsError, MetricsConfigError, QueryTimeoutError),
    ),
]

__all__ = [
    "TOOLS",
    "Catalog",
    "Dimension",
    "Metric",
    "MetricsConfigError",
    "MetricsError",
    "MetricsQuery",
    "MetricsResult",
    "catalog_for",
    "compile_query",
    "load_catalog",
    "query_metrics",
]
