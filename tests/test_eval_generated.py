"""The generated suite (evals/suites/generated.yaml): what the templates generate, split into dev and test by
family, every intent and language in the held-out split, and ground truth that runs."""

from __future__ import annotations

from collections import defaultdict

import pytest

from assistant.evals.checks import CheckContext
from assistant.evals.generate import DEFAULT_OUT, DEFAULT_TEMPLATES, INTENTS, LANGUAGES, generate_text, load_templates
from assistant.evals.suite import Case, Suite, ToolExpectation, load_suite
from tools.context import ToolContext

# Tools whose arguments are data values (a country, a segment, a category…): their cases check them exactly.
DATA_VALUE_TOOLS = {
    "segment_query", "customer_overview", "explain_segment", "recommend_products", "analyze_sentiment",
    "search_reviews", "search_products", "predict_churn", "predict_clv", "forecast_sales", "campaign_response",
    "write_copy",
}  # fmt: skip


@pytest.fixture(scope="module")
def suite() -> Suite:
    return load_suite(DEFAULT_OUT)  # validates every case and checks tools and arguments against the tools


def _texts(case: Case) -> list[str]:
    return case.messages


def test_committed_suite_is_what_the_templates_generate() -> None:
    assert DEFAULT_OUT.read_text(encoding="utf-8") == generate_text(), (
        "evals/suites/generated.yaml is generated: edit evals/templates/ and run `mka eval generate`"
    )


def test_suite_size_and_labels(suite: Suite) -> None:
    assert len(suite.cases) >= 400
    for case in suite.cases:
        assert case.family and case.split in ("dev", "test") and case.intent in INTENTS, case.id
        assert case.language in LANGUAGES, case.id
        assert case.follow_up == (case.turns is not None and len(case.turns) > 1), case.id
        kinds = [a.kind for a in case.assertions]
        assert kinds.count("useful") == 1 and "no_pii" in kinds, case.id
        assert ("language" in kinds) == (case.language != "en"), case.id
        if case.language != "en":
            assert any(a.language == case.language for a in case.assertions), case.id
        tool = next(a.tool for a in case.assertions if isinstance(a.tool, ToolExpectation))
        if tool.name in DATA_VALUE_TOOLS:
            assert tool.exact, f"{case.id}: a data-value tool is checked exactly"
    assert sum(c.follow_up for c in suite.cases) >= 40


def test_every_family_is_in_one_split_and_the_splits_are_disjoint(suite: Suite) -> None:
    splits: dict[str, set[str]] = defaultdict(set)
    for case in suite.cases:
        assert case.family is not None
        splits[case.family].add(str(case.split))
    assert all(len(s) == 1 for s in splits.values()), {f: s for f, s in splits.items() if len(s) > 1}
    dev = {f for f, s in splits.items() if s == {"dev"}}
    test = {f for f, s in splits.items() if s == {"test"}}
    assert dev and test and not dev & test
    _, families = load_templates(DEFAULT_TEMPLATES)
    assert {f.id for f in families} == set(splits), "every family generates cases"


def test_every_intent_is_in_both_splits_and_every_language_in_test(suite: Suite) -> None:
    families: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case in suite.cases:
        families[(str(case.intent), str(case.split))].add(str(case.family))
    for intent in INTENTS:
        assert families[(intent, "dev")], f"{intent}: no dev family"
        assert families[(intent, "test")], f"{intent}: no test family"
    test_languages = {c.language for c in suite.cases if c.split == "test"}
    assert test_languages == set(LANGUAGES)
    test_cases = sum(c.split == "test" for c in suite.cases)
    assert 0.35 <= test_cases / len(suite.cases) <= 0.65, "roughly half the cases are held out"


def test_no_test_request_repeats_a_dev_one(suite: Suite) -> None:
    dev = {t.casefold() for c in suite.cases if c.split == "dev" for t in _texts(c)}
    repeated = sorted({t for c in suite.cases if c.split == "test" for t in _texts(c) if t.casefold() in dev})
    assert not repeated, repeated[:10]


def test_every_ground_truth_runs_on_the_demo_warehouse(suite: Suite, demo_ctx: ToolContext) -> None:
    con = demo_ctx.workspace.connect(read_only=True)
    ctx = CheckContext(con=con, sql_snippets=suite.sql_snippets)
    checked = 0
    try:
        for case in suite.cases:
            for assertion in case.assertions:
                if assertion.number is None:
                    continue
                sql = ctx.expand(assertion.number.sql)
                assert "{" not in sql.replace("{{", ""), f"{case.id}: unfilled placeholder in {sql!r}"
                cursor = con.execute(sql)
                rows = cursor.fetchall()
                assert len(rows) == 1 and len(rows[0]) == 1, f"{case.id}: the truth is one value, got {rows[:3]}"
                assert rows[0][0] is None or isinstance(rows[0][0], int | float), case.id
                checked += 1
    finally:
        con.close()
    assert checked >= 250
