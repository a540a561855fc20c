"""The Bolt app: listeners for mentions and DMs, and a middleware that drops Slack's re-deliveries.

Bolt does the protocol: request signatures and the 5-minute timestamp window (401 before anything else
runs), url_verification, ignoring the bot's own messages, and acknowledging each event at once — listeners
run after the ack in Bolt's thread pool, so a slow answer never makes Slack wait past its 3 s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.web import WebClient

from assistant.slack.dedupe import Seen, SeenEvents
from assistant.slack.incoming import question_from_event
from assistant.slack.responder import Responder
from assistant.slack.settings import SlackSettings

log = logging.getLogger("assistant.slack")


class DropRedeliveries(Middleware):
    """Acknowledge and drop an event already received (same event_id), however Slack re-sent it."""

    def __init__(self, seen: Seen | None = None) -> None:
        self.seen = seen or SeenEvents()

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        body = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id")
        retry = req.headers.get("x-slack-retry-num", [None])[0] or body.get("retry_attempt")
        if event_id and not self.seen.first_time(str(event_id)):
            reason = req.headers.get("x-slack-retry-reason", [""])[0]
            log.info("slack: dropped re-delivery %s of event %s (%s)", retry, event_id, reason or "no reason given")
            return BoltResponse(status=200, body="")
        if retry:
            log.info("slack: retry %s of event %s not seen before; handling it", retry, event_id)
        return next()


def build_app(slack: SlackSettings, responder: Responder, *, http: bool, client: WebClient | None = None) -> App:
    """A Bolt app answering `app_mention` in channels and direct messages, always in the thread.

    `http=True` verifies request signatures (HTTP mode); Socket Mode connections are authenticated by the
    app token instead. The client defaults to Slack's Web API at `slack.api_url`.
    """
    client = client or WebClient(token=slack.secret("bot_token"), base_url=slack.api_url)
    app = App(
        client=client,  # Bolt takes the bot token from the client
        signing_secret=slack.secret("signing_secret") if http else None,
        request_verification_enabled=http,
        process_before_response=False,
        logger=log,
    )
    app.use(DropRedeliveries(responder.events))

    def on_mention(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        question = question_from_event(event, context.team_id, context.bot_user_id)
        if question is not None:
            responder.handle(question, client)

    def on_message(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        # Direct messages only; in channels the bot answers when mentioned (app_mention above).
        if event.get("channel_type") != "im":
            return
        question = question_from_event(event, context.team_id, context.bot_user_id)
        if question is not None:
            responder.handle(question, client)

    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
    return app
