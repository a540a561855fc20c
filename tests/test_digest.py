"""`mka digest` on a small shop written straight into a warehouse (tests/helpers/proactive.py): KPIs and segment
sizes recomputed independently in pandas, review themes from dated reviews, escaping in HTML and in Slack, and
the post through a fake Slack API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.privacy import contains_pii
from assistant.core.settings import get_settings
from assistant.proactive.digest import build_digest, periods
from assistant.proactive.metrics import ShopMetrics
from assistant.proactive.report import Heading, Paragraph, TableBlock, to_html, to_markdown
from bench.segments import pandas_rfm
from tests.helpers.proactive import (
    CUSTOMERS,
    LAST_DAY,
    pandas_kpis,
    planted_frames,
    planted_reviews,
    planted_workspace,
)
from tests.helpers.slack import BOT_TOKEN, FakeSlack, blocks_text

pytestmark = pytest.mark.usefixtures("no_outside_network")

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("MKA_HOME", str(home))
    monkeypatch.setenv("MKA_LLM", "scripted")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("kind", "as_of"),
    [
        ("week", LAST_DAY),
        ("day", LAST_DAY - timedelta(days=2)),
        ("month", date(2024, 3, 5)),
        ("week", date(2024, 1, 9)),
    ],
)
def test_kpis_and_segments_equal_an_independent_pandas_computation(home: Path, kind: str, as_of: date) -> None:
    workspace = planted_workspace(home)
    frames = planted_frames()
    digest = build_digest(ShopMetrics(workspace.connect()), kind, as_of)  # type: ignore[arg-type]
    period, previous = periods(kind, as_of)  # type: ignore[arg-type]
    assert (digest.period, digest.previous) == (period, previous)
    for kpis, p in ((digest.now, period), (digest.before, previous)):
        expected = pandas_kpis(frames, p.start, p.end)
        got = {"revenue": kpis.revenue, "orders": kpis.orders, "cancellations": kpis.cancellations,
               "customers": kpis.customers, "new_customers": kpis.new_customers, "aov": kpis.aov or 0.0}  # fmt: skip
        assert got == pytest.approx(expected), p
    orders = frames["orders"].assign(ordered_at=lambda f: pd.to_datetime(f["ordered_at"]))
    for day, column in ((period.end, "now"), (previous.end, "before")):
        sizes = pandas_rfm(orders, frames["order_lines"], day)["segment"].value_counts().to_dict()
        assert {s.segment: getattr(s, column) for s in digest.segments if getattr(s, column)} == sizes
    if kind == "week" and as_of == date(2024, 1, 9):
        assert "The previous period starts before the data's first day (2024-01-01)" in digest.to_markdown()
        assert not digest.forecasts and "needs 8 weeks of sales before the period" in digest.to_markdown()


def test_the_periods_compared() -> None:
    day, before = periods("day", date(2011, 12, 9))
    assert (day.start, day.end, before.start, before.end) == (date(2011, 12, 9),) * 2 + (date(2011, 12, 2),) * 2
    week, before = periods("week", date(2011, 12, 9))
    assert (week.start, before.start, before.end) == (date(2011, 12, 3), date(2011, 11, 26), date(2011, 12, 2))
    month, before = periods("month", date(2011, 3, 31))
    assert (month.start, before.start, before.end) == (date(2011, 3, 1), date(2011, 2, 1), date(2011, 2, 28))
    month, before = periods("month", date(2011, 12, 9))
    assert (month.start, before.start, before.end) == (date(2011, 12, 1), date(2011, 11, 1), date(2011, 11, 9))


def test_new_negative_themes_come_from_dated_reviews_and_forecast_meets_actual(home: Path) -> None:
    workspace = planted_workspace(home, reviews=planted_reviews(HOSTILE))
    digest = build_digest(ShopMetrics(workspace.connect()), "week", LAST_DAY)
    r = digest.reviews
    assert (r.reviews, r.dated, r.in_period, r.negative_now, r.in_previous, r.negative_before) == (
        300, 300, 30, 15, 30, 3)  # fmt: skip
    assert [(t.theme, t.now, t.before) for t in r.themes] == [("fit", 10, 3), (HOSTILE, 5, 0)]
    markdown = digest.to_markdown()
    assert "New negative themes (none in the previous period): \\<script\\>alert(1)\\</script\\>." in markdown
    assert "Negative themes mentioned more often: fit." in markdown
    assert "30 new reviews, 15 negative (50.0 %); previous period: 30, 3 negative (10.0 %)." in markdown
    # The forecast was made before the surge week, so the doubled week is above its range.
    (revenue, orders) = digest.forecasts
    assert revenue.trained_to == LAST_DAY - timedelta(days=7) and revenue.actual == digest.now.revenue
    assert orders.actual == digest.now.orders and revenue.verdict == orders.verdict == "above the range"
    html = digest.to_html()
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()


def test_undated_reviews_are_said_to_be_undated(home: Path) -> None:
    reviews = planted_reviews().assign(created_at=pd.NaT)
    workspace = planted_workspace(home, reviews=reviews)
    markdown = build_digest(ShopMetrics(workspace.connect()), "week").to_markdown()
    assert "The 300 reviews in this workspace carry no dates, so this digest cannot tell new complaints" in markdown
    assert "theme" not in markdown


def test_reports_escape_every_text_in_markdown_and_html() -> None:
    blocks = [Heading(text=f"a {HOSTILE}"), Paragraph(text="*bold* _x_ [l](http://e.x) | #"),
              TableBlock(columns=["a|b", "n"], rows=[[HOSTILE, "1"]])]  # fmt: skip
    html = to_html(blocks, title=HOSTILE)
    assert "<script" not in html and html.count("&lt;script&gt;") == 3
    markdown = to_markdown(blocks)
    assert "\\*bold\\* \\_x\\_ \\[l\\](http://e.x) \\| \\#" in markdown and "| a\\|b | n |" in markdown
    assert "<script>" not in markdown


def test_digest_command_writes_html_and_posts_to_slack_without_pii(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted_workspace(home, reviews=planted_reviews(HOSTILE))
    cli = CliRunner()
    out = tmp_path / "digest.html"
    result = cli.invoke(app, ["digest", "--format", "html", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and "<script" not in out.read_text()

    fake = FakeSlack().start()
    try:
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("MKA_SLACK_API_URL", fake.url)
        result = cli.invoke(app, ["digest", "--post-to-slack", "C-DIGEST", "--as-of", str(LAST_DAY)])
        assert result.exit_code == 0, result.output
        posts = fake.to("chat.postMessage")
    finally:
        fake.stop()
    assert len(posts) == 1 and posts[0]["channel"] == "C-DIGEST" and posts[0]["parse"] == "none"
    shown = blocks_text(posts[0])
    assert f"Weekly digest: {LAST_DAY - timedelta(days=6)} to {LAST_DAY}" in shown
    assert re.search(r"```\n.*\nRevenue +2,700\.00 +1,350\.00 +\+100\.0 %\n", shown, re.S)  # a code-block table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script" not in shown  # Slack's own escaping
    assert "mka digest · data up to 2024-03-09" in shown
    assert not any(customer in shown for customer in CUSTOMERS) and not contains_pii(shown)


def test_dates_outside_the_data_are_refused(home: Path) -> None:
    planted_workspace(home)
    result = CliRunner().invoke(app, ["digest", "--as-of", "2030-01-01"])
    assert result.exit_code == 1 and "after the data's last day (2024-03-09)" in result.output
    result = CliRunner().invoke(app, ["digest", "--as-of", "March"])
    assert result.exit_code == 1 and "--as-of: 'March' is not a date (YYYY-MM-DD)" in result.output
