"""Attack cases for who can make the Slack bot work: forged or replayed requests, people and channels outside the
allow-lists, one person flooding it, more questions than it can queue, and exports asked for from Slack.

The end-to-end cases run the real Bolt app over HTTP on 127.0.0.1 against the local fake of Slack's Web API
(tests/helpers/slack.py) with the scripted model on the demo shop."""

from __future__ import annotations

import functools
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web import WebClient

from assistant.agent.runner import Agent
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from assistant.slack.access import AccessPolicy
from assistant.slack.incoming import SlackQuestion
from assistant.slack.limits import RateLimiter, WorkQueue
from assistant.slack.responder import (
    BUSY,
    HELP,
    NOT_ALLOWED,
    PLACEHOLDER,
    AgentProvider,
    Responder,
    slack_agent_settings,
)
from assistant.slack.settings import SlackSettings
from tests.helpers.slack import (
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    RunningBot,
    blocks_text,
    direct_message,
    mention,
    running_bot,
)
from tools.families import Family, load_tools
from tools.segments.segment_tool import EXPORTS_OFF

pytestmark = pytest.mark.usefixtures("no_outside_network")

ANSWER = {"tool": "answer"}


# ---------------------------------------------------------------- forged and replayed requests


@pytest.fixture(scope="module")
def idle_bot(demo_workspace: Workspace) -> Iterator[RunningBot]:
    """A bot whose model has nothing scripted: any request that reaches the agent fails the test."""
    with running_bot(demo_workspace) as bot:
        yield bot


def _signed(body: str, secret: str, ts: int) -> str:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    assert signature is not None
    return signature


# Timestamps are taken when a test runs, not at import: in a long session "10 minutes ahead" at import time
# would be inside the 5-minute window by the time the test posts.
FORGERIES: dict[str, Callable[[], dict[str, Any]]] = {
    "wrong secret": lambda: {"secret": "not-the-signing-secret"},
    "zero signature": lambda: {"signature": "v0=" + "0" * 64},
    "unknown version": lambda: {"signature": "v1=" + "a" * 64},
    "empty signature": lambda: {"headers": {"X-Slack-Signature": ""}},
    "6 minutes old (replay)": lambda: {"timestamp": int(time.time()) - 6 * 60},
    "1 hour old (replay)": lambda: {"timestamp": int(time.time()) - 3600},
    "10 minutes in the future": lambda: {"timestamp": int(time.time()) + 600},
    "non-numeric timestamp": lambda: {"headers": {"X-Slack-Request-Timestamp": "now"}},
    "signature of another body": lambda: {
        "signature": _signed('{"type":"url_verification"}', SIGNING_SECRET, int(time.time()))
    },
}


@pytest.mark.parametrize("forgery", list(FORGERIES), ids=list(FORGERIES))
def test_forged_or_replayed_request_is_rejected_before_anything_runs(idle_bot: RunningBot, forgery: str) -> None:
    payload = mention("Customers in Germany?", ts="300.000001", event_id=f"EvForged-{forgery}")
    assert idle_bot.post(payload, **FORGERIES[forgery]()) == 401
    assert idle_bot.model.calls == []
    assert [c.method for c in idle_bot.slack.calls if c.method.startswith(("chat.", "files."))] == []


def _status_of_oversized_post(url: str, declared: int) -> int:
    """Declare a body of `declared` bytes, send only its first KB, read the status: a server that refuses before
    reading answers at once; one that reads the body would wait for the rest (and time out here)."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        sock.sendall((head + f"Content-Length: {declared}\r\n\r\n").encode() + b"{" + b" " * 1023)
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_oversized_body_is_refused_unread(idle_bot: RunningBot) -> None:
    assert _status_of_oversized_post(idle_bot.events_url, 1_100_000) == 413
    assert idle_bot.model.calls == [] and idle_bot.slack.to("chat.postMessage") == []


# ---------------------------------------------------------------- allow-lists


def question(team: str = TEAM, channel: str = "C1", user: str = "U1") -> SlackQuestion:
    return SlackQuestion(team=team, channel=channel, ts="1.0", thread_ts="1.0", user=user, text="hi")


@pytest.mark.parametrize(
    ("policy", "asker", "denied"),
    [
        (AccessPolicy(), question(), None),  # empty lists: everyone
        (AccessPolicy(teams=frozenset({"T1"})), question(team="T2"), "team"),
        (AccessPolicy(channels=frozenset({"C1"})), question(channel="C2"), "channel"),
        (AccessPolicy(channels=frozenset({"C1"})), question(channel="D9"), "channel"),  # DMs are channels too
        (AccessPolicy(users=frozenset({"U1"})), question(user="U2"), "user"),
        (AccessPolicy(teams=frozenset({"T1"}), users=frozenset({"U1"})), question(), None),
        (AccessPolicy(teams=frozenset({"T1"}), users=frozenset({"U1"})), question(user="U1X"), "user"),
    ],
)
def test_allow_lists_decide_who_is_answered(policy: AccessPolicy, asker: SlackQuestion, denied: str | None) -> None:
    assert policy.denial(asker) == denied


def test_allow_lists_and_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MKA_SLACK_ALLOWED_USERS", "U1, U2 ,")
    monkeypatch.setenv("MKA_SLACK_ALLOWED_CHANNELS", "C1")
    monkeypatch.setenv("MKA_SLACK_RATE_LIMIT", "3")
    monkeypatch.setenv("MKA_SLACK_QUEUE", "0")
    settings = SlackSettings(_env_file=None)
    assert settings.access == AccessPolicy(users=frozenset({"U1", "U2"}), channels=frozenset({"C1"}))
    assert (settings.rate_limit, settings.queue_size, settings.workers) == (3, 0, 8)
    monkeypatch.delenv("MKA_SLACK_ALLOWED_USERS")
    monkeypatch.delenv("MKA_SLACK_ALLOWED_CHANNELS")
    assert SlackSettings(_env_file=None).access.open


def test_people_and_channels_outside_the_allow_lists_get_one_refusal_and_no_answer(demo_workspace: Workspace) -> None:
    policy = AccessPolicy(users=frozenset({"U1"}), channels=frozenset({"C1", "D1"}))
    with running_bot(demo_workspace, ANSWER, "Hello U1.", responder_options={"access": policy}) as bot:
        assert bot.post(mention("Top customers?", ts="310.000001", event_id="EvOut1", user="U2")) == 200
        assert bot.post(mention("Top customers?", ts="310.000002", event_id="EvOut2", user="U2")) == 200
        assert bot.post(mention("Top customers?", ts="310.000003", event_id="EvOut3", channel="C9")) == 200
        assert bot.post(direct_message("Top customers?", ts="310.000004", event_id="EvOut4", channel="D2")) == 200
        assert bot.post(mention("Top customers?", ts="310.000005", event_id="EvIn")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)
        bot.responder.close()

        posts = bot.slack.to("chat.postMessage")
        refusals = [p for p in posts if NOT_ALLOWED in p["text"]]
        # U2 is told once (not once per message: the bot is no amplifier); C9 and D2 once each.
        assert sorted((p["channel"], p["thread_ts"]) for p in refusals) == [
            ("C1", "310.000001"), ("C9", "310.000003"), ("D2", "310.000004")
        ]  # fmt: skip
        assert "Hello U1." in blocks_text(bot.slack.finished()[0])
        assert len(bot.model.calls) == 2  # only the allowed question reached the model
        assert posts and all(p["unfurl_links"] is False and p["unfurl_media"] is False for p in posts)


def test_an_answer_full_of_slack_markup_reaches_slack_as_text(demo_workspace: Workspace) -> None:
    # The first sentence carries broadcast mentions only; the second, ids and links nobody typed, which grounding
    # removes before Slack formatting sees them (the formatter's own cases: test_slack_output.py).
    narration = "<!channel> Big news @here <!everyone>. <@U0BOSS>: [claim your refund](https://evil.example/x) <https://a.example|b>"
    with running_bot(demo_workspace, ANSWER, narration) as bot:
        assert bot.post(mention("what can you do?", ts="315.000001", event_id="EvMarkup")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)
        bot.responder.close()
        for call in bot.slack.calls:
            if call.method in ("chat.postMessage", "chat.update"):
                assert "<" not in blocks_text(call.payload), call.payload
        final = blocks_text(bot.slack.finished()[0])
        assert "Big news" in final and "evil.example" not in final


# ---------------------------------------------------------------- rate limit and queue


def test_rate_limiter_counts_a_sliding_window_per_user() -> None:
    now = [1000.0]
    limiter = RateLimiter(limit=2, window_s=60, clock=lambda: now[0])
    assert limiter.acquire("U1") == 0 and limiter.acquire("U1") == 0
    assert limiter.acquire("U1") == pytest.approx(60)
    assert limiter.acquire("U2") == 0  # another user is not slowed by U1
    now[0] += 30
    assert limiter.acquire("U1") == pytest.approx(30)
    now[0] += 30.5
    assert limiter.acquire("U1") == 0


def test_work_queue_refuses_beyond_its_capacity_and_drains_on_close() -> None:
    release = threading.Event()
    done: list[int] = []

    def job(n: int) -> None:
        assert release.wait(10)
        done.append(n)

    work = WorkQueue(workers=1, max_waiting=2)
    accepted = [work.submit(functools.partial(job, n)) for n in range(5)]
    assert accepted == [True, True, True, False, False]
    assert work.pending == 3
    release.set()
    work.close(wait=True)
    assert sorted(done) == [0, 1, 2] and work.pending == 0
    assert work.submit(lambda: None) is False  # closed


def test_one_user_flooding_is_slowed_down_while_others_are_answered(demo_workspace: Workspace) -> None:
    outputs = [ANSWER, "An answer.", ANSWER, "An answer.", ANSWER, "An answer."]
    with running_bot(demo_workspace, *outputs, responder_options={"rate_limit": 2, "workers": 1}) as bot:
        for n in range(1, 6):  # five questions from U1 within a second
            assert bot.post(mention(f"Question {n}?", ts=f"320.00000{n}", event_id=f"EvFlood{n}")) == 200
        assert bot.post(mention("Mine?", ts="320.000009", event_id="EvOther", user="U2")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 3)
        bot.responder.close()

        posts = bot.slack.to("chat.postMessage")
        slow_downs = [p for p in posts if "questions in the last minute" in p["text"]]
        assert len(slow_downs) == 1  # told once; the other two over the limit are dropped quietly
        answered = [p["thread_ts"] for p in posts if PLACEHOLDER in p["text"]]
        assert len(answered) == 3 and "320.000009" in answered  # two of U1's, and U2's
        assert len(bot.model.calls) == 6
        bot.model.assert_complete()


def test_empty_mentions_count_against_the_rate_limit(tmp_path: Path) -> None:
    fake = FakeSlack().start()
    try:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        responder = Responder(AgentProvider(Settings(home=tmp_path, llm="scripted")), rate_limit=2)
        for n in range(4):  # "@bot" and nothing else, four times: help twice, then one "slow down"
            empty = SlackQuestion(team=TEAM, channel="C1", ts=f"1.{n}", thread_ts=f"1.{n}", user="U1", text="")
            responder.handle(empty, client)
        texts = [p["text"] for p in fake.to("chat.postMessage")]
        assert [t == HELP for t in texts] == [True, True, False] and "questions in the last minute" in texts[2]
    finally:
        fake.stop()


def test_a_full_queue_answers_busy_at_once(demo_workspace: Workspace) -> None:
    release = threading.Event()

    def slow_route(messages: list[Any]) -> str:
        assert release.wait(30), "the test never released the agent"
        return json.dumps(ANSWER)

    outputs = [slow_route, "Answer one.", ANSWER, "Answer two."]
    options = {"workers": 1, "queue_size": 1}
    with running_bot(demo_workspace, *outputs, responder_options=options) as bot:
        assert bot.post(mention("One?", ts="330.000001", event_id="EvQ1", user="U1")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.to("chat.postMessage")) == 1)  # running: its placeholder is up
        assert bot.post(mention("Two?", ts="330.000002", event_id="EvQ2", user="U2")) == 200
        bot.slack.wait_for(lambda: bot.responder._work is not None and bot.responder._work.pending == 2)
        assert bot.post(mention("Three?", ts="330.000003", event_id="EvQ3", user="U3")) == 200
        bot.slack.wait_for(lambda: any(BUSY in p["text"] for p in bot.slack.to("chat.postMessage")))
        busy = [p for p in bot.slack.to("chat.postMessage") if BUSY in p["text"]]
        assert [(p["channel"], p["thread_ts"]) for p in busy] == [("C1", "330.000003")]
        release.set()
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 2)
        bot.responder.close()
        shown = [blocks_text(f) for f in bot.slack.finished()]
        assert "Answer one." in shown[0] and "Answer two." in shown[1]
        bot.model.assert_complete()


# ---------------------------------------------------------------- no exports from Slack


def test_slack_agents_never_write_exports() -> None:
    assert AgentProvider(Settings(home=Path("/nonexistent"), llm="scripted")).settings.exports_enabled is False


def test_an_export_asked_for_in_slack_writes_no_file_and_posts_no_path(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    home = tmp_path / "home"  # its own runs/ folder over the shared demo build
    home.mkdir()
    (home / "current").symlink_to(demo_workspace.current.resolve())
    route = {"tool": "segment_query", "args": {"segments": ["champions"], "export": True}}
    model = ScriptedChatModel(outputs=[route, "Here are your champions."])
    settings = slack_agent_settings(Settings(home=home, llm="scripted"))
    agent = Agent(
        settings, chat_model=model, tools=load_tools((Family("tools.segments"),)), checkpointer=InMemorySaver()
    )
    provider = AgentProvider(settings, factory=lambda: agent)
    with running_bot(demo_workspace, agents=provider) as bot:
        ask = "Export our champions to a CSV for the email tool"
        assert bot.post(mention(ask, ts="340.000001", event_id="EvExport")) == 200
        bot.slack.wait_for(lambda: len(bot.slack.finished()) == 1)
        bot.responder.close()
        everything = json.dumps([c.payload for c in bot.slack.calls])
    assert len(model.calls) >= 1 and model.outputs == []  # the export really was asked of the tool
    assert not (home / "runs" / "exports").exists() or not any((home / "runs" / "exports").iterdir())
    assert str(home) not in everything and str(tmp_path) not in everything and ".csv" not in everything
    assert "Exports are switched off here" in everything
    assert EXPORTS_OFF.startswith("Exports are switched off here")
