"""The checks the generated suite adds (useful, exact arguments, the answer's language) and split reporting."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
import yaml
from rich.progress import Progress
from typer.testing import CliRunner

from assistant.agent.events import AgentResult, Step, Timings, TokenUsage
from assistant.cli import app
from assistant.core.workspace import Workspace
from assistant.evals.checks import CheckContext, answer_prose, run_check
from assistant.evals.runner import build_report, run_suite, to_markdown
from assistant.evals.suite import Assertion, Suite, SuiteError, filter_split


def result(answer: str, steps: list[Step] | None = None) -> AgentResult:
    return AgentResult(
        question="q", answer=answer, steps=steps or [], model="scripted", timings=Timings(total_ms=10),
        tokens=TokenUsage(),
    )  # fmt: skip


def step(tool: str, args: dict[str, Any], ok: bool = True, res: Any = None) -> Step:
    return Step(tool=tool, args=args, ok=ok, result={"customers": 5} if res is None else res, ms=1)


def check(spec: dict[str, Any], res: AgentResult, expected_tool: str | None = None) -> bool | None:
    con = duckdb.connect()
    try:
        return run_check(Assertion.model_validate(spec), res, CheckContext(con=con), expected_tool=expected_tool).passed
    finally:
        con.close()


GERMANY = {"tool": {"name": "segment_query", "args": {"countries": ["Germany"]}, "exact": True}}


@pytest.mark.parametrize(
    ("args", "passed"),
    [
        ({"countries": ["germany"]}, True),
        ({"countries": ["Germany"], "group_by": "segment", "limit": 50, "sort": "frequency"}, True),  # behaviour
        ({"countries": ["Germany"], "segments": ["champions"]}, False),  # a segment the question never gave
        ({"countries": ["Germany"], "not_ordered_since": "2011-06-01"}, False),  # a date range
        ({"countries": ["Germany", "France"]}, False),  # one country too many
        ({"countries": ["France"]}, False),
        ({"segments": []}, False),  # no country at all
    ],
)
def test_exact_args(args: dict[str, Any], passed: bool) -> None:
    assert check(GERMANY, result("x", [step("segment_query", args)])) is passed


def test_exact_args_takes_any_matching_step_and_subset_checks_stay_as_they_were() -> None:
    loose = {"tool": {"name": "segment_query", "args": {"countries": ["Germany"]}}}
    extra = step("segment_query", {"countries": ["Germany"], "segments": ["lost"]})
    assert check(loose, result("x", [extra])) is True  # without `exact`, more values are fine
    plain = step("segment_query", {"countries": ["Germany"]})
    assert check(GERMANY, result("x", [extra, plain])) is True


def test_strict_bounds_whole_numbers_are_n_plus_one_money_stays_strict() -> None:
    more_than_10 = {"tool": {"name": "segment_query", "args": {"frequency_min": 11}, "exact": True}}
    assert check(more_than_10, result("x", [step("segment_query", {"frequency_min": 11})])) is True
    strict = step("segment_query", {"frequency_min": 10, "strict_bounds": ["frequency_min"]})
    assert check(more_than_10, result("x", [strict])) is True
    assert check(more_than_10, result("x", [step("segment_query", {"frequency_min": 10})])) is False
    over_5000 = {
        "tool": {
            "name": "segment_query", "args": {"monetary_min": 5000, "strict_bounds": ["monetary_min"]}, "exact": True
        }
    }  # fmt: skip
    strict_money = step("segment_query", {"monetary_min": 5000.0, "strict_bounds": ["monetary_min"]})
    assert check(over_5000, result("x", [strict_money])) is True
    assert check(over_5000, result("x", [step("segment_query", {"monetary_min": 5000})])) is False
    at_least = {"tool": {"name": "segment_query", "args": {"monetary_min": 5000}, "exact": True}}
    assert check(at_least, result("x", [strict_money])) is False  # 'at least' made strict


def test_exact_args_leaves_free_text_alone() -> None:
    spec = {"tool": {"name": "search_reviews", "args": {"category": "Dresses"}, "exact": True, "free": ["query"]}}
    ok = step("search_reviews", {"query": "zip broke", "category": "Dresses"}, res={"hits": [{"quote": "q"}]})
    assert check(spec, result("x", [ok])) is True
    invented = ok.model_copy(update={"args": {**ok.args, "min_rating": 4}})
    assert check(spec, result("x", [invented])) is False


@pytest.mark.parametrize(
    ("steps", "answer", "expected_tool", "passed"),
    [
        ([step("segment_query", {}, res={"customers": 12})], "12 customers.", "segment_query", True),
        ([step("segment_query", {}, res={"customers": 0})], "No customers match.", "segment_query", False),
        ([step("segment_query", {}, ok=False)], "It failed.", "segment_query", False),
        ([step("customer_overview", {}), step("segment_query", {})], "x", "segment_query", False),  # not first
        ([step("segment_query", {})], "  ", "segment_query", False),  # no answer
        ([step("search_reviews", {"query": "q"}, res={"hits": []})], "Nothing found.", "search_reviews", False),
        ([step("analyze_sentiment", {}, res={"review_count": 0, "aspects": []})], "None.", "analyze_sentiment", False),
        ([step("recommend_products", {}, res={"items": [{"product_id": "1"}]})], "Try 1.", "recommend_products", True),
        ([], "I can't share that.", "none", True),
        ([step("segment_query", {})], "x", "none", False),
        ([], "", "none", False),
        ([], "Which country do you mean?", "segment_query", False),
    ],
)
def test_useful(steps: list[Step], answer: str, expected_tool: str, passed: bool) -> None:
    assert check({"useful": True}, result(answer, steps), expected_tool=expected_tool) is passed


TABLE_ANSWER = """**Segment:** customers in Germany

- **94 customers** (2.2% of 4,334)

| country | customers |
|---|---|
| Germany | 94 |

```
SELECT 1
```

Wir haben 94 Kunden in Deutschland, und die meisten kaufen regelmäßig."""


def test_answer_prose_is_the_narration_after_the_tool_output() -> None:
    narration = "Wir haben 94 Kunden in Deutschland, und die meisten kaufen regelmäßig."
    assert answer_prose(TABLE_ANSWER, tool_ran=True) == narration
    assert answer_prose("| a |\n|---|\n| 1 |", tool_ran=True) == ""
    assert answer_prose("Welches Land meinen Sie?\n\nAtlantis kenne ich nicht.", tool_ran=False) == (
        "Welches Land meinen Sie?\n\nAtlantis kenne ich nicht."
    )


def test_a_copy_drafts_button_is_no_prose_its_body_is() -> None:
    draft = "### DRAFT — email copy\nLanguage: German\n\n**Variant 1 (draft)**\n\n"
    draft += "Unsere neuen Kerzen sind da.\n\n[Jetzt kaufen]"
    assert answer_prose(draft, tool_ran=True) == "Unsere neuen Kerzen sind da."


@pytest.fixture
def fake_detector(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A stand-in for assistant.understand.language: German if it sees 'und', else English; records its input."""
    seen: list[str] = []
    module = types.ModuleType("assistant.understand.language")

    def detect_language(text: str) -> str:
        seen.append(text)
        return "de" if " und " in f" {text} " or "und," in text else "en"

    module.detect_language = detect_language  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "assistant.understand.language", module)
    return seen


def test_language_reads_only_the_prose(fake_detector: list[str]) -> None:
    tool_step = step("segment_query", {"countries": ["Germany"]})
    assert check({"language": "de"}, result(TABLE_ANSWER, [tool_step])) is True
    assert fake_detector[-1].startswith("Wir haben 94 Kunden")
    assert check({"language": "en"}, result(TABLE_ANSWER, [tool_step])) is False
    only_table = "| country | und |\n|---|---|\n| Germany | 94 |"
    assert check({"language": "de"}, result(only_table, [tool_step])) is False  # no prose at all
    assert check({"language": "en"}, result("Which country do you mean?")) is True


def test_language_is_skipped_without_a_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "assistant.understand.language", None)  # the import raises ImportError
    assert check({"language": "de"}, result("Hallo")) is None


def test_language_with_the_real_detector() -> None:
    language = pytest.importorskip("assistant.understand.language")
    assert language.detect_language("Wir haben 94 Kunden in Deutschland, und die meisten kaufen regelmäßig.") == "de"
    assert check({"language": "de"}, result(TABLE_ANSWER, [step("segment_query", {})])) is True


# ---- split filtering and breakdowns ---------------------------------------------------------------------------


def mini_suite() -> Suite:
    def case(cid: str, split: str, language: str, intent: str, checks: list[Any], turns: int = 1) -> dict[str, Any]:
        messages = [f"{cid} question {i}" for i in range(turns)]
        body: dict[str, Any] = {"prompt": messages[0]} if turns == 1 else {"turns": messages}
        return {"id": cid, "family": cid.split("-")[0], "split": split, "language": language, "intent": intent,
                "category": intent, **body, "assert": checks}  # fmt: skip

    germany = {"tool": {"name": "segment_query", "args": {"countries": ["Germany"]}, "exact": True}}
    return Suite.model_validate(
        {
            "name": "mini",
            "threshold": 0.5,
            "cases": [
                case("a-1", "dev", "en", "segments", [germany, {"useful": True}]),
                case("b-1", "test", "de", "segments", [germany, {"number": {"sql": "SELECT 94"}}]),
                case("b-2", "test", "de", "segments", [germany, {"useful": True}], turns=2),
                case("c-1", "test", "en", "privacy", [{"tool": "none"}, {"useful": True}]),
            ],
        }
    )


class FakeAgent:
    """Answers from a table of canned results; what run_suite needs of an Agent."""

    def __init__(self, answers: dict[str, AgentResult]) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.settings = SimpleNamespace(llm="scripted", local_model="-", llm_model="-", llm_threads=1, llm_context=1)
        self.model_name = "fake"
        self.ctx = SimpleNamespace(workspace=SimpleNamespace(connect=lambda read_only=True: duckdb.connect()))

    def ask(self, message: str, thread_id: str | None = None) -> AgentResult:
        self.asked.append(message)
        return self.answers.get(message.split(" question")[0], result("Sorry."))


def test_run_suite_filters_a_split_and_reports_breakdowns() -> None:
    good = result("Germany: 94 customers.", [step("segment_query", {"countries": ["Germany"]}, res={"customers": 94})])
    extra = result("94.", [step("segment_query", {"countries": ["Germany"], "segments": ["lost"]})])
    agent = FakeAgent({"a-1": good, "b-1": good, "b-2": extra, "c-1": result("I can't share personal data.")})
    with Progress(disable=True) as progress:
        report = run_suite(mini_suite(), agent, progress, split="test")  # type: ignore[arg-type]
    assert [o.id for o in report.cases] == ["b-1", "b-2", "c-1"] and report.split == "test"
    assert not any(m.startswith("a-1") for m in agent.asked)
    b = report.breakdowns
    assert set(b) == {"intent", "language", "follow_up", "split"}
    de = b["language"]["de"]
    assert de.cases == 2 and de.first_tool_accuracy == 1.0 and de.exact_args_rate == 0.5
    assert de.numbers_true_rate == 1.0 and de.useful_rate == 1.0 and de.pass_rate == 0.5
    assert b["follow_up"]["follow-up"].cases == 1 and b["follow_up"]["follow-up"].exact_args_rate == 0.0
    assert b["intent"]["privacy"].useful_rate == 1.0 and b["intent"]["privacy"].exact_args_rate is None
    assert list(b["split"]) == ["test"]
    outcome = next(o for o in report.cases if o.id == "b-2")
    assert outcome.follow_up and outcome.language == "de" and outcome.family == "b" and outcome.exact_args is False
    md = to_markdown(report)
    assert "## By intent" in md and "## By language" in md and "## Follow-ups" in md and "- split: test" in md
    assert "| de | 2 | 100.0% | 50.0% | 100.0% | 100.0% | 50.0% |" in md
    whole = build_report(mini_suite(), agent, report.cases, "now")  # type: ignore[arg-type]
    assert whole.split is None and len(whole.cases) == 3
    assert len(build_report(mini_suite(), agent, report.cases, "now", split="dev").cases) == 0  # type: ignore[arg-type]


def test_filter_split() -> None:
    suite = mini_suite()
    assert [c.id for c in filter_split(suite, "dev").cases] == ["a-1"]
    assert filter_split(suite, None) is suite
    with pytest.raises(SuiteError, match="split must be one of dev, test"):
        filter_split(suite, "train")
    core = suite.model_copy(update={"cases": [c.model_copy(update={"split": None}) for c in suite.cases]})
    with pytest.raises(SuiteError, match="no cases in the 'test' split"):
        filter_split(core, "test")


def test_mka_eval_split_and_generate_check(
    demo_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    from assistant.core.settings import get_settings

    script = tmp_path / "script.yaml"
    script.write_text(yaml.safe_dump({"rules": [
        {"match": ".", "purpose": "route", "output": {"tool": "answer"}},
        {"match": ".", "purpose": "respond", "output": "I can help with segments and copy."},
    ]}))  # fmt: skip
    suite_path = tmp_path / "mini.yaml"
    suite_path.write_text(yaml.safe_dump(json.loads(mini_suite().model_dump_json(by_alias=True, exclude_none=True))))
    monkeypatch.setenv("MKA_HOME", str(demo_workspace.home))
    monkeypatch.setenv("MKA_LLM", "scripted")
    monkeypatch.setenv("MKA_SCRIPT_FILE", str(script))
    get_settings.cache_clear()
    try:
        out = cli.invoke(app, ["eval", str(suite_path), "--split", "test", "--report", str(tmp_path), "--json"])
        report = json.loads(out.stdout)
        assert [c["id"] for c in report["cases"]] == ["b-1", "b-2", "c-1"], out.output
        assert report["split"] == "test" and report["breakdowns"]["intent"]["privacy"]["pass_rate"] == 1.0
        bad = cli.invoke(app, ["eval", "run", str(suite_path), "--split", "train"])
        assert bad.exit_code != 0 and "split must be one of" in bad.output
    finally:
        get_settings.cache_clear()
    assert cli.invoke(app, ["eval", "generate", "--check"]).exit_code == 0
    stale = tmp_path / "stale.yaml"
    stale.write_text("cases: []\n")
    assert cli.invoke(app, ["eval", "generate", "--check", "--out", str(stale)]).exit_code == 1
    fresh = tmp_path / "fresh.yaml"
    assert cli.invoke(app, ["eval", "generate", "--out", str(fresh)]).exit_code == 0
    assert "cases" in yaml.safe_load(fresh.read_text())
