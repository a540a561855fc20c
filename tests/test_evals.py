"""The eval harness: every assertion type passes and fails where it should; reports and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from assistant.agent.events import AgentResult, Step, Timings, TokenUsage
from assistant.cli import app
from assistant.core.workspace import Workspace
from assistant.evals.checks import CheckContext, run_check
from assistant.evals.suite import Assertion, SuiteError, load_suite


def result(answer: str, steps: list[Step] | None = None, total_ms: float = 1000.0) -> AgentResult:
    return AgentResult(
        question="q", answer=answer, steps=steps or [], model="scripted",
        timings=Timings(first_content_ms=100, first_token_ms=200, total_ms=total_ms), tokens=TokenUsage(),
    )  # fmt: skip


@pytest.fixture
def check_ctx(demo_workspace: Workspace) -> Any:
    con = demo_workspace.connect()
    yield CheckContext(con=con)
    con.close()


def first_review(ws: Workspace) -> tuple[str, str]:
    con = ws.connect()
    row = con.execute(
        "SELECT review_id, body FROM reviews WHERE length(body) > 40 ORDER BY review_id LIMIT 1"
    ).fetchone()
    con.close()
    assert row is not None
    return str(row[0]), str(row[1])


def truth(ws: Workspace, sql: str) -> float:
    con = ws.connect()
    row = con.execute(sql).fetchone()
    con.close()
    assert row is not None
    return float(row[0])


CUSTOMERS_DE = "SELECT count(*) FROM customers WHERE country = 'Germany'"


def test_each_assertion_type_passes_and_fails(check_ctx: CheckContext, demo_workspace: Workspace) -> None:
    n_de = int(truth(demo_workspace, CUSTOMERS_DE))
    _, body = first_review(demo_workspace)
    quote = body[:40]
    copy_step = Step(tool="write_copy", args={"channel": "sms", "products": ["D101"]}, ok=True, ms=5,
                     result={"products": [{"product_id": "D101", "name": "Linen Summer Dress"}]})  # fmt: skip
    fake_step = Step(tool="write_copy", args={}, ok=True, ms=5, result={"products": [{"product_id": "NOPE"}]})
    cases: list[tuple[dict[str, Any], AgentResult, AgentResult]] = [
        ({"tool": "write_copy"}, result("x", [copy_step]), result("x")),
        ({"tool": {"name": "write_copy", "args": {"channel": "SMS"}}}, result("x", [copy_step]),
         result("x", [copy_step.model_copy(update={"args": {"channel": "email"}})])),
        ({"tool": "none"}, result("hello"), result("x", [copy_step])),
        ({"number": {"sql": CUSTOMERS_DE}}, result(f"Germany has {n_de:,} customers."),
         result(f"Germany has {n_de + 7:,} customers.")),
        ({"contains": ["Germany", "customers"]}, result("Germany customers"), result("France")),
        ({"not_contains": "@"}, result("no address"), result("mail a@b")),
        ({"regex": r"\bDRAFT\b"}, result("DRAFT copy"), result("draftsman")),
        ({"max_chars": 10}, result("short"), result("much too long an answer")),
        ({"no_pii": True}, result("ids only: 12345"), result("write to jane@example.com")),
        ({"products_exist": True}, result("Try D101", [copy_step]), result("x", [fake_step])),
        ({"quotes_exist": True}, result(f'A reviewer said "{quote}".'),
         result('A reviewer said "this sentence is not in any review at all".')),
        ({"quotes_exist": True}, result(f'One said "{quote[:40]}," and "tiny".'),  # own comma; a 4-letter term
         result(f'One said "{quote[:40]} and then some words nobody wrote".')),
        ({"max_ms": 5000}, result("x", total_ms=1200), result("x", total_ms=9000)),
    ]  # fmt: skip
    for spec, good, bad in cases:
        assertion = Assertion.model_validate(spec)
        assert run_check(assertion, good, check_ctx).passed is True, spec
        failed = run_check(assertion, bad, check_ctx)
        assert failed.passed is False and failed.reason, spec


def test_rubric_is_skipped_without_a_judge_and_graded_with_one(check_ctx: CheckContext) -> None:
    assertion = Assertion.model_validate({"rubric": "mentions a next step"})
    skipped = run_check(assertion, result("x"), check_ctx)
    assert skipped.passed is None and "skipped" in skipped.reason
    judged = run_check(
        assertion, result("x"), CheckContext(con=check_ctx.con, judge=lambda r, q, a: (False, "no step"))
    )
    assert judged.passed is False and judged.reason == "no step"


def test_suite_errors_name_the_case(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "threshold": 0.5, "cases": [
        {"id": "ok", "prompt": "hi", "assert": [{"tool": "none"}]},
        {"id": "broken", "prompt": "hi", "assert": [{"contains": "a", "regex": "b"}]},
    ]}))  # fmt: skip
    with pytest.raises(SuiteError, match="case 'broken'"):
        load_suite(path)
    with pytest.raises(SuiteError, match="not found"):
        load_suite(tmp_path / "missing.yaml")


def test_suite_expectations_are_checked_against_the_declared_tools(tmp_path: Path) -> None:
    def suite_with(expect: dict[str, object]) -> Path:
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump({"name": "s", "threshold": 0.5, "cases": [
            {"id": "c1", "prompt": "hi", "assert": [{"tool": expect}]}]}))  # fmt: skip
        return path

    assert load_suite(suite_with({"name": "segment_query", "args": {"countries": ["France"]}})).cases
    with pytest.raises(SuiteError, match="case 'c1': tool: 'segment_querry' is not a tool"):
        load_suite(suite_with({"name": "segment_querry"}))
    with pytest.raises(SuiteError, match=r"case 'c1': tool.args: \['country'\] are not inputs of segment_query"):
        load_suite(suite_with({"name": "segment_query", "args": {"country": "France"}}))


def test_mka_eval_reports_and_gates_on_threshold(
    demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    from assistant.core.settings import get_settings

    n_de = int(truth(demo_workspace, CUSTOMERS_DE))
    script = tmp_path / "script.yaml"
    script.write_text(yaml.safe_dump({"rules": [
        {"match": "sms", "purpose": "route", "output": {"tool": "write_copy", "args": {"channel": "sms",
                                                                                       "products": ["linen dress"]}}},
        {"match": ".", "purpose": "copy", "output": {"variants": [{"body": "Linen Summer Dress: new in. Shop now."}]}},
        {"match": ".", "purpose": "route", "output": {"tool": "answer"}},
        {"match": ".", "purpose": "respond", "output": "I can help with segments and copy."},
    ]}))  # fmt: skip
    suite = {"name": "mini", "threshold": 0.6, "cases": [
        {"id": "copy-sms", "category": "copy", "prompt": "Write an sms about the linen dress",
         "assert": [{"tool": "write_copy"}, {"regex": "DRAFT"}, {"products_exist": True}, {"no_pii": True}]},
        {"id": "hello", "prompt": "hello", "assert": [{"tool": "none"}, {"max_chars": 200}]},
        {"id": "needs-number", "prompt": "customers in Germany?", "category": "segments",
         "assert": [{"tool": "segment_query"}, {"number": {"sql": CUSTOMERS_DE}}]},
    ]}  # fmt: skip
    suite_path = tmp_path / "mini.yaml"
    suite_path.write_text(yaml.safe_dump(suite))
    monkeypatch.setenv("MKA_HOME", str(demo_workspace.home))
    monkeypatch.setenv("MKA_LLM", "scripted")
    monkeypatch.setenv("MKA_SCRIPT_FILE", str(script))
    get_settings.cache_clear()
    try:
        out = cli.invoke(app, ["eval", str(suite_path), "--report", str(tmp_path / "runs"), "--json"])
        assert out.exit_code == 0, out.output
        report = json.loads(out.stdout)
        assert report["pass_rate"] == pytest.approx(2 / 3, abs=0.001)
        assert report["routing_accuracy"] == pytest.approx(2 / 3, abs=0.001)
        assert report["confusion"]["segment_query"] == {"none": 1}
        failed = next(c for c in report["cases"] if c["id"] == "needs-number")
        assert not failed["passed"] and any(f"{n_de:g}" in c["reason"] for c in failed["checks"] if not c["passed"])
        assert report["latency_ms"]["total_ms"]["p50"] is not None
        assert all(c["flags"] == [] for c in report["cases"])  # what the agent flagged, per case (nothing here)
        md = next((tmp_path / "runs").glob("eval-mini-*.md")).read_text()
        assert "| segment_query | none | 1 |" in md and "FAIL" in md
        suite["threshold"] = 0.9
        suite_path.write_text(yaml.safe_dump(suite))
        assert cli.invoke(app, ["eval", str(suite_path), "--report", str(tmp_path / "runs")]).exit_code == 1
    finally:
        get_settings.cache_clear()


def test_customer_ids_shaped_like_stock_codes_are_not_unknown_products() -> None:
    """UCI customer 12347 looks like stock code 22423; naming a customer is not a product claim."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT * FROM (VALUES ('12347')) t(customer_id)")
    con.execute("CREATE TABLE products AS SELECT * FROM (VALUES ('22423')) t(product_id)")
    ctx = CheckContext(con=con)
    check = Assertion.model_validate({"products_exist": True})
    assert run_check(check, result("For customer 12347 try 22423."), ctx).passed is True
    failed = run_check(check, result("For customer 12347 try 99999."), ctx)
    assert failed.passed is False and "99999" in failed.reason and "12347" not in failed.reason
