"""Who may ask the bot: workspace (team), channel and user allow-lists, each empty meaning "everyone".

A signed request proves that Slack sent it, not that its sender should see the shop's numbers: a bot added to
a shared channel or installed in a second workspace would otherwise answer anyone there.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from assistant.slack.incoming import SlackQuestion


class AccessPolicy(BaseModel):
    """Allow-lists of Slack ids (T…, C…/D…/G…, U…/W…); a question must pass every non-empty list."""

    model_config = ConfigDict(frozen=True)

    teams: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()

    def denial(self, question: SlackQuestion) -> str | None:
        """Which list keeps this question out ("team", "channel", "user"), or None when it may be answered."""
        if self.teams and question.team not in self.teams:
            return "team"
        if self.channels and question.channel not in self.channels:
            return "channel"
        if self.users and (question.user or "") not in self.users:
            return "user"
        return None

    @property
    def open(self) -> bool:
        return not (self.teams or self.channels or self.users)
