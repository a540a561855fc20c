"""Posting a report of our own (a digest, an alert) to a Slack channel: the bot's Web API client, the same
escaping, PII masking and safe posting flags as its answers (assistant/slack/formatting.py)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import WebClient

from assistant.slack.formatting import SlackMessage, answer_messages
from assistant.slack.settings import SlackSettings, SlackSettingsError

log = logging.getLogger("assistant.slack")


class PostError(RuntimeError):
    """Slack refused or could not be reached; the message names the channel and Slack's error."""


def report_messages(markdown: str, footer: str | None = None) -> list[SlackMessage]:
    """A report's Markdown as Slack messages (tables as code blocks, every text escaped, PII masked)."""
    return answer_messages(markdown, footer=footer)


def web_client(slack: SlackSettings) -> WebClient:
    """The bot's client; only SLACK_BOT_TOKEN is needed to post (no Socket Mode or signing secret)."""
    token = slack.secret("bot_token")
    if not token:
        raise SlackSettingsError("SLACK_BOT_TOKEN is not set; posting a report to Slack needs it")
    if not token.startswith("xoxb-"):
        raise SlackSettingsError("SLACK_BOT_TOKEN should start with 'xoxb-'")
    return WebClient(token=token, base_url=slack.api_url)


def post_messages(
    client: WebClient, channel: str, messages: list[SlackMessage], thread_ts: str | None = None
) -> list[str]:
    """Post the messages in order (later ones in the first one's thread); returns their timestamps."""
    stamps: list[str] = []
    for message in messages:
        try:
            response = client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts or (stamps[0] if stamps else None),
                text=message.text,
                blocks=message.blocks,
                parse="none",
                link_names=False,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise PostError(f"Slack refused the post to {channel}: {exc.response.get('error', exc)}") from exc
        except (SlackClientError, OSError) as exc:
            raise PostError(f"could not reach Slack to post to {channel}: {exc}") from exc
        stamps.append(str(response.get("ts") or ""))
        log.info("slack: posted a report message to %s (ts %s)", channel, stamps[-1])
    return stamps
