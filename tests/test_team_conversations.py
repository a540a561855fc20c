"""Conversations in PostgreSQL (MKA_DATABASE_URL) against a real server (Debian's, started here): a conversation
continues after a restart, what is stored is masked, and retention prunes it like the SQLite store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from assistant.agent.memory import PrivateSqliteSaver, Retention, conversation_checkpointer
from assistant.agent.memory_postgres import ConversationStoreError, PrivatePostgresSaver, postgres_checkpointer
from assistant.agent.runner import Agent
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from tests.helpers.agent import expected_country, sample_tools
from tests.helpers.postgres import create_database, postgres_server

pytestmark = pytest.mark.subprocess  # starts a PostgreSQL server


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
def database_url(server_url: str, request: pytest.FixtureRequest) -> str:
    return create_database(server_url, f"t_{request.node.name.lower()[:50]}")


def _agent(home: Path, url: str, *outputs: object) -> tuple[Agent, ScriptedChatModel]:
    """An agent as a process builds it: checkpointer from the settings (no test double)."""
    model = ScriptedChatModel(outputs=list(outputs))
    settings = Settings(home=home, llm="scripted", database_url=url, audit_enabled=False)
    return Agent(settings, chat_model=model, tools=sample_tools()), model


def test_a_conversation_continues_after_a_restart(demo_workspace: Workspace, database_url: str) -> None:
    customers, _ = expected_country(demo_workspace, "Germany")
    first, _ = _agent(demo_workspace.home, database_url, {"tool": "country_stats", "args": {"country": "Germany"}},
                      "Germany has {f1}.")  # fmt: skip
    assert isinstance(first.graph.checkpointer, PrivatePostgresSaver)
    first.ask("Customers in Germany? Call me on 07700900123", thread_id="team-thread")
    first.graph.checkpointer.close()  # the first process is gone: its connections with it

    second, model = _agent(demo_workspace.home, database_url, {"tool": "answer"}, "You asked about Germany.")
    result = second.ask("What did I just ask about?", thread_id="team-thread")
    assert result.answer == "You asked about Germany."
    prompt = str(model.calls[0]["messages"][-1].content)
    assert "Customers in Germany?" in prompt and f"Germany has {customers} customers." in prompt
    assert "07700900123" not in prompt and "[phone]" in prompt
    second.graph.checkpointer.close()

    # Nothing of the conversation reached the workspace, and the phone number reached no table.
    assert not (demo_workspace.home / "conversations.sqlite").exists()
    with psycopg.connect(database_url) as conn:
        dump = " ".join(
            str(row)
            for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
            for row in conn.execute(f"SELECT * FROM {table}").fetchall()
        )
    assert "Germany" in dump and "07700900123" not in dump


def test_retention_prunes_idle_and_surplus_threads(database_url: str) -> None:
    from langchain_core.messages import AIMessage, HumanMessage
    from langgraph.graph import START, MessagesState, StateGraph

    saver = postgres_checkpointer(database_url, Retention(keep_days=1, keep_threads=2))
    graph = StateGraph(MessagesState)
    graph.add_node("reply", lambda state: {"messages": [AIMessage("noted")]})
    graph.add_edge(START, "reply")
    app = graph.compile(checkpointer=saver)
    for thread in ("old", "a", "b", "c"):
        app.invoke({"messages": [HumanMessage(f"question in {thread}")]}, {"configurable": {"thread_id": thread}})
        time.sleep(0.01)  # distinct activity times: "c" is the most recent
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE mka_thread_activity SET last_at = %s WHERE thread_id = 'old'", (time.time() - 3 * 86400,))
    assert set(saver.expire()) == {"old", "a"}  # "old" idled too long; of the rest only the 2 most recent stay
    with psycopg.connect(database_url) as conn:
        kept = {r[0] for r in conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}
        activity = {r[0] for r in conn.execute("SELECT thread_id FROM mka_thread_activity")}
    assert kept == activity == {"b", "c"}
    assert saver.get_tuple({"configurable": {"thread_id": "a"}}) is None
    saver.close()


def test_settings_choose_the_store_and_a_bad_url_is_named(tmp_path: Path, server_url: str) -> None:
    saver = conversation_checkpointer(Settings(home=tmp_path, llm="scripted"))
    assert isinstance(saver, PrivateSqliteSaver) and (tmp_path / "conversations.sqlite").is_file()
    saver.conn.close()
    wrong = server_url.rsplit("/", 1)[0].replace("mka@", "mka:hunter2@") + "/no_such_database"
    with pytest.raises(ConversationStoreError, match=r"MKA_DATABASE_URL") as raised:
        conversation_checkpointer(Settings(home=tmp_path, llm="scripted", database_url=wrong))
    assert "no_such_database" in str(raised.value) and "hunter2" not in str(raised.value)
