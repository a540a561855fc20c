"""From a Slack event to a question for the agent: where to answer, which conversation, and plain text."""

from __future__ import annotations

import html
import re
from typing import Any

from pydantic import BaseModel, Field

# Message subtypes that are a person writing; edits, joins, bot posts and deletions are not questions.
_ASKING_SUBTYPES = {None, "file_share", "thread_broadcast"}
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_MENTION = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_SPECIAL = re.compile(r"<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")


class SlackQuestion(BaseModel):
    """One question asked in Slack, and the thread its answer belongs in."""

    team: str = Field(description="Workspace id; part of the conversation key.")
    channel: str
    ts: str = Field(description="The asking message's timestamp (its id within the channel).")
    thread_ts: str = Field(description="The thread to answer in: the message's thread, or the message itself.")
    user: str | None = None
    text: str

    @property
    def conversation_id(self) -> str:
        """Agent memory key: one Slack thread is one conversation, and never sees another's history."""
        return f"slack:{self.team}:{self.channel}:{self.thread_ts}"

    @property
    def message_key(self) -> str:
        """The same message reaches us as app_mention and as message.* events; answer it once."""
        return f"{self.team}:{self.channel}:{self.ts}"


def clean_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack markup to plain words: drop the bot's own mention, unwrap links, unescape &amp; &lt; &gt;."""

    def user(match: re.Match[str]) -> str:
        return "" if bot_user_id and match.group(1) == bot_user_id else "@someone"

    text = _USER_MENTION.sub(user, text)
    text = _CHANNEL_MENTION.sub(lambda m: f"#{m.group(1)}", text)
    text = _SPECIAL.sub(lambda m: m.group(1) or "", text)
    text = _LINK.sub(lambda m: m.group(2) or re.sub(r"^(mailto|tel):", "", m.group(1)), text)
    text = html.unescape(text)
    return re.sub(r"[ \t]+", " ", text).strip()


def question_from_event(event: dict[str, Any], team: str | None, bot_user_id: str | None) -> SlackQuestion | None:
    """The question in an app_mention or message event, or None when the event is not someone asking."""
    if event.get("subtype") not in _ASKING_SUBTYPES or event.get("bot_id") or event.get("bot_profile"):
        return None  # edits, joins, other bots (no bot-to-bot loops)
    user = event.get("user")
    if not user or (bot_user_id and user == bot_user_id):
        return None
    channel, ts = event.get("channel"), event.get("ts")
    if not channel or not ts:
        return None
    return SlackQuestion(
        team=str(team or event.get("team") or "T?"),
        channel=str(channel),
        ts=str(ts),
        thread_ts=str(event.get("thread_ts") or ts),
        user=str(user),
        text=clean_text(str(event.get("text") or ""), bot_user_id),
    )
