"""The watcher on the real data as of past days, with the example configuration (docs/examples/proactive.yaml):
the pre-Christmas surge and the Christmas closure raise alerts, a quiet summer week does not, the checked
figures equal a pandas recomputation, and the alerts reach a fake Slack API exactly once."""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.privacy import contains_pii
from assistant.core.settings import get_settings
from assistant.core.workspace import Workspace
from assistant.proactive.config import WatchConfig, load_config
from assistant.proactive.metrics import ShopMetrics
from assistant.proactive.watch import alert_headline, run_checks
from bench.alerts import EXAMPLE_CONFIG
from bench.segments import pandas_rfm
from tests.helpers.slack import BOT_TOKEN, FakeSlack, blocks_text

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def metrics(real_shop_metrics: ShopMetrics) -> ShopMetrics:
    return real_shop_metrics


@pytest.fixture(scope="module")
def orders(metrics: ShopMetrics) -> pd.DataFrame:
    frame = metrics.con.execute("SELECT order_id, customer_id, ordered_at, status FROM orders").df()
    return frame.assign(day=pd.to_datetime(frame["ordered_at"]).dt.date)


def completed_in_week(orders: pd.DataFrame, end: date) -> int:
    done = orders[orders["status"] == "completed"]
    return int(((done["day"] > end - timedelta(days=7)) & (done["day"] <= end)).sum())


def sales_only(config: WatchConfig) -> WatchConfig:
    """The example's metrics but the segment sizes (RFM as of ten days per check; tested once, below)."""
    return config.model_copy(update={"metrics": [m for m in config.metrics if m.metric != "segment_size"]})


def test_the_surge_and_the_closure_alert_and_a_quiet_week_does_not(metrics: ShopMetrics, orders: pd.DataFrame) -> None:
    config = sales_only(load_config(EXAMPLE_CONFIG).watch)
    surge = {c.metric_id: c for c in run_checks(metrics, config, date(2011, 11, 24)).checks}
    check = surge["orders/week"]
    assert check.fired and check.direction == "up"
    assert check.value == completed_in_week(orders, date(2011, 11, 24))
    earlier = [completed_in_week(orders, date(2011, 11, 24) - timedelta(days=7 * k)) for k in range(1, 9)]
    assert check.usual == statistics.median(earlier) and check.baseline_weeks == 8
    assert alert_headline(check).startswith(f"Orders in the 7 days to 2011-11-24: {check.value:,.0f}, ")

    closure = {c.metric_id: c for c in run_checks(metrics, config, date(2011, 1, 3)).checks}
    check = closure["orders/week"]
    assert check.fired and check.direction == "down" and check.value == 0
    # Every day of the window but Saturday 1 January (the shop never trades on Saturdays) had no orders.
    assert [str(d) for d in check.closed_days] == [
        "2010-12-28", "2010-12-29", "2010-12-30", "2010-12-31", "2011-01-02", "2011-01-03"]  # fmt: skip

    quiet = run_checks(metrics, config, date(2011, 7, 14))
    assert quiet.alerts == [] and [c.metric_id for c in quiet.checks] == ["revenue/week", "orders/week"]
    assert [s.metric_id for s in quiet.skipped] == ["negative_review_share/week"]
    assert "reviews carry no dates" in quiet.skipped[0].reason


def test_segment_size_changes_are_rfm_scored_as_of_each_day(metrics: ShopMetrics, orders: pd.DataFrame) -> None:
    config = load_config(EXAMPLE_CONFIG).watch
    checks = {c.metric_id: c for c in run_checks(metrics, config, date(2011, 10, 11)).checks}
    assert checks["segment_size:at_risk/week"].fired  # the autumn's one segment alert in the backtest
    lines = metrics.con.execute("SELECT order_id, product_id, quantity, unit_price FROM order_lines").df()
    sizes = {day: pandas_rfm(orders, lines, day)["segment"].value_counts()
             for day in (date(2011, 10, 11), date(2011, 10, 4))}  # fmt: skip
    at_risk = checks["segment_size:at_risk/week"]
    assert (at_risk.level_now, at_risk.level_before) == (
        sizes[date(2011, 10, 11)]["at_risk"], sizes[date(2011, 10, 4)]["at_risk"])  # fmt: skip
    assert at_risk.value == at_risk.level_now - at_risk.level_before  # type: ignore[operator]


def test_real_alerts_reach_slack_once(
    real_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, metrics: ShopMetrics
) -> None:
    state = tmp_path / "state" / "watch.json"  # absolute: nothing is written into the shared workspace
    example = load_config(EXAMPLE_CONFIG)
    watch = sales_only(example.watch).model_copy(update={"state_file": state})
    config = tmp_path / "proactive.yaml"
    config.write_text(yaml.safe_dump(example.model_copy(update={"watch": watch}).model_dump(mode="json")))
    expected = run_checks(metrics, load_config(config).watch, date(2011, 11, 10)).alerts
    assert {c.metric_id for c in expected} == {"revenue/week", "orders/week"}
    fake = FakeSlack().start()
    monkeypatch.setenv("MKA_HOME", str(real_workspace.home))
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("MKA_SLACK_API_URL", fake.url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        cli = CliRunner()
        for _ in range(2):  # the second run finds both alerts in the state file
            result = cli.invoke(app, ["watch", "--once", "--as-of", "2011-11-10", "--config", str(config)])
            assert result.exit_code == 0, result.output
        posts = fake.to("chat.postMessage")
    finally:
        fake.stop()
        get_settings.cache_clear()
    assert "2 alert(s), 0 new." in result.output
    assert [p["channel"] for p in posts] == ["C0123456789"] * 2
    for post, check in zip(posts, expected, strict=True):
        shown = blocks_text(post)
        assert alert_headline(check).replace("&", "&amp;") in shown and "mention me in this thread" in shown
        assert not contains_pii(shown)
    assert state.stat().st_mode & 0o777 == 0o600
