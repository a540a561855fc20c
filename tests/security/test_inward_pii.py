"""Personal data: the masker's corpus (what it must catch and what it must leave alone), and a conversation over
data with a planted email address and phone number that leaves them nowhere on disk but the warehouse."""

from __future__ import annotations

import json
import re
import stat
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, Field

from assistant.agent.events import Token, masked_result
from assistant.agent.memory import Retention, sqlite_checkpointer
from assistant.agent.runner import Agent
from assistant.core.llm_client import LLMClient
from assistant.core.privacy import mask_data, mask_pii
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from tools.base import ChartSpec, Series, Table, Tool
from tools.context import ToolContext

# (text, what must be gone from it)
TRUE_POSITIVES = [
    ("write to jane.doe+promo@example.co.uk today", "jane.doe+promo@example.co.uk"),
    ("my number is 07700900123", "07700900123"),
    ("call +447700900123 after six", "+447700900123"),
    ("reach me on +44 7700 900123", "7700 900123"),
    ("mobile 07700 900 123", "07700 900 123"),
    ("ring 0044 20 7946 0958", "20 7946 0958"),
    ("appelez le +33 6 12 34 56 78", "6 12 34 56 78"),
    ("US office (415) 555-2671", "555-2671"),
    ("tel: 4155552671", "4155552671"),
    ("IBAN GB82 WEST 1234 5698 7654 32 for the refund", "GB82 WEST 1234 5698 7654 32"),
    ("überweisen an DE89370400440532013000 bitte", "DE89370400440532013000"),
    ("card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111"),
    ("Lovely dress.\nRegards, John Smith", "John Smith"),
    ("Kind regards,\nAnna", "Anna"),
    ("Many thanks, Priya K.", "Priya"),
    ("My name is Jane Doe and the zip broke", "Jane Doe"),
    ("deliver to 221B Baker Street, London NW1 6XE please", "Baker Street"),
    ("sent to 12 High St, Springfield, IL 62704 twice", "High St"),
    ("Lieferung an Hauptstraße 5, 10115 Berlin", "Hauptstraße 5"),
    ("livré au 10 rue de Rivoli, 75001 Paris", "rue de Rivoli"),
    ("postcode SW1A 1AA", "SW1A 1AA"),
]
# Text that looks like a phone number, a card or a name to a careless pattern, and must stay as it is.
FALSE_POSITIVES = [
    "ordered at 2024-01-02 10:00:00 and shipped 2024-01-03T08:15:00Z",
    "orders 536365 536366 and 536367 were cancelled",
    "invoice C536379 for customer 17850",
    "revenue was £1,234,567.89 from 4,372 customers",
    "product 85123A costs 2.55",
    "between 09/12/2010 and 09/12/2011 at 12:30",
    "EAN 5012345678900 in the catalogue",
    "thread 550e8400-e29b-41d4-a716-446655440000",
    "Thanks, Great dress! Fits true to size.",
    "the 2 Day Road trip dress",
    "size 8 petite, 5 ft 4 and 120 lbs",
    "Champions in Germany spent 8,187,806.36 in 2011",
]


@pytest.mark.parametrize(("text", "secret"), TRUE_POSITIVES, ids=[t[1] for t in TRUE_POSITIVES])
def test_the_masker_catches(text: str, secret: str) -> None:
    masked = mask_pii(text)
    assert secret not in masked and "[" in masked
    assert mask_pii(masked) == masked  # masking is idempotent: masked text can be masked again on its way out


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_the_masker_leaves_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_masking_keeps_the_shape_of_data() -> None:
    data = {"rows": [["a@b.co", 3, 2.5, None]], "title": ("call 07700900123",), "ok": True}
    assert mask_data(data) == {"rows": [["[email]", 3, 2.5, None]], "title": ("call [phone]",), "ok": True}


def test_what_streams_out_of_the_agent_is_masked() -> None:
    """Tokens and the question a front door stores; a tool result's own model, rebuilt from masked values."""
    assert Token(text="call 07700900123").text == "call [phone]"
    kept = ReviewQuotes(product_id="P1", quotes=["mail jo@x.org", "fine"])
    masked, dumped = masked_result(kept)
    assert masked.quotes == ["mail [email]", "fine"] and dumped["quotes"] == masked.quotes
    assert "[email]" in masked.to_markdown() and masked.charts()[0].x == ["mail [email]", "fine"]


def test_the_prompt_log_is_masked_and_private(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "prompts.jsonl"
    client = LLMClient(ScriptedChatModel(outputs=["reply to a@b.co"]), log_path=log)
    client.text("respond", [HumanMessage("review: call me on 07700900123")])
    text = log.read_text(encoding="utf-8")
    assert "07700900123" not in text and "a@b.co" not in text and "[phone]" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def _checkpoint_turn(saver: Any, thread: str) -> None:
    """One stored turn through LangGraph's own API (a tiny graph), as the agent stores them."""
    from langgraph.graph import START, MessagesState, StateGraph

    graph = StateGraph(MessagesState)
    graph.add_node("reply", lambda state: {"messages": [AIMessage("Quote: write to x@y.org")]})
    graph.add_edge(START, "reply")
    graph.compile(checkpointer=saver).invoke(
        {"messages": [HumanMessage("customer said 07700900123")]}, {"configurable": {"thread_id": thread}}
    )


def test_checkpoints_are_masked_private_and_pruned(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite"
    saver = sqlite_checkpointer(path, Retention(keep_days=1, keep_threads=2))
    for thread in ("old", "a", "b", "c"):
        _checkpoint_turn(saver, thread)
    stored = saver.get_tuple({"configurable": {"thread_id": "c"}})
    assert stored is not None
    messages: list[BaseMessage] = stored.checkpoint["channel_values"]["messages"]
    assert [m.content for m in messages] == ["customer said [phone]", "Quote: write to [email]"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saver.conn.execute("UPDATE mka_thread_activity SET last_at = ? WHERE thread_id = 'old'", (time.time() - 3 * 86400,))
    saver.conn.commit()
    assert set(saver.expire()) == {"old", "a"}  # "old" is too old; of the rest only the 2 most recent stay
    kept = {r[0] for r in saver.conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}
    assert kept == {"b", "c"}
    saver.conn.close()
    assert b"07700900123" not in path.read_bytes() and b"x@y.org" not in path.read_bytes()


# ---------------------------------------------------------------- a conversation over planted data

EMAIL = "jo.planted@example.org"
PHONE = "07700900123"


class ReviewInput(BaseModel):
    """The most helpful reviews of one product."""

    product_id: str = Field(max_length=20, description="Product id")


class ReviewQuotes(BaseModel):
    product_id: str
    quotes: list[str]

    def to_markdown(self) -> str:
        return Table(columns=["quote"], rows=[[q] for q in self.quotes]).to_markdown()

    def charts(self) -> list[ChartSpec]:
        return [
            ChartSpec(title="Quotes", x=self.quotes, series=[Series(name="length", values=[1.0] * len(self.quotes))])
        ]


def review_quotes(args: ReviewInput, ctx: ToolContext) -> ReviewQuotes:
    rows = ctx.warehouse().execute("SELECT body FROM reviews WHERE product_id = ?", [args.product_id]).fetchall()
    return ReviewQuotes(product_id=args.product_id, quotes=[str(r[0]) for r in rows])


def quoting_model(messages: list[BaseMessage]) -> str:
    """A model that quotes the first review it was shown: whatever reached its prompt reaches the answer."""
    prompt = str(messages[-1].content)
    quote = re.search(r"Write to me at \S+ or \S+", prompt)
    return f'A reviewer wrote "{quote.group(0) if quote else "nothing"}". Reply to them.'


def test_planted_contact_details_reach_no_file_but_the_warehouse(tmp_path: Path) -> None:
    home = tmp_path / "mka"
    with Workspace(home).build() as b:
        con = duckdb.connect(str(b.warehouse_path))
        con.execute("CREATE TABLE reviews (product_id VARCHAR, body VARCHAR)")
        con.execute(
            "INSERT INTO reviews VALUES ('P1', ?), ('P1', 'Runs small.')",
            [f"Zip broke. Write to me at {EMAIL} or {PHONE} for photos."],
        )
        con.close()
        b.write_manifest({"synthetic": True})
    log = home / "logs" / "prompts.jsonl"
    settings = Settings(home=home, llm="scripted", log_prompts=log)
    route = json.dumps({"tool": "review_quotes", "args": {"product_id": "P1"}})
    model = ScriptedChatModel(outputs=[route, quoting_model, route, quoting_model])
    tools = {"review_quotes": Tool("review_quotes", ReviewInput, review_quotes, "Helpful reviews of a product")}
    agent = Agent(settings, chat_model=model, tools=tools, understand=False)  # the real SQLite checkpointer
    results = [agent.ask("What do reviewers of P1 say?", thread_id="t1"), agent.ask("And again?", thread_id="t1")]
    (home / "runs").mkdir()
    (home / "runs" / "answers.json").write_text(json.dumps([r.model_dump(mode="json") for r in results]))
    assert results[0].steps[0].ok and "[email]" in json.dumps(results[0].steps[0].result)
    assert 'wrote "Write to me at [email] or [phone]"' in results[0].answer  # the quote survives, masked
    agent.graph.checkpointer.conn.close()

    planted = [EMAIL.encode(), PHONE.encode(), EMAIL.encode("utf-16-le"), PHONE.encode("utf-16-le")]
    scanned = []
    for path in home.rglob("*"):
        if path.is_file() and not path.name.startswith("warehouse.duckdb"):
            data = path.read_bytes()
            assert not [p for p in planted if p in data], f"planted contact details found in {path}"
            scanned.append(path.name)
    assert {"conversations.sqlite", "prompts.jsonl", "answers.json"} <= set(scanned)
    warehouse = next(home.rglob("warehouse.duckdb")).read_bytes()
    assert EMAIL.encode() in warehouse  # the one place they belong (and the scan above looked for the right bytes)
    for private in (home / "conversations.sqlite", log):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
