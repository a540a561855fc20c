"""`mka watch`: the robust threshold, the YAML configuration's errors, and alerts posted through a fake Slack API
exactly once, on a small shop with a planted surge (tests/helpers/proactive.py)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.privacy import contains_pii
from assistant.core.settings import get_settings
from assistant.proactive.config import ConfigError, load_config
from assistant.proactive.detect import fires, robust_score
from assistant.proactive.metrics import ShopMetrics
from assistant.proactive.watch import AlertLog, run_checks
from tests.helpers.proactive import (
    CUSTOMERS,
    LAST_DAY,
    SURGE_START,
    planted_frames,
    planted_reviews,
    planted_workspace,
)
from tests.helpers.slack import BOT_TOKEN, FakeSlack, blocks_text

pytestmark = pytest.mark.usefixtures("no_outside_network")

CONFIG = """
watch:
  slack_channel: C-ALERTS
  metrics:
    - metric: revenue
    - metric: orders
    - metric: negative_review_share
      min_reviews: 10
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("MKA_HOME", str(home))
    monkeypatch.setenv("MKA_LLM", "scripted")
    monkeypatch.delenv("MKA_PROACTIVE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("MKA_SLACK_API_URL", fake.url)
    yield fake
    fake.stop()


def write_config(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "proactive.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the threshold


def test_robust_score_is_the_median_and_mad_of_the_baseline() -> None:
    score = robust_score(20.0, [10.0, 12.0, 11.0, 13.0, 9.0], floor=0.0)
    assert score.median == 11.0 and score.spread == pytest.approx(1.4826)  # MAD = median(|-1, 1, 0, 2, -2|) = 1
    assert score.z == pytest.approx(9 / 1.4826)
    assert fires(score, threshold=3.5, min_change=0.5, reference=score.median, direction="both")
    assert fires(score, threshold=3.5, min_change=0.5, reference=score.median, direction="up")
    assert not fires(score, threshold=3.5, min_change=0.5, reference=score.median, direction="down")
    assert not fires(score, threshold=3.5, min_change=1.0, reference=score.median, direction="both")  # 9 < 11
    assert not fires(score, threshold=7.0, min_change=0.5, reference=score.median, direction="both")  # z = 6.07


def test_one_outlier_in_the_baseline_does_not_move_it_and_the_floor_bounds_a_flat_one() -> None:
    assert robust_score(100.0, [100.0, 101.0, 99.0, 0.0, 100.0], floor=0.0).median == 100.0  # a closed week
    flat = robust_score(103.0, [100.0] * 8, floor=0.05)
    assert flat.spread == 5.0 and flat.z == pytest.approx(0.6)  # a 3 % wobble on a flat baseline is no event


def test_the_cooldown_holds_back_the_same_move_but_not_a_later_one(home: Path) -> None:
    workspace = planted_workspace(home)
    config = load_config(write_config(home.parent)).watch
    metrics = ShopMetrics(workspace.connect())
    report = run_checks(metrics, config)
    revenue = next(c for c in report.alerts if c.metric == "revenue")
    log = AlertLog()
    assert log.hold_back(revenue, cooldown_days=7) is None
    log.record(revenue)
    assert log.hold_back(revenue, cooldown_days=7) == "already sent"
    later = revenue.model_copy(update={"as_of": revenue.as_of + timedelta(days=3)})
    assert "cooldown 7 days" in str(log.hold_back(later, cooldown_days=7))
    assert log.hold_back(revenue.model_copy(update={"as_of": revenue.as_of + timedelta(days=7)}), 7) is None
    assert log.hold_back(later.model_copy(update={"metric_id": "orders/week"}), 7) is None


# ---------------------------------------------------------------- the configuration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("watch:\n  metrics:\n    - metric: revnue\n", "watch.metrics[0].metric: Input should be 'revenue'"),
        ("watch:\n  metrics:\n    - metric: segment_size\n", "watch.metrics[0]: segment_size needs `segment:`"),
        ("watch:\n  metrics:\n    - metric: segment_size\n      segment: vips\n",
         "watch.metrics[0].segment: Input should be 'champions'"),
        ("watch:\n  metrics:\n    - metric: orders\n      treshold: 3\n",
         "watch.metrics[0].treshold: Extra inputs are not permitted"),
        ("watch:\n  schedule: every morning\n  metrics:\n    - metric: orders\n",
         "watch.schedule: 'every morning' is not a cron expression of 5 fields"),
        ("watch:\n  schedule: '61 7 * * *'\n  metrics:\n    - metric: orders\n",
         "watch.schedule: '61 7 * * *' is not a valid cron expression"),
        ("watch:\n  metrics: []\n", "watch.metrics: List should have at least 1 item"),
        ("watch:\n  metrics:\n    - metric: orders\n    - metric: orders\n", "metrics listed twice: orders/week"),
        ("digest:\n  period: week\n", "watch: Field required"),
        ("watch: [unclosed\n", "not valid YAML"),
        ("- a list\n", "expected a mapping with `watch:`"),
    ],
)  # fmt: skip
def test_configuration_errors_name_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message


def test_the_command_names_a_missing_or_broken_configuration(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted_workspace(home)
    cli = CliRunner()
    result = cli.invoke(app, ["watch", "--once"])
    assert result.exit_code == 1 and "pass --config FILE or set MKA_PROACTIVE_CONFIG" in result.output
    result = cli.invoke(app, ["watch", "--once", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "nope.yaml: no such file" in result.output
    broken = write_config(tmp_path, "watch:\n  metrics:\n    - metric: orders\n      window: month\n")
    monkeypatch.setenv("MKA_PROACTIVE_CONFIG", str(broken))
    get_settings.cache_clear()
    result = cli.invoke(app, ["watch", "--once"])
    assert result.exit_code == 1 and f"{broken}: watch.metrics[0].window: Input should be 'day' or 'week'" in (
        " ".join(result.output.split())
    )


# ---------------------------------------------------------------- alerts through the fake Slack API


def _surge_week_totals() -> tuple[float, float, int, int]:
    """Revenue and completed orders of the last 7 days and of the same 7 days a week earlier, by pandas."""
    frames = planted_frames()
    orders = frames["orders"]
    amounts = frames["order_lines"].assign(amount=lambda f: f["quantity"] * f["unit_price"])
    done = orders[orders["status"] == "completed"].merge(amounts.groupby("order_id", as_index=False)["amount"].sum())
    day = pd.to_datetime(done["ordered_at"]).dt.date

    def window(end: object) -> pd.DataFrame:
        return done[(day > end - timedelta(days=7)) & (day <= end)]  # type: ignore[operator]

    now, before = window(LAST_DAY), window(LAST_DAY - timedelta(days=7))
    return float(now["amount"].sum()), float(before["amount"].sum()), len(now), len(before)


def test_alerts_are_posted_once_with_their_numbers_and_a_follow_up(
    home: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    planted_workspace(home, reviews=planted_reviews())
    config = write_config(tmp_path)
    cli = CliRunner()
    result = cli.invoke(app, ["watch", "--once", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "3 checks as of 2024-03-09: 3 alert(s), 3 new." in result.output

    posts = slack.to("chat.postMessage")
    assert [p["channel"] for p in posts] == ["C-ALERTS"] * 3
    assert all(p.get("thread_ts") is None and p["unfurl_links"] is False and p["parse"] == "none" for p in posts)
    shown = [blocks_text(p) for p in posts]
    revenue, revenue_before, orders, orders_before = _surge_week_totals()
    assert LAST_DAY - timedelta(days=6) == SURGE_START and revenue == 2 * revenue_before  # the planted surge
    assert (
        f"Revenue in the 7 days to {LAST_DAY}: {revenue:,.2f}, 100 % above the usual {revenue_before:,.2f}"
        in (shown[0])
    )
    assert f"Orders in the 7 days to {LAST_DAY}: {orders:,}, 100 % above the usual {orders_before:,}" in shown[1]
    assert f"Negative-review share in the 7 days to {LAST_DAY}: 50.0 %, above the usual 10.0 %" in shown[2]
    for text in shown:
        assert "previous 8 weeks" in text and "mention me in this thread" in text
        assert not any(customer in text for customer in CUSTOMERS) and not contains_pii(text)
    state = home / "watch-state.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600

    again = cli.invoke(app, ["watch", "--once", "--config", str(config)])
    assert again.exit_code == 0 and "3 alert(s), 0 new." in again.output
    assert len(slack.to("chat.postMessage")) == 3  # nothing reposted


def test_a_steady_shop_raises_no_alert_and_undated_reviews_are_named(
    home: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    planted_workspace(home, surge=False)
    result = CliRunner().invoke(app, ["watch", "--once", "--config", str(write_config(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    assert slack.to("chat.postMessage") == []
    assert "negative_review_share/week: the workspace holds no reviews" in " ".join(result.output.split())


def test_without_a_channel_alerts_are_printed_and_still_remembered(home: Path, tmp_path: Path) -> None:
    planted_workspace(home)
    config = write_config(tmp_path, "watch:\n  metrics:\n    - metric: revenue\n")
    cli = CliRunner()
    first = cli.invoke(app, ["watch", "--once", "--config", str(config)])
    assert first.exit_code == 0 and f"Revenue in the 7 days to {LAST_DAY}" in first.output
    assert 'Follow up: mka ask "Why did revenue rise in the week to 2024-03-09?"' in first.output
    second = cli.invoke(app, ["watch", "--once", "--config", str(config)])
    assert second.exit_code == 0 and "Revenue in the 7 days" not in second.output and "0 new" in second.output


def test_the_schedule_runs_the_checks_and_the_digest_it_was_given(home: Path, slack: FakeSlack, tmp_path: Path) -> None:
    """`mka watch` without --once: the scheduler's jobs on the file's cron lines; each job, run, posts."""
    from assistant.commands.watch import make_scheduler
    from assistant.core.settings import Settings

    planted_workspace(home)
    config = write_config(tmp_path, CONFIG.replace("watch:\n", "watch:\n  schedule: '15 6 * * *'\n", 1)
                          + "digest:\n  schedule: '0 8 * * 1'\n  slack_channel: C-DIGEST\n")  # fmt: skip
    scheduler = make_scheduler(Settings(), config, load_config(config), post=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"checks", "digest"}
    assert "hour='6', minute='15'" in str(jobs["checks"].trigger)
    assert "day_of_week='1', hour='8', minute='0'" in str(jobs["digest"].trigger)
    jobs["checks"].func()
    jobs["checks"].func()  # a second run finds the alerts already sent
    jobs["digest"].func()
    channels = [p["channel"] for p in slack.to("chat.postMessage")]
    assert channels == ["C-ALERTS", "C-ALERTS", "C-DIGEST"]
    assert "Weekly digest: 2024-03-03 to 2024-03-09" in blocks_text(slack.to("chat.postMessage")[2])


def test_the_backtest_replays_every_day_and_flags_the_planted_surge_once(home: Path, tmp_path: Path) -> None:
    import json

    planted_workspace(home)
    config = write_config(tmp_path, "watch:\n  metrics:\n    - metric: orders\n      window: day\n")
    result = CliRunner().invoke(app, ["bench", "alerts", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["checked_days"] == (LAST_DAY - date(2024, 1, 1)).days + 1
    # Each surge day is its weekday's double; the cooldown keeps the first one (the next day's is held back).
    assert [(a["as_of"], a["metric"], a["direction"]) for a in report["alerts"]] == [
        (str(SURGE_START + timedelta(days=1)), "orders/day", "up")]  # fmt: skip
    assert report["alerts"][0]["event"] is None and report["held_back_repeats"] == 5
    assert list((home / "runs").glob("bench-alerts-*.json"))
