"""Hostile and malformed segment requests: a clear error naming the field, or a correct empty result; the
warehouse file is byte-for-byte unchanged afterwards."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from assistant.core.workspace import Workspace
from tools.context import ToolContext
from tools.segments import (
    CustomerOverviewInput,
    ExplainSegmentInput,
    SegmentQueryError,
    SegmentSpec,
    customer_overview,
    explain_segment,
    segment_query,
)
from tools.segments.sqlrun import ExecutedQuery, QueryTimeoutError, run_query

INJECTION = "'; DROP TABLE orders; --"

# (spec fields, the field an error must name) — None means "must succeed with an empty result".
HOSTILE: list[tuple[dict[str, Any], str | None]] = [
    ({"countries": [INJECTION]}, "countries"),
    ({"countries": ["Germany' OR '1'='1"]}, "countries"),
    ({"countries": "United Kingdom; DELETE FROM customers"}, "countries"),
    ({"countries": ["Germany\x00"]}, "countries"),
    ({"countries": ["\u202eynamreG"]}, "countries"),
    ({"countries": ["x" * 500]}, "countries"),
    ({"countries": ["   "]}, "countries"),
    ({"countries": ["🙂🙃"]}, "countries"),
    ({"countries": ["Germany"] * 51}, "countries"),
    ({"bought_product": INJECTION}, None),
    ({"bought_product": "%"}, "bought_product"),
    ({"bought_product": "%%__"}, "bought_product"),
    ({"bought_product": "100% linen_dress\\"}, None),
    ({"bought_product": "' UNION SELECT customer_id FROM customers --"}, None),
    ({"bought_product": "ß∂ƒ©˙∆˚¬ 你好 мир"}, None),
    ({"bought_product": "a" * 101}, "bought_product"),
    ({"bought_product": "dress\u200b"}, "bought_product"),
    ({"bought_category": "Dresses' OR 1=1 --"}, "bought_category"),
    ({"bought_category": "$category"}, "bought_category"),
    ({"segments": ["champions; DROP TABLE orders"]}, "segments"),
    ({"segments": ["vip"]}, "segments"),
    ({"segments": [42]}, "segments"),
    ({"recency_days_min": -1}, "recency_days_min"),
    ({"recency_days_min": 90, "recency_days_max": 30}, "recency_days_min"),
    ({"frequency_min": 5, "frequency_max": 1}, "frequency_min"),
    ({"monetary_min": -100.0}, "monetary_min"),
    ({"monetary_min": float("nan")}, "monetary_min"),
    ({"monetary_max": float("inf")}, "monetary_max"),
    ({"monetary_min": 1e15}, "monetary_min"),
    ({"monetary_min": 1e11}, None),
    ({"limit": 10**9}, "limit"),
    ({"limit": -5}, "limit"),
    ({"as_of": "1999-01-01"}, "as_of"),
    ({"as_of": "2999-01-01"}, "as_of"),
    ({"as_of": "yesterday; DROP TABLE meta"}, "as_of"),
    ({"as_of": "2024-02-30"}, "as_of"),
    ({"not_ordered_since": "1971-01-01"}, None),
    ({"first_order_from": "2024-12-01", "first_order_to": "2024-01-01"}, "first_order_from"),
    ({"first_order_from": "2090-01-01"}, None),
    ({"cluster": -1}, "cluster"),
    ({"cluster": 98}, None),
    ({"group_by": "country; DROP TABLE orders"}, "group_by"),
    ({"sort": "monetary DESC; DROP TABLE orders"}, "sort"),
    ({"sql": "SELECT * FROM orders"}, "sql"),
    ({"frequency_min": 10**7}, "frequency_min"),
]


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_enough_hostile_cases() -> None:
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize(("fields", "field"), HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_spec_is_rejected_by_name_or_empty(
    fields: dict[str, Any], field: str | None, demo_ctx: ToolContext
) -> None:
    if field is None:
        result = segment_query(SegmentSpec.model_validate(fields), demo_ctx)
        assert result.customers == 0 and result.revenue == 0 and result.sample_customer_ids == []
        assert all("DROP" not in q.sql and "UNION" not in q.sql for q in result.queries)
        return
    with pytest.raises((ValidationError, SegmentQueryError)) as info:
        segment_query(SegmentSpec.model_validate(fields), demo_ctx)
    assert field in str(info.value)


def test_other_tools_reject_hostile_input(demo_ctx: ToolContext) -> None:
    with pytest.raises(SegmentQueryError, match="countries"):
        customer_overview(CustomerOverviewInput(countries=[INJECTION]), demo_ctx)
    with pytest.raises(ValidationError, match="top_n"):
        CustomerOverviewInput(top_n=10**6)
    with pytest.raises(ValidationError, match="max_depth"):
        ExplainSegmentInput(segment="lost", max_depth=30)
    with pytest.raises(ValidationError, match="segment"):
        ExplainSegmentInput(segment="lost' OR 1=1")
    with pytest.raises(ValidationError, match="give a segment"):
        ExplainSegmentInput()
    with pytest.raises(SegmentQueryError, match="countries"):
        explain_segment(ExplainSegmentInput(countries=["Atlantis"]), demo_ctx)


def test_warehouse_unchanged_after_hostile_run(demo_workspace: Workspace, demo_ctx: ToolContext) -> None:
    before = checksum(demo_workspace.warehouse_path)
    for fields, _ in HOSTILE:
        with contextlib.suppress(ValidationError, SegmentQueryError):
            segment_query(SegmentSpec.model_validate(fields), demo_ctx)
    demo_ctx.close()
    con = demo_workspace.connect()
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert {"orders", "customers", "meta", "customer_rfm"} <= tables
    assert checksum(demo_workspace.warehouse_path) == before


def test_runaway_query_is_interrupted_and_the_cursor_still_works(demo_ctx: ToolContext) -> None:
    log: list[ExecutedQuery] = []
    huge = "SELECT count(*) FROM range($n) a, range($n) b"
    with pytest.raises(QueryTimeoutError, match="time limit"):
        run_query(demo_ctx.warehouse(), "runaway", huge, {"n": 10**7, "unused": 1}, log, timeout_s=0.2)
    assert log[0].params == {"n": 10**7}  # only the parameters the SQL names are bound and recorded
    assert run_query(demo_ctx.warehouse(), "after", "SELECT 1 AS x", {}, log)["x"].tolist() == [1]


def test_tool_connection_is_read_only(demo_ctx: ToolContext) -> None:
    with pytest.raises(Exception, match=r"(?i)read.only"):
        demo_ctx.warehouse().execute("DELETE FROM customer_rfm")
