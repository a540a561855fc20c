"""One function per assertion type: (passed, reason). Ground truth comes from SQL written in the suite."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from assistant.agent.events import AgentResult
from assistant.agent.grounding import NUMBER, quotations
from assistant.core.privacy import EMAIL, contains_pii
from assistant.evals.suite import Assertion, NumberExpectation, ToolExpectation

# Retail stock codes (5 digits + optional letters) and clothing ids as shown in names ("Dresses #1078").
PRODUCT_ID_IN_TEXT = re.compile(r"\b\d{5}[A-Z]{0,3}\b|#(\d{1,4})\b")


@dataclass
class CheckResult:
    kind: str
    passed: bool | None  # None = skipped (e.g. a rubric without a judge)
    reason: str


@dataclass
class CheckContext:
    con: duckdb.DuckDBPyConnection
    judge: Callable[[str, str, str], tuple[bool, str]] | None = None
    sql_snippets: dict[str, str] | None = None

    def expand(self, sql: str) -> str:
        for name, snippet in (self.sql_snippets or {}).items():
            sql = sql.replace("{{" + name + "}}", snippet)
        return sql


def _args_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    for key, want in expected.items():
        got = actual.get(key)
        if isinstance(want, str):
            if not isinstance(got, str) or got.strip().lower() != want.strip().lower():
                return False
        elif isinstance(want, list):
            got_list = [str(g).lower() for g in (got if isinstance(got, list) else [got])]
            if not all(str(w).lower() in got_list for w in want):
                return False
        elif got != want:
            return False
    return True


def check_tool(expect: ToolExpectation, result: AgentResult) -> CheckResult:
    used = [s.tool for s in result.steps]
    if expect.name == "none":
        ok = not used
        return CheckResult("tool", ok, "no tool used" if ok else f"expected no tool, used {used}")
    matching = [s for s in result.steps if s.tool == expect.name]
    if not matching:
        return CheckResult("tool", False, f"expected {expect.name}, used {used or 'no tool'}")
    if expect.args and not any(_args_match(expect.args, s.args) for s in matching):
        return CheckResult("tool", False, f"{expect.name} args {[s.args for s in matching]} lack {expect.args}")
    return CheckResult("tool", True, f"used {expect.name}")


def _numbers(text: str) -> list[tuple[float, bool]]:
    out = []
    for token in NUMBER.findall(text):
        percent = token.strip().endswith("%")
        out.append((float(token.replace("%", "").replace(",", "").strip()), percent))
    return out


def check_number(expect: NumberExpectation, result: AgentResult, ctx: CheckContext) -> CheckResult:
    try:
        row = ctx.con.execute(ctx.expand(expect.sql)).fetchone()
    except duckdb.Error as exc:
        return CheckResult("number", False, f"ground-truth SQL failed: {exc}")
    if row is None or row[0] is None:
        return CheckResult("number", False, "ground-truth SQL returned no value")
    truth = float(row[0])
    tolerance = max(expect.tolerance, abs(truth) * expect.rel_tolerance)
    for value, percent in _numbers(result.answer):
        if abs(value - truth) <= tolerance or (percent and abs(value - truth * 100) <= max(tolerance, 0.05)):
            return CheckResult("number", True, f"answer states {truth:g}")
    return CheckResult("number", False, f"answer does not state the true value {truth:g}")


def check_products_exist(result: AgentResult, ctx: CheckContext) -> CheckResult:
    ids: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "product_id" and v is not None:
                    ids.add(str(v))
                else:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for step in result.steps:
        walk(step.result)
    in_text = {match.group(1) or match.group(0) for match in PRODUCT_ID_IN_TEXT.finditer(result.answer)}
    if in_text:
        # UCI customer ids (12347) have the shape of stock codes (22423): a known customer is not a product claim.
        customers = {
            str(r[0])
            for r in ctx.con.execute(
                "SELECT customer_id FROM customers WHERE customer_id IN (SELECT unnest(?))", [sorted(in_text)]
            ).fetchall()
        }
        ids |= in_text - customers
    if not ids:
        return CheckResult("products_exist", True, "no products named")
    found = {
        str(r[0])
        for r in ctx.con.execute(
            "SELECT product_id FROM products WHERE product_id IN (SELECT unnest(?))", [sorted(ids)]
        ).fetchall()
    }
    missing = sorted(ids - found)
    return CheckResult(
        "products_exist", not missing, f"unknown products {missing[:5]}" if missing else f"{len(ids)} products exist"
    )


def check_quotes_exist(result: AgentResult, ctx: CheckContext) -> CheckResult:
    quotes = [q.strip() for q in quotations(result.answer)]
    missing = []
    for quote in quotes:
        core = re.sub(r"\s+", " ", quote.strip(" .…,;:!?")).lower()  # the answer's own punctuation
        row = ctx.con.execute(
            """SELECT count(*) FROM reviews
               WHERE lower(regexp_replace(coalesce(body, '') || ' ' || coalesce(title, ''), '\\s+', ' ', 'g'))
                     LIKE '%' || ? || '%'""",
            [core],
        ).fetchone()
        if not row or not row[0]:
            missing.append(quote[:60])
    if not quotes:
        return CheckResult("quotes_exist", True, "no quotes")
    return CheckResult(
        "quotes_exist", not missing, f"not in any review: {missing}" if missing else f"{len(quotes)} quotes verified"
    )


def run_check(assertion: Assertion, result: AgentResult, ctx: CheckContext) -> CheckResult:
    answer = result.answer
    kind = assertion.kind
    if isinstance(assertion.tool, ToolExpectation):
        return check_tool(assertion.tool, result)
    if assertion.number is not None:
        return check_number(assertion.number, result, ctx)
    if assertion.contains is not None:
        wanted = [assertion.contains] if isinstance(assertion.contains, str) else assertion.contains
        missing = [w for w in wanted if w.lower() not in answer.lower()]
        return CheckResult(kind, not missing, f"missing {missing}" if missing else "contains all")
    if assertion.not_contains is not None:
        banned = [assertion.not_contains] if isinstance(assertion.not_contains, str) else assertion.not_contains
        present = [b for b in banned if b.lower() in answer.lower()]
        return CheckResult(kind, not present, f"contains {present}" if present else "contains none")
    if assertion.regex is not None:
        ok = re.search(assertion.regex, answer, re.I | re.S) is not None
        return CheckResult(kind, ok, f"{'matches' if ok else 'does not match'} /{assertion.regex}/")
    if assertion.max_chars is not None:
        ok = len(answer) <= assertion.max_chars
        return CheckResult(kind, ok, f"{len(answer)} characters (max {assertion.max_chars})")
    if assertion.no_pii:
        ok = not contains_pii(answer) and not EMAIL.search(answer)
        return CheckResult(kind, ok, "no personal data" if ok else "answer contains personal data")
    if assertion.products_exist:
        return check_products_exist(result, ctx)
    if assertion.quotes_exist:
        return check_quotes_exist(result, ctx)
    if assertion.max_ms is not None:
        ok = result.timings.total_ms <= assertion.max_ms
        return CheckResult(kind, ok, f"{result.timings.total_ms:.0f} ms (max {assertion.max_ms:.0f})")
    if assertion.rubric is not None:
        if ctx.judge is None:
            return CheckResult(kind, None, "skipped: no judge model configured (--judge)")
        ok, why = ctx.judge(assertion.rubric, result.question, answer)
        return CheckResult(kind, ok, why)
    return CheckResult(kind, True, "no-op")
