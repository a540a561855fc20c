"""The whole agent on the real embedded model and every tool: another language, a follow-up, out of scope.

These are the paths code and model share (assistant/agent/understanding.py): the model routes, code resolves
'Alemania', carries the previous subject into "those", and declines what no tool serves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from assistant.agent.runner import Agent
from assistant.agent.understanding import message
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def agent(embedded_gguf: Path, demo_workspace: Workspace) -> Iterator[Agent]:
    settings = Settings(home=demo_workspace.home, llm="local", gguf_path=embedded_gguf)
    agent = Agent(settings, checkpointer=InMemorySaver())
    agent.warm_up()
    yield agent
    agent.ctx.close()


def _customers(workspace: Workspace, country: str, segment: str | None = None) -> int:
    con = workspace.connect()
    try:
        sql = "SELECT count(*) FROM customer_rfm r JOIN customers c USING (customer_id) WHERE c.country = ?"
        row = con.execute(sql + (" AND r.segment = ?" if segment else ""), [country, *([segment] if segment else [])])
        found = row.fetchone()
    finally:
        con.close()
    assert found is not None
    return int(found[0])


def test_a_question_in_spanish_reaches_the_tool_with_the_datas_country(agent: Agent, demo_workspace: Workspace) -> None:
    result = agent.ask("¿Cuántos clientes tenemos en Alemania?")
    step = result.steps[0]
    assert step.tool in ("segment_query", "customer_overview"), result.model_dump_json()[:1500]
    assert step.args["countries"] == ["Germany"]
    if step.tool == "segment_query":
        assert step.result["customers"] == _customers(demo_workspace, "Germany")


def test_a_follow_up_keeps_the_country_of_the_previous_question(agent: Agent, demo_workspace: Workspace) -> None:
    first = agent.ask("How many customers do we have in France?", thread_id="follow-up")
    assert first.steps and first.steps[0].args.get("countries") == ["France"], first.model_dump_json()[:1500]
    follow = agent.ask("and how many of those are champions?", thread_id="follow-up")
    step = follow.steps[0]
    assert step.tool == "segment_query", follow.model_dump_json()[:1500]
    assert step.args["countries"] == ["France"] and step.args["segments"] == ["champions"]
    assert step.result["customers"] == _customers(demo_workspace, "France", "champions")


def test_out_of_scope_is_declined_without_a_tool(agent: Agent) -> None:
    result = agent.ask("Who won the football match last night?")
    assert not result.steps and result.answer == message("decline", "en")
