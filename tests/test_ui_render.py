"""The UI's pure pieces: agent events -> chat messages, charts, copy boxes, status panel, examples, errors."""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.agent.events import AgentEvent, AgentResult, Final, StepFinished, StepStarted, Timings, Token, TokenUsage
from assistant.agent.runner import QuestionError
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace, WorkspaceMissingError
from assistant.llm.factory import LLMUnavailableError
from assistant.render.charts import render_png as chart_png
from assistant.ui.copy_panel import copy_boxes, variant_text
from assistant.ui.examples import EXAMPLES, examples_for
from assistant.ui.status import LLMInfo, status_markdown
from assistant.ui.stream import Heartbeat, TurnFailed, friendly_error, run_turn
from assistant.ui.turn import SLOW_AFTER_S, TurnView
from tests.helpers.agent import expected_country, make_agent
from tools.base import ChartSpec, Series
from tools.families import load_tools


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def chart(kind: str = "bar", n: int = 3) -> ChartSpec:
    return ChartSpec(
        kind=kind,
        title="Customers by country",
        x=[f"country {i}" for i in range(n)],
        series=[Series(name="customers", values=[float(10 * (i + 1)) for i in range(n)])],
        x_label="country",
        y_label="customers",
    )


def final(answer: str, flags: list[str] | None = None) -> Final:
    return Final(
        result=AgentResult(
            question="q", answer=answer, steps=[], model="scripted", timings=Timings(), tokens=TokenUsage(),
            flags=flags or [],
        )
    )  # fmt: skip


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_step_is_a_collapsible_message_pending_then_done_with_duration() -> None:
    clock = FakeClock()
    turn = TurnView(clock=clock)
    turn.apply(StepStarted(tool="segment_query", args={"segments": ["at_risk"]}))
    clock.now += 3
    pending = turn.messages()
    assert pending[0]["metadata"]["title"] == "Tool: segment_query"
    assert pending[0]["metadata"]["status"] == "pending" and pending[0]["metadata"]["log"] == "running 3 s"
    assert '"at_risk"' in pending[0]["content"]
    assert len(pending) == 1  # no "working" spinner on top of a running tool

    table = "| country | customers |\n|---|---|\n| Germany | 8 |"
    turn.apply(StepFinished(tool="segment_query", args={"segments": ["at_risk"]}, ok=True, ms=1234.0,
                            markdown=table, charts=[chart()], result={"customers": 8}))  # fmt: skip
    done = turn.messages()
    assert done[0]["metadata"] == {
        "title": "Tool: segment_query", "id": "step-0", "status": "done", "duration": 1.23, "log": "ok"
    }  # fmt: skip
    assert done[1] == {"role": "assistant", "content": table}
    assert type(done[2]["content"]).__name__ == "Plot"
    assert done[3]["metadata"]["title"] == "Working"  # routing or narrating after the tool


def test_narration_streams_then_is_replaced_by_the_checked_answer_and_flags_are_listed() -> None:
    turn = TurnView()
    table = "| a |\n|---|\n| 1 |"
    turn.apply(StepStarted(tool="t", args={}))
    turn.apply(StepFinished(tool="t", args={}, ok=True, ms=5.0, markdown=table))
    for piece in ["Sales rose ", "by 87.5%."]:
        turn.apply(Token(text=piece))
    assert turn.messages()[-1]["content"] == "Sales rose by 87.5%."
    assert not turn.done
    checked = "Sales rose (a figure here did not match the data and was removed)."
    turn.apply(final(f"{table}\n\n{checked}", flags=["grounding: removed unsupported ['87.5%']"]))
    messages = turn.messages()
    assert turn.done
    texts = [m["content"] for m in messages if isinstance(m["content"], str)]
    assert checked in texts and "Sales rose by 87.5%." not in texts
    assert messages[-1]["metadata"]["title"] == "Checks on this answer"
    assert "87.5%" in messages[-1]["content"]


def test_an_answer_without_tools_is_shown_whole() -> None:
    turn = TurnView()
    turn.apply(Token(text="Could you say which segment?"))
    turn.apply(final("Could you say which segment?"))
    assert [m["content"] for m in turn.messages()] == ["Could you say which segment?"]


def test_a_failed_step_shows_its_error_and_no_result() -> None:
    turn = TurnView()
    turn.apply(StepStarted(tool="segment_query", args={"countries": ["Atlantis"]}))
    turn.apply(StepFinished(tool="segment_query", args={"countries": ["Atlantis"]}, ok=False, ms=2.0,
                            error="countries: no customers in 'Atlantis'"))  # fmt: skip
    step = turn.messages()[0]
    assert step["metadata"]["title"] == "Tool failed: segment_query" and step["metadata"]["log"] == "failed"
    assert "no customers in 'Atlantis'" in step["content"]


def test_working_message_says_when_the_model_is_slow() -> None:
    clock = FakeClock()
    turn = TurnView(clock=clock)
    assert "slow" not in turn.messages()[0]["metadata"]["log"]
    clock.now += SLOW_AFTER_S + 1
    assert "slow on this machine" in turn.messages()[0]["metadata"]["log"]
    turn.fail("The language model did not answer (ConnectionError).")
    assert turn.done and turn.messages()[-1]["content"].endswith("did not answer (ConnectionError).")
    assert all(m.get("metadata", {}).get("title") != "Working" for m in turn.messages())


def test_exports_are_attached_as_files_only_when_the_file_exists(tmp_path: Path) -> None:
    csv = tmp_path / "segment-champions.csv"
    csv.write_text("customer_id\n1\n", encoding="utf-8")
    turn = TurnView()
    for path in (str(csv), str(tmp_path / "gone.csv")):
        turn.apply(StepStarted(tool="segment_query", args={"export": True}))
        turn.apply(StepFinished(tool="segment_query", args={"export": True}, ok=True, ms=1.0, markdown="x",
                                result={"export_path": path}))  # fmt: skip
    assert turn.exports() == [str(csv)]
    files = [m["content"] for m in turn.messages() if isinstance(m["content"], dict)]
    assert files == [{"path": str(csv), "alt_text": "segment-champions.csv"}]


def test_copy_variants_become_side_by_side_boxes_with_qa_in_the_label() -> None:
    result = {
        "channel": "email",
        "variants": [
            {"subject": "Hello", "preheader": "Pre", "body": "Body one", "cta": "Shop", "qa_issues": []},
            {"headline": None, "body": "Body two", "qa_issues": ["body is empty"]},
            {"body": "three"}, {"body": "four"},
        ],
    }  # fmt: skip
    boxes = copy_boxes(result)
    assert len(boxes) == 3
    assert boxes[0] == ("Variant 1 — email (draft)", "Subject: Hello\nPreheader: Pre\n\nBody one\n\n[Shop]")
    assert boxes[1][0].endswith("QA: body is empty") and boxes[1][1] == "Body two"
    assert variant_text({"body": "  only body  "}) == "only body"
    turn = TurnView()
    turn.apply(StepStarted(tool="write_copy", args={}))
    turn.apply(StepFinished(tool="write_copy", args={}, ok=True, ms=1.0, markdown="draft", result=result))
    assert turn.copy_results() == [result]


@pytest.mark.parametrize("kind", ["bar", "barh", "line", "pie"])
def test_every_chart_kind_draws_a_png(kind: str) -> None:
    width, height = png_size(chart_png(chart(kind)))
    assert width == 640 and height >= 340


def test_long_horizontal_bar_charts_grow_taller_and_series_change_the_image() -> None:
    assert png_size(chart_png(chart("barh", n=30)))[1] > png_size(chart_png(chart("barh", n=3)))[1]
    two = chart()
    two.series.append(Series(name="revenue", values=[1.0, 2.0, 3.0]))
    assert chart_png(two) != chart_png(chart())


def test_status_panel_reads_the_manifest(demo_workspace: Workspace) -> None:
    settings = Settings(home=demo_workspace.home, llm="scripted")
    manifest = demo_workspace.manifest()
    text = status_markdown(demo_workspace, settings, LLMInfo(provider="scripted", model="scripted"), ["segment_query"])
    assert "SYNTHETIC demo data" in text
    assert f"**{manifest['counts']['customers']:,}** customers" in text
    assert f"**{manifest['counts']['reviews']:,}** reviews" in text
    index = manifest["steps"]["index"]
    assert f"{index['products']:,} products + {index['reviews']:,} reviews embedded" in text
    assert "**LLM:** scripted · `scripted`" in text and "segment_query" in text


def test_status_panel_without_a_workspace_or_llm_says_what_to_run(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, llm="local")
    text = status_markdown(Workspace(tmp_path), settings, LLMInfo(provider="local", problem="run `mka setup`"), [])
    assert "mka ingest" in text and "unavailable: run `mka setup`" in text


def test_examples_cover_every_registered_tool_and_a_multi_step_campaign() -> None:
    tools = set(load_tools())
    shown = examples_for(tools)
    covered = {t for e in shown for t in e.tools}
    assert tools <= covered, f"tools without an example prompt: {sorted(tools - covered)}"
    assert any(len(e.tools) >= 3 for e in shown)
    assert examples_for({"segment_query"}) == [e for e in EXAMPLES if e.tools == ["segment_query"]]


def test_friendly_errors_name_the_fix() -> None:
    assert "mka setup" in friendly_error(LLMUnavailableError("the embedded model is not assembled: run `mka setup`"))
    assert "mka ingest" in friendly_error(WorkspaceMissingError("no workspace: run `mka ingest`"))
    assert "check that it is running" in friendly_error(ConnectionError("refused"))
    assert "check that it is running" in friendly_error(TimeoutError())
    assert "empty" in friendly_error(QuestionError("question: empty"))
    assert "KeyError" in friendly_error(KeyError("x"))
    wrapped_refusal = RuntimeError("Connection error.")
    wrapped_refusal.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert "did not answer (RuntimeError)" in friendly_error(wrapped_refusal)  # wrapped, as langchain-openai does


def test_run_turn_beats_while_waiting_and_reports_failures() -> None:
    release = threading.Event()

    def slow() -> Iterator[AgentEvent]:
        release.wait(timeout=30)
        yield Token(text="hi")
        raise ConnectionError("server went away")

    seen: list[object] = []
    for item in run_turn(slow, heartbeat_s=0.01):
        seen.append(item)
        if isinstance(item, Heartbeat):
            release.set()
    kinds = [type(i).__name__ for i in seen]
    assert kinds[0] == "Heartbeat" and "Token" in kinds
    assert isinstance(seen[-1], TurnFailed) and "did not answer (ConnectionError)" in seen[-1].message


def test_a_real_agent_turn_renders_table_chart_and_grounded_narration(demo_workspace: Workspace) -> None:
    customers, revenue = expected_country(demo_workspace, "Germany")
    decision = {"tool": "country_stats", "args": {"country": "Germany"}}
    agent, _ = make_agent(demo_workspace, decision, "Germany has {f1}.")
    turn = TurnView()
    for item in run_turn(lambda: agent.stream("Customers in Germany?", thread_id="t1")):
        assert not isinstance(item, TurnFailed)
        if not isinstance(item, Heartbeat):
            turn.apply(item)
    messages = turn.messages()
    assert messages[0]["metadata"]["title"] == "Tool: country_stats"
    assert f"| Germany | {customers:,} | {revenue:,.2f} |" in messages[1]["content"]
    assert type(messages[2]["content"]).__name__ == "Plot"
    assert messages[-1]["content"].startswith(f"Germany has {customers} customers")  # the fact id, rendered
