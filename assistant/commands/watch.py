"""`mka watch`: check the configured metrics and post an alert for each unusual move; once (cron-friendly) or on
the configuration's schedule (APScheduler), which also posts the scheduled digest."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.commands.common import err_console, fail, load_settings, print_json
from assistant.commands.digest import make_digest, parse_day, post_digest
from assistant.core.privacy import PRIVATE_FILE_MODE

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from assistant.core.settings import Settings
    from assistant.proactive.config import ProactiveConfig
    from assistant.proactive.watch import Check, WatchReport

log = logging.getLogger("assistant.watch")


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)


def config_path(settings: Settings, given: Path | None) -> Path:
    path = given or settings.proactive_config
    if path is None:
        fail("no configuration: pass --config FILE or set MKA_PROACTIVE_CONFIG (see docs/examples/proactive.yaml)")
    return path


def read_config(path: Path) -> ProactiveConfig:
    from assistant.proactive.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        fail(str(exc))


def state_path(settings: Settings, config: ProactiveConfig) -> Path:
    path = config.watch.state_file
    return path if path.is_absolute() else settings.home / path


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One watcher at a time per state file: two overlapping cron runs must not both post."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    with os.fdopen(os.open(lock, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_once(settings: Settings, config: ProactiveConfig, as_of: date | None) -> WatchReport:
    from assistant.core.workspace import WorkspaceMissingError
    from assistant.proactive.metrics import ShopMetrics
    from assistant.proactive.watch import WatchError, run_checks
    from tools.context import ToolContext

    ctx = ToolContext.from_settings(settings)
    try:
        return run_checks(ShopMetrics(ctx.warehouse()), config.watch, as_of)
    except (WorkspaceMissingError, WatchError) as exc:
        fail(str(exc))
    finally:
        ctx.close()


def deliver(settings: Settings, config: ProactiveConfig, report: WatchReport, post: bool) -> list[tuple[Check, str]]:
    """Post (or print) each alert not sent before, remembering it; returns (alert, what happened) pairs."""
    from pydantic import ValidationError

    from assistant.proactive.watch import alert_markdown, load_log, save_log
    from assistant.slack.broadcast import PostError, post_messages, report_messages, web_client
    from assistant.slack.settings import SlackSettings, SlackSettingsError

    channel = config.watch.slack_channel if post else None
    path = state_path(settings, config)
    outcomes: list[tuple[Check, str]] = []
    with _locked(path):
        sent = load_log(path)
        client = None
        for check in report.alerts:
            held = sent.hold_back(check, config.watch.cooldown_days)
            if held:
                outcomes.append((check, f"not sent again: {held}"))
                continue
            ts = None
            if channel:
                try:
                    client = client or web_client(SlackSettings())
                    ts = post_messages(client, channel, report_messages(alert_markdown(check, in_slack=True)))[0]
                except (ValidationError, SlackSettingsError, PostError) as exc:
                    save_log(sent, path)  # what was posted before this failure stays remembered
                    fail(str(exc))
            else:
                typer.echo(alert_markdown(check, in_slack=False) + "\n")
            sent.record(check, channel, ts)
            outcomes.append((check, f"posted to {channel}" if channel else "printed"))
            log.info("watch: alert %s %s", check.key, "posted" if channel else "printed")
        save_log(sent, path)
    return outcomes


def run_watch(
    settings: Settings, config: ProactiveConfig, as_of: date | None, post: bool
) -> tuple[WatchReport, list[tuple[Check, str]]]:
    report = check_once(settings, config, as_of)
    for skipped in report.skipped:
        err_console.print(f"[yellow]skipped[/yellow] {skipped.metric_id}: {skipped.reason}", highlight=False)
    return report, deliver(settings, config, report, post)


def run_digest(settings: Settings, config: ProactiveConfig) -> None:
    channel = config.digest.slack_channel
    report = make_digest(settings, config.digest.period, None)
    if channel:
        post_digest(report, channel)
        log.info("watch: digest %s posted to %s", report.period.label, channel)
    else:
        typer.echo(report.to_markdown())


def watch(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="The YAML configuration; default MKA_PROACTIVE_CONFIG.")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Check once and exit (for cron or a systemd timer).")] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Check once, as of this day (YYYY-MM-DD); default: the data's last day."),
    ] = None,
    no_post: Annotated[bool, typer.Option("--no-post", help="Print alerts instead of posting them to Slack.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: print every check as JSON.")] = False,
) -> None:
    """Check revenue, orders, segment sizes and the negative-review share against their seasonal baselines and
    alert on unusual moves. Alerts already sent (state file in MKA_HOME) are not posted again."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = load_settings()
    path = config_path(settings, config)
    proactive = read_config(path)
    day = parse_day(as_of, "--as-of")
    if once or day is not None:
        report, outcomes = run_watch(settings, proactive, day, post=not no_post)
        if as_json:
            print_json(
                {
                    "as_of": str(report.as_of),
                    "checks": [c.model_dump(mode="json") for c in report.checks],
                    "skipped": [s.model_dump(mode="json") for s in report.skipped],
                    "alerts": [{"key": c.key, "outcome": outcome} for c, outcome in outcomes],
                }
            )
        else:
            err_console.print(
                f"{len(report.checks)} checks as of {report.as_of}: {len(report.alerts)} alert(s), "
                f"{sum(1 for _, o in outcomes if not o.startswith('not sent'))} new.",
                highlight=False,
            )
        return
    schedule(settings, path, proactive, post=not no_post)


def make_scheduler(settings: Settings, path: Path, proactive: ProactiveConfig, post: bool) -> BlockingScheduler:
    """A scheduler with the checks (and the digest, when enabled) on the configuration's cron schedules."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = BlockingScheduler()

    def checks() -> None:
        try:
            run_watch(settings, read_config(path), None, post)  # the file is re-read: edits apply at the next run
        except typer.Exit:
            log.error("watch: this run failed (see the error above); the next one runs on schedule")

    def digest() -> None:
        try:
            run_digest(settings, read_config(path))
        except typer.Exit:
            log.error("watch: the digest failed (see the error above); the next one runs on schedule")

    scheduler.add_job(checks, CronTrigger.from_crontab(proactive.watch.schedule), id="checks", coalesce=True,
                      max_instances=1)  # fmt: skip
    if proactive.digest.enabled:
        scheduler.add_job(digest, CronTrigger.from_crontab(proactive.digest.schedule), id="digest", coalesce=True,
                          max_instances=1)  # fmt: skip
    return scheduler


def schedule(settings: Settings, path: Path, proactive: ProactiveConfig, post: bool) -> None:
    """Run the checks (and the digest) on the configuration's cron schedules until interrupted."""
    scheduler = make_scheduler(settings, path, proactive, post)
    err_console.print(
        f"Watching: checks on '{proactive.watch.schedule}'"
        + (f", digest on '{proactive.digest.schedule}'" if proactive.digest.enabled else "")
        + " (cron, local time). Ctrl-C stops.",
        highlight=False,
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
