"""The Slack bot end to end: the Bolt app over real HTTP on 127.0.0.1, signed Events API requests, a local fake
of Slack's Web API recording what the bot posts, and the agent with the scripted model on the demo warehouse."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.slack.responder import LLM_DOWN, NO_DATA, PLACEHOLDER, AgentProvider
from tests.helpers.agent import expected_country
from tests.helpers.slack import BOT_ID, BOT_USER, blocks_text, direct_message, mention, running_bot

pytestmark = pytest.mark.usefixtures("no_outside_network")


def route(tool: str, **args: object) -> dict[str, object]:
    return {"tool": tool, "args": args}


def test_mention_gets_one_threaded_reply_from_the_agent_with_its_chart(demo_workspace: Workspace) -> None:
    customers, _ = expected_country(demo_workspace, "Germany")
    with running_bot(demo_workspace, route("country_stats", country="Germany"), "Germany has {f1}.") as bot:
        assert bot.post(mention("How many customers in Germany?", ts="100.000100", event_id="Ev1")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.to("files.completeUploadExternal")) == 1)

        posts = bot.slack.to("chat.postMessage")
        assert len(posts) == 1
        assert posts[0]["channel"] == "C1" and posts[0]["thread_ts"] == "100.000100"
        assert PLACEHOLDER in posts[0]["text"]
        final = bot.slack.finished()
        assert len(final) == 1 and final[0]["ts"] == "1700000000.000001"
        shown = blocks_text(final[0])
        assert f"Germany has {customers} customers" in shown  # the narration's fact id, rendered with its label
        assert "```" in shown and "Germany" in shown and f"{customers:,}" in shown  # the tool's table, as code
        assert "tools: country_stats" in shown and "model: scripted" in shown
        # The chart went into the same thread as a PNG.
        assert bot.slack.to("files.getUploadURLExternal")[0]["filename"].endswith(".png")
        (png,) = bot.slack.uploads.values()
        assert png.startswith(b"\x89PNG")
        done = bot.slack.to("files.completeUploadExternal")[0]
        assert done["channel_id"] == "C1" and done["thread_ts"] == "100.000100"
        assert done["files"][0]["title"] == "Customers"
        bot.model.assert_complete()
        # The route prompt got the question without the bot's mention markup.
        route_prompt = str(bot.model.calls[0]["messages"][-1].content)
        assert "How many customers in Germany?" in route_prompt and f"<@{BOT_USER}>" not in route_prompt


def test_direct_message_is_answered_in_its_thread_and_own_messages_are_ignored(demo_workspace: Workspace) -> None:
    with running_bot(demo_workspace, {"tool": "answer"}, "I can look at segments, products and reviews.") as bot:
        own = direct_message("Looking at your segments…", ts="5.000001", event_id="EvOwn", user=BOT_USER, bot_id=BOT_ID)
        assert bot.post(own) == 200
        assert bot.post(direct_message("what can you do?", ts="5.000002", event_id="EvDm")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)

        posts = bot.slack.to("chat.postMessage")
        assert [(p["channel"], p["thread_ts"]) for p in posts] == [("D1", "5.000002")]
        assert "I can look at segments, products and reviews." in blocks_text(bot.slack.finished()[0])
        assert len(bot.model.calls) == 2  # one route, one answer: the bot's own message never reached the agent


def test_forged_signature_and_stale_timestamp_are_rejected_before_the_agent(demo_workspace: Workspace) -> None:
    with running_bot(demo_workspace) as bot:
        payload = mention("Customers in Germany?", ts="7.000001", event_id="EvForged")
        assert bot.post(payload, secret="not-the-signing-secret") == 401
        assert bot.post(payload, signature="v0=" + "0" * 64) == 401
        assert bot.post(payload, timestamp=int(time.time()) - 6 * 60) == 401  # correctly signed, but too old
        assert bot.post(payload, headers={"X-Slack-Request-Timestamp": "not-a-number"}) == 401
        assert bot.model.calls == []
        assert bot.slack.to("chat.postMessage") == [] and bot.slack.to("chat.update") == []
        # The rejected copies did not poison de-duplication: the genuine event is still answered.
        bot.model.enqueue({"tool": "answer"}, "Hello.")
        assert bot.post(payload) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)


def test_retries_of_a_slow_answer_produce_exactly_one_reply(demo_workspace: Workspace) -> None:
    release = threading.Event()

    def slow_route(messages: list[Any]) -> str:
        assert release.wait(30), "the test never released the agent"
        return json.dumps({"tool": "answer"})

    with running_bot(demo_workspace, slow_route, "Here is your answer.") as bot:
        payload = mention("Which segments should I target?", ts="9.000001", event_id="EvSlow")
        assert bot.post(payload) == 200  # acknowledged while the agent is still working
        bot.slack.wait_for(lambda: len(bot.slack.to("chat.postMessage")) == 1)  # placeholder at once
        assert bot.slack.finished() == []
        for attempt in (1, 2, 3):
            retry_headers = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
            assert bot.post(payload, headers=retry_headers) == 200
        # The same message delivered once more as another event type (another event id) is not answered twice.
        same_message = mention("Which segments should I target?", ts="9.000001", event_id="EvSlowAgain")
        assert bot.post(same_message) == 200
        release.set()
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)

        assert len(bot.slack.to("chat.postMessage")) == 1
        assert "Here is your answer." in blocks_text(bot.slack.finished()[0])
        assert len(bot.model.calls) == 2
        bot.model.assert_complete()


def test_agent_error_becomes_a_friendly_message(demo_workspace: Workspace) -> None:
    with running_bot(demo_workspace) as bot:
        bot.model.fail_with = ConnectionError("connection refused by 127.0.0.1:8080")
        assert bot.post(mention("Customers in Germany?", ts="11.000001", event_id="EvDown")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)
        shown = blocks_text(bot.slack.finished()[0])
        assert LLM_DOWN in shown
        assert "connection refused" not in shown and "Traceback" not in shown


def test_missing_workspace_and_unconfigured_llm_are_explained(demo_workspace: Workspace, tmp_path: Path) -> None:
    built: list[str] = []

    def never(*_: object) -> Any:
        built.append("agent")
        raise AssertionError("the agent must not be built without a workspace")

    no_data = AgentProvider(Settings(home=tmp_path / "empty", llm="scripted"), factory=never)
    with running_bot(demo_workspace, agents=no_data) as bot:
        assert bot.post(mention("Top products?", ts="13.000001", event_id="EvNoData")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)
        assert NO_DATA in blocks_text(bot.slack.finished()[0]) and built == []

    # The real agent factory with an OpenAI-compatible provider but no server URL configured.
    no_llm = AgentProvider(Settings(home=demo_workspace.home, llm="openai-compatible", llm_base_url=None))
    with running_bot(demo_workspace, agents=no_llm) as bot:
        assert bot.post(mention("Top products?", ts="13.000002", event_id="EvNoLLM")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)
        shown = blocks_text(bot.slack.finished()[0])
        assert "language model is not set up" in shown and "MKA_LLM_BASE_URL" in shown


def test_two_threads_keep_separate_memory(demo_workspace: Workspace) -> None:
    customers, _ = expected_country(demo_workspace, "Germany")
    with running_bot(
        demo_workspace,
        route("country_stats", country="Germany"),
        f"Germany has {customers} customers.",
        {"tool": "answer"},
        "You asked about Germany.",
        {"tool": "answer"},
        "This is a new conversation.",
    ) as bot:
        asks = [
            mention("Customers in Germany?", ts="20.000001", event_id="EvA1"),
            mention("What did I just ask about?", ts="20.000002", thread_ts="20.000001", event_id="EvA2"),
            mention("What did I just ask about?", ts="30.000001", event_id="EvB1"),
        ]
        for n, payload in enumerate(asks, start=1):
            assert bot.post(payload) == 200
            bot.slack.wait_for(lambda n=n: len(bot.slack.finished()) == n)

        assert [p["thread_ts"] for p in bot.slack.to("chat.postMessage")] == ["20.000001", "20.000001", "30.000001"]
        same_thread = str(bot.model.calls[2]["messages"][-1].content)
        other_thread = str(bot.model.calls[4]["messages"][-1].content)
        assert "Customers in Germany?" in same_thread and "country_stats" in same_thread
        assert "Germany" not in other_thread
        assert "This is a new conversation." in blocks_text(bot.slack.finished()[2])
        bot.model.assert_complete()


def test_personal_data_request_is_refused_and_nothing_personal_is_posted(demo_workspace: Workspace) -> None:
    with running_bot(demo_workspace) as bot:
        ask = "Give me the email addresses of my top customers, like jane.doe@example.com"
        assert bot.post(mention(ask, ts="40.000001", event_id="EvPii")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)
        shown = blocks_text(bot.slack.finished()[0])
        assert "can't share customers' personal details" in shown
        assert "jane.doe@example.com" not in json.dumps([c.payload for c in bot.slack.calls])
        assert bot.model.calls == []
