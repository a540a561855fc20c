"""Concurrent turns: no global lock for providers that serve requests at once, per-turn token usage, and the fair
FIFO line (with places and a busy answer) for the embedded model, played by the scripted model under `serial=True`.

Ordering and counts are asserted, never durations: turns are held at gates (threading events and barriers), and
a timeout only turns a hang into a failure.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langgraph.checkpoint.memory import InMemorySaver

from assistant.agent.events import AgentResult, Final, Queued, queue_text
from assistant.agent.runner import Agent
from assistant.agent.turn_queue import QueueFullError, TurnQueue
from assistant.agent.understanding import message
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from tests.helpers.agent import sample_tools

HANG = 60.0  # seconds before a gate that never opens fails the test (a hang, not a measured duration)
COUNTRIES = ["Germany", "France", "Spain", "Netherlands", "Belgium"]


class Replies:
    """Scripted replies derived from each prompt (so any turn may take any queued item): the route decision for the
    country in the request, a narration whose length depends on the country; each reply's words are recorded
    by question, to recompute every turn's token count."""

    def __init__(self, before_route: Callable[[str], None] | None = None) -> None:
        self.before_route = before_route
        self.words: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, messages: list[BaseMessage]) -> str:
        last = str(messages[-1].content)
        routing = "You route" in str(messages[0].content)
        question = re.findall(r"^Request: (.+)$", last, re.M) or re.findall(r"^Marketer's request: (.+)$", last, re.M)
        asked = question[-1] if question else ""
        country = next(c for c in COUNTRIES if c in asked)
        if routing:
            if self.before_route is not None:
                self.before_route(country)
            text = json.dumps({"tool": "country_stats", "args": {"country": country}})
        else:
            more = " and more" * COUNTRIES.index(country)  # two sentences, the model's whole reply: none cut off
            text = f"{country} has {{f1}} customers{more}. Worth a campaign."
        with self._lock:
            self.words[asked] = self.words.get(asked, 0) + len(text.split())
        return text


def question(country: str) -> str:
    return f"How many customers do we have in {country}?"


def scripted_agent(
    workspace: Workspace, replies: Replies, turns: int, **kwargs: Any
) -> tuple[Agent, ScriptedChatModel]:
    model = ScriptedChatModel(outputs=[replies] * (2 * turns))
    settings = Settings(home=workspace.home, llm="scripted", queue_max=kwargs.pop("queue_max", 20))
    agent = Agent(settings, chat_model=model, tools=sample_tools(), checkpointer=InMemorySaver(), **kwargs)
    return agent, model


class Session(threading.Thread):
    def __init__(self, agent: Agent, country: str) -> None:
        super().__init__(name=f"session-{country}", daemon=True)
        self.agent, self.country = agent, country
        self.places: list[int] = []
        self.waits: list[float | None] = []
        self.result: AgentResult | None = None
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self.on_finish: Callable[[Session], None] | None = None

    def run(self) -> None:
        try:
            for event in self.agent.stream(question(self.country), thread_id=f"thread-{self.country}"):
                if isinstance(event, Queued):
                    self.places.append(event.ahead)
                    self.waits.append(event.expected_wait_s)
                elif isinstance(event, Final):
                    self.result = event.result
            if self.on_finish is not None:
                self.on_finish(self)
        except BaseException as exc:  # re-raised by the test
            self.error = exc
        finally:
            self.finished.set()


def assert_own_answer(session: Session) -> None:
    assert session.error is None, session.error
    result = session.result
    assert result is not None
    assert result.question == question(session.country) and result.thread_id == f"thread-{session.country}"
    assert [s.args for s in result.steps] == [{"country": session.country}]
    assert session.country in result.answer
    assert not [c for c in COUNTRIES if c != session.country and c in result.answer]


def until(condition: Callable[[], bool], session: Session) -> None:
    """Wait for `condition` while `session` is still going; a session that ended or a hang fails the test."""
    deadline = time.monotonic() + HANG
    while not condition():
        assert not session.finished.is_set(), f"{session.name} ended early: {session.error!r}"
        assert time.monotonic() < deadline, f"{session.name}: timed out"
        time.sleep(0.005)


def distinct(values: list[int]) -> list[int]:
    """Places with repeats in a row removed (a waiting turn re-announces an unchanged place now and then)."""
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


# --- the line itself -----------------------------------------------------------------------------------------------


def test_line_serves_in_arrival_order_and_tells_each_its_place() -> None:
    now = [0.0]
    line = TurnQueue(max_waiting=5, clock=lambda: now[0])
    a, b, c = line.join(), line.join(), line.join()
    assert [line.ahead(t) for t in (a, b, c)] == [0, 1, 2]
    assert line.wait(a) == 0  # a's turn starts
    assert line.expected_wait(2) is None  # no turn has finished: nothing to average
    now[0] = 10.0
    line.leave(a)
    assert line.wait(b, timeout=0) == 0 and line.ahead(c) == 1
    now[0] = 14.0  # b has run 4 s of an average 10 s
    assert line.expected_wait(1) == pytest.approx(6.0)
    assert line.expected_wait(2) == pytest.approx(16.0)
    line.leave(c)  # c gives up its place while waiting: nothing recorded for it
    now[0] = 30.0
    line.leave(b)
    assert line.length == 0 and line.average_s == pytest.approx(15.0)


def test_a_full_line_refuses_at_once() -> None:
    line = TurnQueue(max_waiting=1)
    running, waiting = line.join(), line.join()
    with pytest.raises(QueueFullError, match="1 questions are already waiting"):
        line.join()
    line.leave(running)
    line.join()  # room again
    assert line.ahead(waiting) == 0


def test_queue_text_reads_naturally() -> None:
    assert queue_text(2, 20.4) == "2 questions ahead of you, about 20 s"
    assert queue_text(1, None) == "1 question ahead of you"
    assert queue_text(3, 200) == "3 questions ahead of you, about 3 min"


# --- the agent with a provider that serves concurrent requests ---------------------------------------------------


def test_turns_run_side_by_side_and_each_counts_its_own_tokens(demo_workspace: Workspace) -> None:
    """Every turn's routing call waits at one barrier: with a global lock the second turn could never reach it."""
    countries = COUNTRIES[:4]
    all_routing = threading.Barrier(len(countries), timeout=HANG)
    replies = Replies(before_route=lambda country: all_routing.wait())
    agent, model = scripted_agent(demo_workspace, replies, turns=len(countries))
    assert agent.turns is None  # the scripted model is not the embedded one: no line
    sessions = [Session(agent, c) for c in countries]
    for s in sessions:
        s.start()
    for s in sessions:
        assert s.finished.wait(HANG)
    for s in sessions:
        assert_own_answer(s)
        assert s.places == []
        assert s.result is not None
        # The scripted model reports 10 prompt tokens and one completion token per word, per call (2 calls a turn).
        assert s.result.tokens.prompt == 20
        assert s.result.tokens.completion == replies.words[question(s.country)]
    assert len({s.result.tokens.completion for s in sessions if s.result}) == len(countries)  # all different
    model.assert_complete()


# --- the embedded-style line in the agent ------------------------------------------------------------------------


def test_serial_turns_are_served_first_come_first_served_with_their_places(demo_workspace: Workspace) -> None:
    release = threading.Event()
    first_running = threading.Event()

    def hold_the_first(country: str) -> None:
        if country == COUNTRIES[0]:
            first_running.set()
            assert release.wait(HANG)

    replies = Replies(before_route=hold_the_first)
    agent, model = scripted_agent(demo_workspace, replies, turns=len(COUNTRIES), serial=True)
    assert agent.turns is not None
    finished: list[str] = []
    sessions = [Session(agent, c) for c in COUNTRIES]
    for s in sessions:
        s.on_finish = lambda s: finished.append(s.country)
    sessions[0].start()
    assert first_running.wait(HANG)
    for i, s in enumerate(sessions[1:], start=1):  # each joins once the one before it is in the line
        s.start()
        until(lambda n=i + 1: agent.turns is not None and agent.turns.length == n, s)
    for i, s in enumerate(sessions[1:], start=1):
        until(lambda s=s: bool(s.places), s)
        assert s.places[0] == i  # the running turn and everyone who came earlier are ahead
        assert s.waits[0] is None  # no turn has finished yet: no estimate rather than a made-up one
    release.set()
    for s in sessions:
        assert s.finished.wait(HANG)
    assert finished == COUNTRIES  # first come, first served
    for i, s in enumerate(sessions):
        assert_own_answer(s)
        assert distinct(s.places) == list(range(i, 0, -1))  # every move of the line announced, in order
        if i >= 2:
            assert s.waits[-1] is not None  # once turns have finished, the wait is estimated from them
        assert s.result is not None and (s.result.timings.queued_ms > 0 or i == 0)
    assert agent.turns.length == 0 and agent.turns.average_s is not None
    model.assert_complete()


def test_a_full_line_answers_busy_without_running_anything(demo_workspace: Workspace) -> None:
    release = threading.Event()
    first_running = threading.Event()

    def hold_the_first(country: str) -> None:
        if country == COUNTRIES[0]:
            first_running.set()
            assert release.wait(HANG)

    replies = Replies(before_route=hold_the_first)
    agent, model = scripted_agent(demo_workspace, replies, turns=2, serial=True, queue_max=1)
    running, waiting = Session(agent, COUNTRIES[0]), Session(agent, COUNTRIES[1])
    running.start()
    assert first_running.wait(HANG)
    waiting.start()
    until(lambda: bool(waiting.places), waiting)
    calls_before = len(model.calls)
    busy = agent.ask(question(COUNTRIES[2]), thread_id="thread-busy")
    assert busy.answer == message("busy", "en") and "try again in a minute" in busy.answer
    assert busy.steps == [] and any(f.startswith("busy:") for f in busy.flags)
    assert len(model.calls) == calls_before  # the model was never asked
    assert agent.graph.get_state({"configurable": {"thread_id": "thread-busy"}}).values == {}  # nothing remembered
    release.set()
    for s in (running, waiting):
        assert s.finished.wait(HANG)
        assert_own_answer(s)
    model.assert_complete()


def test_a_turn_abandoned_while_waiting_gives_up_its_place(demo_workspace: Workspace) -> None:
    release = threading.Event()
    first_running = threading.Event()

    def hold_the_first(country: str) -> None:
        if country == COUNTRIES[0]:
            first_running.set()
            assert release.wait(HANG)

    agent, model = scripted_agent(demo_workspace, Replies(before_route=hold_the_first), turns=2, serial=True)
    assert agent.turns is not None
    running = Session(agent, COUNTRIES[0])
    running.start()
    assert first_running.wait(HANG)
    events = agent.stream(question(COUNTRIES[1]))
    first = next(events)
    assert isinstance(first, Queued) and first.ahead == 1 and agent.turns.length == 2
    events.close()  # the browser tab was closed
    assert agent.turns.length == 1
    release.set()
    assert running.finished.wait(HANG)
    assert_own_answer(running)
    model.outputs.clear()  # the abandoned turn's replies were never needed


# --- the load test against a real HTTP server -----------------------------------------------------------------------


def test_concurrent_sessions_against_the_stand_in_server(demo_workspace: Workspace, tmp_path: Path) -> None:
    """`mka bench concurrency` in small: sessions over HTTP at once, every answer, token count and stored
    conversation its own."""
    from bench.concurrency import run_server

    settings = Settings(home=demo_workspace.home, llm="scripted")
    results = run_server(settings, sessions=4, turns=2, token_delay_s=0.02, base_url=None)
    assert results["errors"] == 0, results["error_samples"]
    assert results["cross_talk"] == 0, results["cross_talk_samples"]
    assert results["concurrent"]["turns"] == 8
    assert results["peak_requests_in_flight"] >= 2  # requests really overlapped: no lock around the turns


# --- front doors show the place in the line -----------------------------------------------------------------------


def test_the_ui_shows_the_place_until_the_turn_starts() -> None:
    from assistant.agent.events import StepStarted
    from assistant.ui.turn import TurnView

    turn = TurnView(clock=lambda: 0.0)
    turn.apply(Queued(ahead=2, expected_wait_s=20.0))
    shown = turn.messages()
    assert shown[-1]["content"] == "Waiting for the model: 2 questions ahead of you, about 20 s."
    assert shown[-1]["metadata"]["status"] == "pending"
    turn.apply(Queued(ahead=1, expected_wait_s=9.6))
    assert "1 question ahead of you, about 10 s" in turn.messages()[-1]["content"]
    turn.apply(StepStarted(tool="country_stats", args={"country": "Germany"}))
    assert not any("ahead of you" in str(m["content"]) for m in turn.messages())


def test_slack_shows_the_place_in_the_thread_then_the_answer(demo_workspace: Workspace) -> None:
    from slack_sdk.web import WebClient

    from assistant.slack.incoming import SlackQuestion
    from assistant.slack.responder import AgentProvider, Responder
    from tests.helpers.slack import BOT_TOKEN, FakeSlack, blocks_text

    release = threading.Event()
    first_running = threading.Event()

    def hold_the_first(country: str) -> None:
        if country == COUNTRIES[0]:
            first_running.set()
            assert release.wait(HANG)

    agent, model = scripted_agent(demo_workspace, Replies(before_route=hold_the_first), turns=2, serial=True)
    assert agent.turns is not None
    slack = FakeSlack().start()
    try:
        client = WebClient(token=BOT_TOKEN, base_url=slack.url)
        responder = Responder(AgentProvider(Settings(home=demo_workspace.home, llm="scripted"), factory=lambda: agent))
        asked = [
            SlackQuestion(team="T1", channel="C1", ts=f"10{i}.0", thread_ts=f"10{i}.0", user="U1", text=question(c))
            for i, c in enumerate(COUNTRIES[:2])
        ]
        first = threading.Thread(target=responder.answer, args=(asked[0], client), daemon=True)
        first.start()
        assert first_running.wait(HANG)
        second = threading.Thread(target=responder.answer, args=(asked[1], client), daemon=True)
        second.start()
        slack.wait_for(lambda: any("ahead of you" in str(u.get("text")) for u in slack.to("chat.update")), HANG)
        update = next(u for u in slack.to("chat.update") if "ahead of you" in str(u.get("text")))
        assert "1 question ahead of you" in blocks_text(update)
        release.set()
        first.join(HANG)
        second.join(HANG)
        answers = [u for u in slack.finished() if "has" in blocks_text(u)]
        assert len(answers) == 2
        for country in COUNTRIES[:2]:
            assert sum(country in blocks_text(u) for u in answers) == 1  # one answer each, in its own message
    finally:
        release.set()
        slack.stop()
    model.assert_complete()
