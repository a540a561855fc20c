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


# Options that say how to show or compute an answer, not which data it is about: `exact` does not compare them.
BEHAVIOUR_OPTIONS = frozenset(
    {
        "group_by", "sort", "limit", "k", "mode", "metric", "granularity", "channel", "tone", "horizon", "top_n",
        "n_variants", "exclude_purchased", "include_subscribed", "max_depth", "language", "export",
        "min_segment_size", "top_segments", "call_list",
    }
)  # fmt: skip
# Whole-number bounds: a strict one ('more than 10 orders') is the same filter as the inclusive N+1.
INTEGER_BOUNDS = ("frequency_min", "frequency_max", "recency_days_min", "recency_days_max")


def normalised_args(args: dict[str, Any]) -> dict[str, Any]:
    """Strict whole-number bounds written as N+1 (min) or N-1 (max), as a suite writes them; other strict bounds
    (money, probabilities) stay named in `strict_bounds`."""
    strict = args.get("strict_bounds")
    if not strict:
        return args
    out = dict(args)
    remaining = []
    for name in strict if isinstance(strict, list) else [strict]:
        value = out.get(name)
        if name in INTEGER_BOUNDS and isinstance(value, int | float) and float(value).is_integer():
            out[name] = int(value) + (1 if name.endswith("_min") else -1)
        else:
            remaining.append(name)
    if remaining:
        out["strict_bounds"] = sorted(remaining)
    else:
        out.pop("strict_bounds")
    return out


def _unset(value: Any) -> bool:
    return value is None or value == [] or value == {} or (isinstance(value, str) and not value.strip())


def _lower_set(value: Any) -> set[str]:
    return {str(v).strip().lower() for v in (value if isinstance(value, list) else [value])}


def extra_values(expect: ToolExpectation, actual: dict[str, Any]) -> list[str]:
    """Data values in `actual` beyond the expected ones: a field the question never gave, or more list items."""
    ignored = BEHAVIOUR_OPTIONS | set(expect.free)
    extra = []
    for key, got in sorted(actual.items()):
        if key in ignored or _unset(got):
            continue
        if key not in expect.args:
            extra.append(f"{key}={got!r}")
        elif isinstance(expect.args[key], list) and not _lower_set(got) <= _lower_set(expect.args[key]):
            extra.append(f"{key}={sorted(_lower_set(got) - _lower_set(expect.args[key]))}")
    return extra


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
    fitting = [s for s in matching if _args_match(expect.args, normalised_args(s.args))]
    if expect.args and not fitting:
        return CheckResult("tool", False, f"{expect.name} args {[s.args for s in matching]} lack {expect.args}")
    if expect.exact:
        extras = [extra_values(expect, normalised_args(s.args)) for s in fitting]
        if all(extras):
            return CheckResult("tool", False, f"{expect.name} has values the request never gave: {extras[0]}")
        return CheckResult("tool", True, f"used {expect.name} with exactly the expected values")
    return CheckResult("tool", True, f"used {expect.name}")


# A result with one of these counts at 0, or with all of these lists empty, found nothing.
RESULT_COUNTS = ("customers", "review_count", "members", "contacts", "count")
RESULT_LISTS = ("hits", "items", "top", "rows", "periods", "rules", "variants", "call_first", "breakdown", "segments")


def empty_result(result: Any) -> bool:
    """True when a tool result holds nothing to show: no result, 'no customers match', no hits, no rows."""
    if _unset(result):
        return True
    if not isinstance(result, dict):
        return False
    if result.get("empty_reason"):
        return True
    counts = [result[k] for k in RESULT_COUNTS if isinstance(result.get(k), int | float)]
    if counts:
        return not any(counts)
    lists = [result[k] for k in RESULT_LISTS if isinstance(result.get(k), list)]
    if lists:
        return not any(lists)
    return False


def check_useful(result: AgentResult, expected_tool: str | None) -> CheckResult:
    """The expected tool ran first, ok, and found something; and there is an answer. 'none': no tool, an answer."""
    if not result.answer.strip():
        return CheckResult("useful", False, "empty answer")
    steps = result.steps
    if expected_tool == "none":
        ok = not steps
        return CheckResult("useful", ok, "answered without a tool" if ok else f"used {[s.tool for s in steps]}")
    if not steps:
        if expected_tool is None:
            return CheckResult("useful", True, "answered")
        return CheckResult("useful", False, f"no tool ran (expected {expected_tool})")
    first = steps[0]
    if expected_tool is not None and first.tool != expected_tool:
        return CheckResult("useful", False, f"first tool {first.tool}, expected {expected_tool}")
    if not first.ok:
        return CheckResult("useful", False, f"{first.tool} failed")
    if empty_result(first.result):
        return CheckResult("useful", False, f"{first.tool} found nothing")
    return CheckResult("useful", True, f"{first.tool} found results")


# Paragraphs that are tool output rather than narration: tables, bullets, bold headlines, notes, headings, a copy
# draft's call-to-action button ("[Jetzt kaufen]": two words say too little of a language to judge the answer by).
_TOOL_LINE = re.compile(r"^\s*(?:\||[-*•] |\*\*|_|#|>|\d+\. |\[[^\]]*\]\s*$)")
_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)


def answer_prose(answer: str, tool_ran: bool) -> str:
    """The narration of an answer: code blocks, tables and tool-output lines removed. After a tool, the answer
    is its results, then the narration, so the narration is the last paragraph that is not tool output."""
    text = _CODE_BLOCK.sub("\n\n", answer)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    prose = [
        "\n".join(line for line in p.splitlines() if line.strip() and not _TOOL_LINE.match(line))
        for p in paragraphs
        if not all(_TOOL_LINE.match(line) for line in p.splitlines() if line.strip())
    ]
    prose = [p for p in prose if p.strip()]
    if tool_ran:
        return prose[-1] if prose else ""
    return "\n\n".join(prose)


def check_language(language: str, result: AgentResult) -> CheckResult:
    try:
        from assistant.understand.language import detect_language
    except ImportError:
        return CheckResult("language", None, "skipped: no language detector (assistant.understand.language)")
    prose = answer_prose(result.answer, bool(result.steps))
    if not prose:
        return CheckResult("language", False, "no prose to read the language of")
    found = detect_language(prose)
    ok = found == language
    return CheckResult("language", ok, f"prose in {found}" + ("" if ok else f", expected {language}"))


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


def run_check(
    assertion: Assertion, result: AgentResult, ctx: CheckContext, expected_tool: str | None = None
) -> CheckResult:
    """One assertion on one result; `expected_tool` (the case's) is what a `useful` check expects to have run."""
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
    if assertion.useful:
        return check_useful(result, expected_tool)
    if assertion.language is not None:
        return check_language(assertion.language, result)
    if assertion.rubric is not None:
        if ctx.judge is None:
            return CheckResult(kind, None, "skipped: no judge model configured (--judge)")
        ok, why = ctx.judge(assertion.rubric, result.question, answer)
        return CheckResult(kind, ok, why)
    return CheckResult(kind, True, "no-op")
