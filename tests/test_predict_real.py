"""Predictions on the real data (UCI Online Retail + Bank Marketing), checked against independent SQL."""

from __future__ import annotations

import pytest

from tools.context import ToolContext
from tools.predict import (
    CampaignResponseInput,
    ForecastSalesInput,
    PredictClvInput,
    campaign_response,
    forecast_sales,
    predict_clv,
)
from tools.predict.sources import stored_metrics

pytestmark = pytest.mark.integration


def test_backtests_beat_their_baselines(real_ctx: ToolContext) -> None:
    metrics = stored_metrics(real_ctx)
    churn = metrics["churn_backtest"]
    assert churn["test_cutoff"] == "2011-09-10" and churn["test_customers"] > 3000
    assert churn["roc_auc"] - 0.5 >= 1.2 * (churn["baseline_recency_roc_auc"] - 0.5)  # the goal
    clv = metrics["clv_backtest"]
    assert clv["model"]["pearson"] > clv["baseline_last_period"]["pearson"]
    assert clv["model"]["mae"] < clv["baseline_last_period"]["mae"]
    response = metrics["response"]
    assert response["model"]["roc_auc"] > response["baseline_logistic_raw"]["roc_auc"]
    assert "duration" in response["left_out_columns"]


def test_clv_inputs_match_the_order_history(real_ctx: ToolContext) -> None:
    con = real_ctx.warehouse()
    expected = con.execute(
        "SELECT customer_id, count(DISTINCT CAST(ordered_at AS DATE)) FROM orders "
        "WHERE status = 'completed' AND customer_id IS NOT NULL GROUP BY 1"
    ).fetchall()
    stored = dict(con.execute("SELECT customer_id, purchase_days FROM customer_predictions").fetchall())
    assert stored == {str(c): n for c, n in expected}
    result = predict_clv(PredictClvInput(group_by="country", limit=1), real_ctx)
    assert result.groups[0].group == "United Kingdom"
    # One year of history shows (almost) no dropout: the tool must say so rather than imply certainty.
    assert result.total.mean_p_alive > 0.99
    assert any("no sign of customers dropping out" in n for n in result.notes)


def test_december_forecast_includes_what_is_booked(real_ctx: ToolContext) -> None:
    booked = (
        real_ctx.warehouse()
        .execute(
            "SELECT sum(quantity * unit_price) FROM orders o JOIN order_lines l USING (order_id) "
            "WHERE o.status = 'completed' AND ordered_at >= DATE '2011-12-01'"  # revenue: completed orders' lines
        )
        .fetchone()
    )
    assert booked is not None
    december = forecast_sales(ForecastSalesInput(granularity="month", horizon=1), real_ctx).periods[0]
    assert december.period == "2011-12"
    assert december.actual_to_date == pytest.approx(booked[0], abs=0.01)
    assert booked[0] < december.low <= december.forecast <= december.high
    christmas = forecast_sales(ForecastSalesInput(category="CHRISTMAS", metric="orders"), real_ctx)
    assert christmas.category == "Christmas"


def test_campaign_response_segments_and_call_list(real_ctx: ToolContext) -> None:
    result = campaign_response(CampaignResponseInput(segment_by="poutcome", top_segments=2, call_list=20), real_ctx)
    assert result.contacts == 45211 and result.segments[0].segment == "success"
    first = result.segments[0]
    assert first.observed_low < first.observed_rate < first.observed_high
    scores = (
        real_ctx.warehouse()
        .execute("SELECT contact_id, responded FROM campaign_contact_scores ORDER BY probability DESC")
        .fetchall()
    )
    said_yes = {c for c, r in scores if r == 1}
    assert not said_yes & {c.contact_id for c in result.call_first}
    assert [c.probability for c in result.call_first] == sorted(
        (c.probability for c in result.call_first), reverse=True
    )
