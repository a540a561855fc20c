"""The audit log: who asked what, which tools ran with which arguments, which exports were written; masked,
owner-only, rotated and pruned in the workspace, or in PostgreSQL (a real server started here)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field

from assistant.agent.runner import Agent
from assistant.core.audit import AuditRecord, FileAuditLog, PostgresAuditLog, ToolCall, open_audit_log
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from tests.helpers.postgres import postgres_server
from tests.helpers.process import free_port
from tests.helpers.slack import blocks_text, mention, running_bot
from tools.base import Tool
from tools.context import ToolContext
from tools.exports import write_csv_export

EMAIL = "jo.planted@example.org"
PHONE = "07700900123"


class ListInput(BaseModel):
    """Customers of one country as a CSV file."""

    country: str = Field(max_length=60)
    note: str = Field(default="", max_length=200, description="A note to keep with the list")


class ListResult(BaseModel):
    country: str
    rows: int
    export_path: str

    def to_markdown(self) -> str:
        return f"{self.rows} customers in {self.country}, exported."


def customer_list(args: ListInput, ctx: ToolContext) -> ListResult:
    frame = ctx.warehouse().execute("SELECT customer_id FROM customers WHERE country = ?", [args.country]).df()
    path = write_csv_export(frame, ctx.workspace.runs_dir, ctx.settings, f"customers-{args.country.lower()}")
    return ListResult(country=args.country, rows=len(frame), export_path=str(path))


@pytest.fixture
def home(demo_workspace: Workspace, tmp_path: Path) -> Path:
    """A home of its own (the audit and exports are written there) reading the shared demo build."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "current").symlink_to(demo_workspace.current.resolve())
    return home


def test_a_turn_is_audited_masked_with_its_tools_and_exports(home: Path) -> None:
    model = ScriptedChatModel(
        outputs=[{"tool": "customer_list", "args": {"country": "Germany", "note": f"send to {EMAIL}"}}, "Done."]
    )
    settings = Settings(home=home, llm="scripted")
    tools = {"customer_list": Tool("customer_list", ListInput, customer_list, "Customers of a country as CSV")}
    agent = Agent(settings, chat_model=model, tools=tools, checkpointer=InMemorySaver(), understand=False)
    result = agent.ask(f"Export German customers and mail {EMAIL} or call {PHONE}", thread_id="t1", user="alice",
                       channel="ui")  # fmt: skip
    assert result.steps[0].ok

    folder = home / "audit"
    (path,) = folder.iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    assert EMAIL not in text and PHONE not in text and "[email]" in text and "[phone]" in text
    (record,) = [json.loads(line) for line in text.splitlines()]
    assert record["user"] == "alice" and record["channel"] == "ui" and record["thread_id"] == "t1"
    assert record["question"].startswith("Export German customers and mail [email]")
    assert record["tools"] == [
        {"tool": "customer_list", "args": {"country": "Germany", "note": "send to [email]"}, "ok": True,
         "ms": result.steps[0].ms}
    ]  # fmt: skip
    (export,) = record["exports"]
    assert Path(export).name == "customers-germany.csv" and Path(export).is_file()
    assert record["model"] == "scripted" and record["total_ms"] > 0

    # The command line records the OS account when no user is given.
    model.enqueue({"tool": "answer"}, "Hello.")
    agent.ask("hello")
    last = FileAuditLog(folder).read()[-1]
    assert last.channel == "cli" and last.user and last.tools == []


def test_slack_answers_are_audited_with_the_slack_user(demo_workspace: Workspace) -> None:
    with running_bot(demo_workspace, {"tool": "answer"}, "Hello from the bot.") as bot:
        assert bot.post(mention(f"hi, I am {EMAIL}", ts="77.000001", event_id="EvAudit", user="U42")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)
        assert "Hello from the bot." in blocks_text(bot.slack.finished()[0])
    records = [r for r in FileAuditLog(demo_workspace.home / "audit").read() if r.thread_id == "slack:T1:C1:77.000001"]
    assert [(r.channel, r.user, r.question) for r in records] == [("slack", "T1:U42", "hi, I am [email]")]


@pytest.mark.subprocess
def test_ui_answers_are_audited_with_the_signed_in_user(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real Gradio server behind a sign-in proxy's header: the audit names the user the proxy signed in."""
    from gradio_client import Client

    import ui

    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
    settings = Settings(home=home, llm="scripted", ui_trusted_header="X-Forwarded-User")
    model = ScriptedChatModel(outputs=[{"tool": "answer"}, "Hello from the UI."])
    agent = Agent(settings, chat_model=model, tools={}, checkpointer=InMemorySaver(), understand=False)
    port = free_port()
    app = ui.launch(settings, agent, None, "127.0.0.1", port, block=False)
    try:
        client = Client(f"http://127.0.0.1:{port}", headers={"X-Forwarded-User": "alice"}, verbose=False)
        chat = client.predict(f"hello, write to {EMAIL}", api_name="/chat")[0]
        assert "Hello from the UI." in str(chat)
    finally:
        app.close()
    (record,) = FileAuditLog(home / "audit").read()
    assert (record.channel, record.user, record.question) == ("ui", "alice", "hello, write to [email]")


def _record(at: datetime, question: str = "q") -> AuditRecord:
    step = ToolCall(tool="segment_query", args={"segment": "Champions"}, ok=True, ms=3.0)
    return AuditRecord(at=at, channel="ui", user="bob", question=question, tools=[step])


def test_files_rotate_by_size_and_old_days_are_deleted(tmp_path: Path) -> None:
    log = FileAuditLog(tmp_path / "audit", keep_days=30, max_bytes=1000)
    now = datetime.now(UTC)
    old = now - timedelta(days=40)
    log.record(_record(old, "an old question"))
    for i in range(12):
        log.record(_record(now, f"question {i}"))
    names = [p.name for p in log.files()]
    today = now.date().isoformat()
    assert f"audit-{today}.jsonl" in names and f"audit-{today}.1.jsonl" in names  # rotated past 1,000 bytes
    assert all(p.stat().st_size <= 1000 for p in log.files())
    assert [r.question for r in log.read()] == [f"question {i}" for i in range(12)]  # in order; the old day is gone
    assert not any(old.date().isoformat() in n for n in names)


def test_settings_choose_the_store(tmp_path: Path) -> None:
    assert isinstance(open_audit_log(Settings(home=tmp_path, llm="scripted")), FileAuditLog)
    off = open_audit_log(Settings(home=tmp_path, llm="scripted", audit_enabled=False))
    off.record(_record(datetime.now(UTC)))
    assert off.read() == [] and not (tmp_path / "audit").exists()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.mark.subprocess
def test_postgres_audit_is_masked_shared_and_pruned(database_url: str) -> None:
    first = PostgresAuditLog(database_url, keep_days=30)
    second = PostgresAuditLog(database_url, keep_days=30)  # another process writing the same log
    now = datetime.now(UTC)
    first.record(_record(now - timedelta(days=31), "stale"))
    first.record(_record(now, f"mail {EMAIL}"))
    second.record(_record(now + timedelta(seconds=1), f"call {PHONE}"))
    assert [r.question for r in second.read()] == ["stale", "mail [email]", "call [phone]"]
    assert first.expire() == 1
    assert [r.question for r in first.read()] == ["mail [email]", "call [phone]"]
    with psycopg.connect(database_url) as conn:
        dump = str(conn.execute("SELECT * FROM mka_audit").fetchall())
    assert EMAIL not in dump and PHONE not in dump and "bob" in dump
    first.close()
    second.close()
