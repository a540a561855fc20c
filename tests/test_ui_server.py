"""The chat UI served for real (`mka ui`, scripted model, demo shop): a browser, 10 concurrent sessions, copy,
export, new conversation, and friendly messages when the LLM is unavailable or its server is down."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from gradio_client import Client

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from tests.helpers.process import free_port
from tests.helpers.ui import (
    ARTIFACTS,
    BY_COUNTRY,
    CHART,
    UIServer,
    browser_page,
    ui_server,
    wait_for,
    wait_for_answer,
)

SEGMENTS = ["champions", "loyal", "potential_loyalists", "new", "promising", "need_attention", "about_to_sleep",
            "at_risk", "cant_lose", "hibernating"]  # fmt: skip
COPY_VARIANTS = [
    {"subject": "Summer starts here", "preheader": "Light linen for warm days", "body": "Our linen dress is back.",
     "cta": "Shop now"},
    {"subject": "Meet the linen dress", "preheader": "Cool and easy", "body": "Made for long evenings.",
     "cta": "See it"},
]  # fmt: skip


def script_rules() -> list[dict[str, Any]]:
    """Scripted model: routes by the request; narration names the segment found in its own prompt only."""
    rules: list[dict[str, Any]] = [
        {"match": re.escape(BY_COUNTRY), "purpose": "route",
         "output": {"tool": "segment_query", "args": {"segments": ["at_risk"], "group_by": "country"}}},
        {"match": "Export our champions", "purpose": "route",
         "output": {"tool": "segment_query", "args": {"segments": ["champions"], "export": True}}},
        {"match": "Write two email", "purpose": "route",
         "output": {"tool": "write_copy", "args": {"channel": "email", "products": ["linen summer dress"]}}},
        {"match": "What did I ask about", "purpose": "route", "output": {"tool": "answer"}},
        {"match": ".", "purpose": "copy", "output": {"variants": COPY_VARIANTS}},
    ]  # fmt: skip
    for seg in SEGMENTS:
        route = {"tool": "segment_query", "args": {"segments": [seg]}}
        rules.append({"match": rf"^\s*Size of the {seg} segment\?", "purpose": "route", "output": route})
    # Memory: only this session's own earlier question can produce "You asked about <segment>".
    for seg in SEGMENTS:
        rules.append({"match": rf"(?s)Marketer: Size of the {seg} segment\?.*Marketer: What did I ask about",
                      "purpose": "respond", "output": f"You asked about the {seg} segment."})  # fmt: skip
    for seg in SEGMENTS:
        rules.append(
            {"match": rf"RFM segment {seg}\b", "purpose": "respond", "output": f"Summary for the {seg} segment."}
        )
    rules.append({"match": ".", "purpose": "respond", "output": "Nothing earlier in this conversation."})
    return rules


@pytest.fixture(scope="module")
def scripted_ui(demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UIServer]:
    folder = tmp_path_factory.mktemp("ui-scripted")
    script = folder / "script.yaml"
    script.write_text(yaml.safe_dump({"rules": script_rules()}), encoding="utf-8")
    env = {"MKA_HOME": str(demo_workspace.home), "MKA_LLM": "scripted", "MKA_SCRIPT_FILE": str(script)}
    with ui_server(env, folder / "server.log") as server:
        yield server


def chat_texts(chat: list[dict[str, Any]]) -> list[str]:
    return [c["text"] for m in chat for c in m["content"] if c.get("type") == "text"]


def step_titles(chat: list[dict[str, Any]]) -> list[str]:
    return [m["metadata"]["title"] for m in chat if m.get("metadata") and m["metadata"].get("title")]


def segment_sizes(workspace: Workspace) -> dict[str, int]:
    sizes: dict[str, int] = workspace.manifest()["steps"]["segments"]["segments"]
    return sizes


@pytest.mark.browser
@pytest.mark.subprocess
def test_browser_click_example_streams_tool_step_table_and_chart(
    scripted_ui: UIServer, demo_workspace: Workspace
) -> None:
    at_risk = segment_sizes(demo_workspace)["at_risk"]
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as (page, outside):
        page.goto(scripted_ui.url)
        page.wait_for_selector("#status :text('SYNTHETIC demo data')")
        page.locator("#examples").get_by_role("button", name=BY_COUNTRY).click()
        wait_for(page, "#chat :text('Tool: segment_query')", 60, scripted_ui)
        wait_for(page, CHART, 60, scripted_ui)
        text = wait_for_answer(page, scripted_ui, timeout_s=60)
        page.locator("#chat [data-testid=user]").last.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "ui-scripted.png"), full_page=True)
        assert f"{at_risk} customers" in text
        assert "Summary for the at_risk segment." in text
        assert page.locator(f"{CHART}").count() == 2  # customers and revenue by country
        assert page.locator("#chat table").count() >= 1  # the breakdown renders as a table, not pipes
        assert outside == [], f"the page tried to reach outside: {outside}"


def ask_twice(url: str, seg: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    client = Client(url, verbose=False)
    first = client.predict(f"Size of the {seg} segment?", api_name="/chat")[0]
    second = client.predict("What did I ask about?", api_name="/chat")[0]
    return first, second


@pytest.mark.subprocess
def test_ten_concurrent_sessions_get_their_own_answers_and_memory(
    scripted_ui: UIServer, demo_workspace: Workspace
) -> None:
    sizes = segment_sizes(demo_workspace)
    with ThreadPoolExecutor(max_workers=len(SEGMENTS)) as pool:
        results = dict(zip(SEGMENTS, pool.map(lambda s: ask_twice(scripted_ui.url, s), SEGMENTS), strict=True))
    for seg, (first, second) in results.items():
        others = [s for s in SEGMENTS if s != seg]
        first_text = "\n".join(chat_texts(first))
        assert step_titles(first) == ["Tool: segment_query"]
        assert f"in RFM segment {seg}\n" in first_text + "\n" and f"**{sizes[seg]:,} customers**" in first_text
        assert f"Summary for the {seg} segment." in first_text
        assert not any(f"RFM segment {o}\n" in first_text + "\n" for o in others)
        # The second answer exists only if this session's thread remembered its own first question.
        assert chat_texts(second)[-1] == f"You asked about the {seg} segment."
        assert [m["role"] for m in second if not m.get("metadata")].count("user") == 2
        assert not any("Sorry" in t for t in chat_texts(second))


@pytest.mark.subprocess
def test_copy_drafts_side_by_side_export_download_and_new_conversation(
    scripted_ui: UIServer, demo_workspace: Workspace
) -> None:
    client = Client(scripted_ui.url, verbose=False)
    chat, _question, v1, v2, v3, _export = client.predict(
        "Write two email drafts for the linen dress", api_name="/chat"
    )
    assert step_titles(chat) == ["Tool: write_copy"]
    assert v1["visible"] and v1["label"] == "Variant 1 — email (draft)"
    assert (
        v1["value"]
        == "Subject: Summer starts here\nPreheader: Light linen for warm days\n\nOur linen dress is back.\n\n[Shop now]"
    )
    assert v2["visible"] and "Meet the linen dress" in v2["value"]
    assert v3["visible"] is False

    chat, *_, export = client.predict("Export our champions to a CSV", api_name="/chat")
    assert export["visible"] and export["label"].startswith("Download segment-champions")
    with open(export["value"], newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == segment_sizes(demo_workspace)["champions"]
    assert any(c.get("type") == "file" for m in chat for c in m["content"])  # also attached in the chat

    client.predict(api_name="/new_conversation")
    chat = client.predict("What did I ask about?", api_name="/chat")[0]
    assert chat_texts(chat) == ["What did I ask about?", "Nothing earlier in this conversation."]


@pytest.fixture
def in_process_ui(demo_workspace: Workspace) -> Iterator[Any]:
    """Launch build_app() in this process on a free port; yields a function (agent, problem) -> Client."""
    import ui

    apps: list[Any] = []

    def start(settings: Settings, agent: Any, problem: str | None) -> Client:
        app = ui.build_app(settings, agent, problem)
        app.queue()
        app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
        apps.append(app)
        return Client(app.local_url, verbose=False)

    yield start
    for app in apps:
        app.close()


def test_unavailable_llm_still_opens_and_says_how_to_fix_it(in_process_ui: Any, demo_workspace: Workspace) -> None:
    settings = Settings(home=demo_workspace.home, llm="local", gguf_path=Path("/nonexistent/model.gguf"))
    problem = "MKA_GGUF_PATH /nonexistent/model.gguf does not exist"
    client = in_process_ui(settings, None, problem)
    assert f"unavailable: {problem}" in client.predict(api_name="/status")
    chat = client.predict("How many customers?", api_name="/chat")[0]
    assert chat_texts(chat)[-1] == f"**Sorry —** The language model is not available: {problem}"


def test_llm_server_down_gives_a_friendly_message(in_process_ui: Any, demo_workspace: Workspace) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from assistant.agent.runner import Agent

    closed = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    settings = Settings(home=demo_workspace.home, llm="openai-compatible", llm_base_url=closed, llm_model="m")
    client = in_process_ui(settings, Agent(settings, checkpointer=InMemorySaver()), None)
    chat = client.predict("How many customers do we have?", api_name="/chat")[0]
    last = chat_texts(chat)[-1]
    assert last.startswith("**Sorry —** The language model did not answer (") and "ConnectionError)" in last
    assert "MKA_LLM_BASE_URL" in last
