"""Answering one Slack question: a placeholder at once, the agent's answer in its place, charts in the thread.

Bolt's listener thread only admits the question (once per message, allow-lists, the asker's rate limit, room
in the bounded work queue) and returns; a worker of the queue then answers it. A refused question gets a
short reply saying why. Every failure ends as a friendly message in the thread (no data yet, LLM not available,
LLM down); only our own bugs are logged with a traceback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import WebClient

from assistant.agent.events import Final, Queued, StepFinished, StepStarted
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.render.charts import ChartError, chart_filename, render_png
from assistant.slack.access import AccessPolicy
from assistant.slack.dedupe import Seen, SeenEvents, seen_events
from assistant.slack.formatting import COPY_TOOL, CopyStep, SlackMessage, answer_messages, escape, notice
from assistant.slack.incoming import SlackQuestion
from assistant.slack.limits import RateLimiter, WorkQueue
from assistant.slack.settings import SlackSettings
from tools.base import ChartSpec

if TYPE_CHECKING:
    from assistant.agent.runner import Agent

log = logging.getLogger("assistant.slack")

PLACEHOLDER = ":hourglass_flowing_sand: Looking at your segments…"
HELP = (
    "Ask me about your customers, products or reviews, for example: _which customers are at risk of churning?_, "
    "_what do reviews say about sizing?_, or _write an email for our loyal customers_."
)
NO_DATA = (
    ":warning: I have no data to look at yet. Whoever runs me can load it with `mka ingest` "
    "(or `mka ingest --demo` to try me on a sample shop), then ask again."
)
LLM_UNAVAILABLE = ":warning: My language model is not set up: {reason}. Whoever runs me can fix this; then ask again."
LLM_DOWN = (
    ":warning: Sorry, I couldn't finish this answer: the language model did not respond. Please try again in a minute."
)
NOT_ALLOWED = ":lock: I'm not enabled for you here. Ask whoever runs me for access."
SLOW_DOWN = ":raised_hand: You've asked {limit} questions in the last minute. Please ask again in {seconds} s."
IN_LINE = ":hourglass: Waiting for my model, which answers one question at a time: {place}."
BUSY = ":hourglass: I'm busy with other questions and my queue is full. Please try again in a minute."
MAX_CHARTS = 4
RATE_WINDOW_S = 60.0


def slack_agent_settings(settings: Settings) -> Settings:
    """The agent's settings in Slack: no exports, so no Slack user can make the server write a file (or learn
    its path); the chat UI and the CLI keep them."""
    return settings.model_copy(update={"exports_enabled": False})


class AgentProvider:
    """The process's one Agent, built on first use. A failed build is retried on the next question, so running
    `mka ingest` or fixing the LLM settings takes effect without restarting the bot."""

    def __init__(self, settings: Settings, factory: Callable[[], Agent] | None = None) -> None:
        self.settings = slack_agent_settings(settings)
        self.workspace = Workspace(settings.home)
        self._factory = factory or self._default_factory
        self._agent: Agent | None = None
        self._lock = threading.Lock()

    def _default_factory(self) -> Agent:
        from assistant.agent.runner import Agent

        return Agent(self.settings)

    def get(self) -> Agent:
        """The agent; raises WorkspaceMissingError (no data) or LLMUnavailableError (LLM not configured)."""
        self.workspace.require_built()
        with self._lock:
            if self._agent is None:
                self._agent = self._factory()
            return self._agent

    def synthetic(self) -> bool:
        try:
            return bool(self.workspace.manifest().get("synthetic"))
        except Exception:  # a footer note is not worth failing an answer for
            return False


class Responder:
    """Admits each SlackQuestion and answers it in the thread from a bounded work queue. Shared by every
    listener thread."""

    def __init__(
        self,
        agents: AgentProvider,
        max_charts: int = MAX_CHARTS,
        *,
        access: AccessPolicy | None = None,
        rate_limit: int = 6,
        workers: int = 2,
        queue_size: int = 8,
        answered: Seen | None = None,
        events: Seen | None = None,
    ) -> None:
        self.agents = agents
        self.max_charts = max_charts
        self.access = access or AccessPolicy()
        self.limiter = RateLimiter(rate_limit, RATE_WINDOW_S)
        # Message keys: one answer per Slack message, whichever event (or process, with Redis) brought it.
        self.answered = answered or SeenEvents()
        self.events = events or SeenEvents()  # event ids: Slack's re-deliveries, dropped before the listeners
        self._told = SeenEvents(ttl_seconds=RATE_WINDOW_S)  # one "not allowed" / "slow down" per asker a minute
        self._workers, self._queue_size = workers, queue_size
        self._work: WorkQueue | None = None  # started on the first question
        self._work_lock = threading.Lock()

    @classmethod
    def from_settings(cls, agents: AgentProvider, slack: SlackSettings) -> Responder:
        redis_url = agents.settings.redis_url  # several bot processes: de-duplicate in Redis
        return cls(
            agents,
            access=slack.access,
            rate_limit=slack.rate_limit,
            workers=slack.workers,
            queue_size=slack.queue_size,
            answered=seen_events(redis_url, "message"),
            events=seen_events(redis_url, "event"),
        )

    def handle(self, question: SlackQuestion, client: WebClient) -> None:
        """Admit the question and queue its answer; never waits for the agent."""
        if not self.answered.first_time(question.message_key):
            log.info("slack: %s already answered, ignoring the duplicate event", question.message_key)
            return
        denied = self.access.denial(question)
        if denied is not None:
            log.warning("slack: %s from user %s not in the allowed %ss", question.message_key, question.user, denied)
            if self._told.first_time(f"denied:{question.team}:{question.channel}:{question.user}"):
                self._post(client, question, notice(NOT_ALLOWED))
            return
        wait_s = self.limiter.acquire(f"{question.team}:{question.user}")
        if wait_s:
            log.warning("slack: user %s over the rate limit (%d a minute)", question.user, self.limiter.limit)
            if self._told.first_time(f"rate:{question.team}:{question.user}"):
                self._post(
                    client, question, notice(SLOW_DOWN.format(limit=self.limiter.limit, seconds=int(wait_s) + 1))
                )
            return
        if not question.text:  # after the rate limit: empty mentions are no way around it
            self._post(client, question, notice(HELP))
            return
        if not self._queue().submit(lambda: self.answer(question, client)):
            log.warning("slack: work queue full, %s refused", question.message_key)
            self._post(client, question, notice(BUSY))

    def _queue(self) -> WorkQueue:
        with self._work_lock:
            if self._work is None:
                self._work = WorkQueue(self._workers, self._queue_size)
            return self._work

    def close(self, wait: bool = True) -> None:
        """Stop taking questions; with `wait`, finish the queued ones first."""
        with self._work_lock:
            work = self._work = self._work or WorkQueue(self._workers, self._queue_size)
        work.close(wait=wait)  # a closed queue refuses every later question

    def answer(self, question: SlackQuestion, client: WebClient) -> None:
        """The placeholder, the agent's answer in its place, then the charts; runs in a queue worker."""
        placeholder_ts = self._post(client, question, notice(PLACEHOLDER))
        if placeholder_ts is None:
            return
        started = time.perf_counter()
        messages, charts = self._answer(question, client, placeholder_ts)
        self._update(client, question.channel, placeholder_ts, messages[0])
        for extra in messages[1:]:
            self._post(client, question, extra)
        self._upload_charts(client, question, charts)
        log.info("slack: answered %s in %.0f ms", question.conversation_id, (time.perf_counter() - started) * 1000)

    def _answer(
        self, question: SlackQuestion, client: WebClient, placeholder_ts: str
    ) -> tuple[list[SlackMessage], list[ChartSpec]]:
        """The reply messages and the charts to upload; errors become a friendly message and no charts."""
        from assistant.agent.runner import QuestionError
        from assistant.core.workspace import WorkspaceMissingError
        from assistant.llm.factory import LLMUnavailableError

        try:
            agent = self.agents.get()
            copy_steps: list[CopyStep] = []
            asker = f"{question.team}:{question.user}" if question.user else None
            for event in agent.stream(question.text, thread_id=question.conversation_id, user=asker, channel="slack"):
                if isinstance(event, Queued):
                    self._update(client, question.channel, placeholder_ts, notice(IN_LINE.format(place=event.text())))
                elif isinstance(event, StepStarted):
                    progress = f"{PLACEHOLDER} running `{escape(event.tool)}`"
                    self._update(client, question.channel, placeholder_ts, notice(progress))
                elif isinstance(event, StepFinished) and event.ok and event.tool == COPY_TOOL and event.result:
                    copy_steps.append(CopyStep(markdown=event.markdown, result=event.result))
                elif isinstance(event, Final):
                    result = event.result
                    footer = self._footer([s.tool for s in result.steps], result.model, result.timings.total_ms)
                    return answer_messages(result.answer, copy_steps, footer), result.charts
            raise RuntimeError("the agent finished without a result")
        except WorkspaceMissingError:
            return [notice(NO_DATA)], []
        except LLMUnavailableError as exc:
            return [notice(LLM_UNAVAILABLE.format(reason=escape(str(exc))))], []
        except QuestionError as exc:
            return [notice(f":information_source: {escape(str(exc))}")], []
        except Exception:  # LLM server down, timeouts, or our own bug: the thread gets a message, the log the trace
            log.exception("slack: answering %s failed", question.conversation_id)
            return [notice(LLM_DOWN)], []

    def _footer(self, tools: list[str], model: str, total_ms: float) -> str:
        parts = ["synthetic demo data"] if self.agents.synthetic() else []
        if tools:
            parts.append("tools: " + ", ".join(dict.fromkeys(tools)))
        parts.append(f"model: {model}")
        parts.append(f"{total_ms / 1000:.1f} s")
        return " · ".join(parts)

    def _upload_charts(self, client: WebClient, question: SlackQuestion, charts: list[ChartSpec]) -> None:
        uploads = []
        for index, spec in enumerate(charts[: self.max_charts], start=1):
            try:
                png = render_png(spec)
            except ChartError as exc:  # a malformed chart spec: the answer's table still has the numbers
                log.warning("slack: chart %r not drawn: %s", spec.title, exc)
                continue
            except Exception:  # our own bug: one chart fewer, the others still go up
                log.exception("slack: drawing chart %r failed", spec.title)
                continue
            uploads.append({"file": png, "filename": chart_filename(spec, index), "title": spec.title})
        if not uploads:
            return
        try:
            client.files_upload_v2(channel=question.channel, thread_ts=question.thread_ts, file_uploads=uploads)
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("slack: chart upload to %s failed: %s", question.channel, exc)

    def _post(self, client: WebClient, question: SlackQuestion, message: SlackMessage) -> str | None:
        try:
            response = client.chat_postMessage(
                channel=question.channel,
                thread_ts=question.thread_ts,
                text=message.text,
                blocks=message.blocks,
                parse="none",  # no server-side linking of names in the fallback text
                link_names=False,
                unfurl_links=False,  # an address in a review is not fetched and previewed by Slack
                unfurl_media=False,
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.error("slack: could not post in %s: %s", question.channel, exc)
            return None
        ts = response.get("ts")
        return str(ts) if ts else None

    def _update(self, client: WebClient, channel: str, ts: str, message: SlackMessage) -> None:
        try:
            client.chat_update(
                channel=channel, ts=ts, text=message.text, blocks=message.blocks, parse="none", link_names=False
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.error("slack: could not update %s/%s: %s", channel, ts, exc)
