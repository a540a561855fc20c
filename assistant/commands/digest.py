"""`mka digest`: a period's KPIs, segment movements, review themes and forecast against actual, as Markdown,
HTML or a Slack post."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from assistant.commands.common import err_console, fail, load_settings, print_json

if TYPE_CHECKING:
    from assistant.core.settings import Settings
    from assistant.proactive.digest import Digest


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")


def make_digest(settings: Settings, period: Literal["day", "week", "month"], as_of: date | None) -> Digest:
    """The digest over the current workspace; a missing workspace or an impossible date ends in one line."""
    from assistant.core.workspace import WorkspaceMissingError
    from assistant.proactive.digest import DigestError, build_digest
    from assistant.proactive.metrics import ShopMetrics
    from tools.context import ToolContext

    ctx = ToolContext.from_settings(settings)
    try:
        return build_digest(ShopMetrics(ctx.warehouse()), period, as_of)
    except (WorkspaceMissingError, DigestError) as exc:
        fail(str(exc))
    finally:
        ctx.close()


def post_digest(report: Digest, channel: str) -> list[str]:
    """Post the digest to `channel` through the bot's client; returns the messages' timestamps."""
    from pydantic import ValidationError

    from assistant.slack.broadcast import PostError, post_messages, report_messages, web_client
    from assistant.slack.settings import SlackSettings, SlackSettingsError

    try:
        client = web_client(SlackSettings())
        footer = f"mka digest · data up to {report.data_last_day} · figures computed from the warehouse"
        return post_messages(client, channel, report_messages(report.to_markdown(for_slack=True), footer))
    except (ValidationError, SlackSettingsError, PostError) as exc:
        fail(str(exc))


def digest(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last day of the period (YYYY-MM-DD); default: the data's last day.")
    ] = None,
    period: Annotated[
        Literal["day", "week", "month"],
        typer.Option("--period", help="day (vs the same weekday a week before), week, or month to date."),
    ] = "week",
    fmt: Annotated[Literal["markdown", "html"], typer.Option("--format", help="Output format.")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    post_to_slack: Annotated[
        str | None,
        typer.Option("--post-to-slack", help="Post to this Slack channel (id or name); needs SLACK_BOT_TOKEN."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the digest's figures as JSON.")] = False,
) -> None:
    """The digest of a day, week or month against the period before: KPIs, segments, reviews, forecast vs actual.

    Every figure is computed from the warehouse (tools.sales' definitions, RFM as of each date); the text is fixed
    templates, not a model's words.
    """
    settings = load_settings()
    report = make_digest(settings, period, parse_day(as_of, "--as-of"))
    if post_to_slack:
        stamps = post_digest(report, post_to_slack)
        err_console.print(f"Digest posted to {post_to_slack} ({len(stamps)} message(s)).", highlight=False)
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    text = report.to_html() if fmt == "html" else report.to_markdown()
    if output is not None:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"Digest written to {output}", highlight=False)
    elif not post_to_slack:
        typer.echo(text, nl=False)
