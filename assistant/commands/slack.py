"""`mka slack`: the Slack bot, in Socket Mode (default) or HTTP mode (`--http --port`)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from assistant.commands.common import err_console, fail, load_settings, warm_up_in_background


def register(app: typer.Typer) -> None:
    app.command("slack")(slack)


def slack(
    http: Annotated[
        bool,
        typer.Option("--http", help="Serve POST /slack/events (needs SLACK_SIGNING_SECRET) instead of Socket Mode."),
    ] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP mode port.")] = 3000,
    host: Annotated[
        str, typer.Option("--host", help="HTTP mode address; 0.0.0.0 to accept outside connections.")
    ] = "127.0.0.1",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request and Slack call.")] = False,
) -> None:
    """Answer @mentions and direct messages in Slack threads with the same agent as `mka ask`.

    Tokens come from SLACK_BOT_TOKEN plus SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode);
    see assistant/slack/manifest.yaml for the app's scopes and events.
    """
    from pydantic import ValidationError
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from assistant.core.workspace import WorkspaceMissingError
    from assistant.llm.factory import LLMUnavailableError
    from assistant.slack.app import build_app
    from assistant.slack.dedupe import RedisUnavailableError
    from assistant.slack.responder import AgentProvider, Responder
    from assistant.slack.server import serve_http, serve_socket_mode
    from assistant.slack.settings import SlackSettings, SlackSettingsError

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    settings = load_settings()
    try:
        slack_settings = SlackSettings()
        slack_settings.require(http=http)
    except (ValidationError, SlackSettingsError) as exc:
        fail(str(exc).splitlines()[0] if isinstance(exc, SlackSettingsError) else str(exc))

    agents = AgentProvider(settings)
    try:
        agent = agents.get()
        err_console.print(f"agent ready: model {agent.model_name}, workspace {settings.home}", highlight=False)
        warm_up_in_background(agent)  # load the model now, so the first question is not the slow one
    except (WorkspaceMissingError, LLMUnavailableError) as exc:
        # Keep serving: the bot says so in Slack, and picks the fix up without a restart.
        err_console.print(f"[yellow]warning:[/yellow] {exc}; the bot will say so when asked", highlight=False)

    try:
        responder = Responder.from_settings(agents, slack_settings)
    except RedisUnavailableError as exc:
        fail(str(exc))
    if settings.redis_url:
        shown = settings.redis_url.split("@")[-1]
        err_console.print(f"de-duplicating Slack events in Redis at {shown}, shared with other bot processes")
    access = slack_settings.access
    if access.open:
        err_console.print(
            "[yellow]note:[/yellow] anyone in a workspace where the bot is installed can ask it; "
            "set MKA_SLACK_ALLOWED_TEAMS / _CHANNELS / _USERS to restrict it",
            highlight=False,
        )
    try:
        app = build_app(slack_settings, responder, http=http)
    except (BoltError, SlackApiError) as exc:
        fail(f"Slack refused the bot token (SLACK_BOT_TOKEN): {exc}")
    except OSError as exc:
        fail(f"cannot reach Slack at {slack_settings.api_url}: {exc}")

    try:
        if http:
            serve_http(app, host, port, on_ready=lambda url: err_console.print(f"listening on {url}", highlight=False))
        else:
            err_console.print("connecting to Slack in Socket Mode…", highlight=False)
            serve_socket_mode(app, slack_settings.secret("app_token"))
    except KeyboardInterrupt:
        responder.close(wait=False)
        err_console.print("stopped", highlight=False)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc}" if http else f"Socket Mode connection failed: {exc}")
