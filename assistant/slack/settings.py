"""Slack credentials, endpoints and access limits, read from the environment (and `.env`) only when `mka slack`
starts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from assistant.slack.access import AccessPolicy

DEFAULT_API_URL = "https://slack.com/api/"
ENV_NAMES = {"bot_token": "SLACK_BOT_TOKEN", "app_token": "SLACK_APP_TOKEN", "signing_secret": "SLACK_SIGNING_SECRET"}
TOKEN_PREFIXES = {"bot_token": "xoxb-", "app_token": "xapp-"}


class SlackSettingsError(ValueError):
    """A Slack setting is missing or malformed; the message names the environment variable."""


class SlackSettings(BaseSettings):
    """Slack's own variable names (SLACK_*), plus MKA_SLACK_API_URL for a proxy or a test double."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN", description="xoxb-… token.")
    app_token: SecretStr | None = Field(
        default=None, validation_alias="SLACK_APP_TOKEN", description="xapp-… token (Socket Mode only)."
    )
    signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET", description="Signing secret (HTTP mode only)."
    )
    api_url: str = Field(
        default=DEFAULT_API_URL, validation_alias="MKA_SLACK_API_URL", description="Slack Web API base URL."
    )
    # Allow-lists: comma-separated Slack ids; empty (the default) lets every team / channel / user in.
    allowed_teams: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias="MKA_SLACK_ALLOWED_TEAMS", description="Workspace ids (T…)."
    )
    allowed_channels: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias="MKA_SLACK_ALLOWED_CHANNELS", description="Channel ids (C…, D…, G…)."
    )
    allowed_users: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias="MKA_SLACK_ALLOWED_USERS", description="User ids (U…, W…)."
    )
    rate_limit: int = Field(
        default=6, ge=1, le=1000, validation_alias="MKA_SLACK_RATE_LIMIT", description="Questions per user a minute."
    )
    workers: int = Field(
        default=8,
        ge=1,
        le=32,
        validation_alias="MKA_SLACK_WORKERS",
        description="Questions answered at once: with a model server they run side by side; with the embedded "
        "model they wait in its line, each thread shown its place.",
    )
    queue_size: int = Field(
        default=8, ge=0, le=1000, validation_alias="MKA_SLACK_QUEUE", description="Questions waiting at most."
    )

    @field_validator("allowed_teams", "allowed_channels", "allowed_users", mode="before")
    @classmethod
    def _id_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def access(self) -> AccessPolicy:
        return AccessPolicy(teams=self.allowed_teams, channels=self.allowed_channels, users=self.allowed_users)

    @field_validator("api_url", mode="after")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"MKA_SLACK_API_URL: {value!r} is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    def require(self, *, http: bool) -> None:
        """Check what the chosen mode needs; raise SlackSettingsError naming the first missing variable."""
        mode = "HTTP mode (--http)" if http else "Socket Mode (the default; --http for HTTP mode)"
        for name in ("bot_token", "signing_secret") if http else ("bot_token", "app_token"):
            value: SecretStr | None = getattr(self, name)
            secret = value.get_secret_value().strip() if value is not None else ""
            if not secret:
                raise SlackSettingsError(f"{ENV_NAMES[name]} is not set; {mode} needs it (see README: Slack setup)")
            prefix = TOKEN_PREFIXES.get(name)
            if prefix and not secret.startswith(prefix):
                raise SlackSettingsError(f"{ENV_NAMES[name]} should start with {prefix!r}")

    def secret(self, name: str) -> str:
        """The plain value of a credential checked by `require()`."""
        value: SecretStr | None = getattr(self, name)
        return value.get_secret_value().strip() if value is not None else ""
