"""Prediction tools on the synthetic demo shop: stored table, filters, ranges, bad input, CLI and tool schema."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from assistant.core.workspace import Workspace
from tools.context import ToolContext
from tools.predict import (
    TOOLS,
    CampaignResponseInput,
    ForecastSalesInput,
    PredictChurnInput,
    PredictClvInput,
    PredictionError,
    campaign_response,
    forecast_sales,
    predict_churn,
    predict_clv,
)
from tools.predict.common import PREDICTIONS_TABLE


def test_stored_predictions_cover_every_customer(demo_ctx: ToolContext) -> None:
    con = demo_ctx.warehouse()
    customers = con.execute(
        "SELECT count(DISTINCT customer_id) FROM orders WHERE status = 'completed' AND customer_id IS NOT NULL"
    ).fetchone()
    row = con.execute(
        f"SELECT count(*), min(churn_probability), max(churn_probability), sum(expected_spend), "
        f"count(*) FILTER (WHERE churn_risk = 'high' AND churn_probability < 0.7) FROM {PREDICTIONS_TABLE}"
    ).fetchone()
    assert customers is not None and row is not None
    assert row[0] == customers[0]
    assert 0 < row[1] <= row[2] < 1 and row[3] > 0 and row[4] == 0
    # Segment tools can join on customer_id: every predicted customer has an RFM row.
    missing = con.execute(
        f"SELECT count(*) FROM {PREDICTIONS_TABLE} p LEFT JOIN customer_rfm r USING (customer_id) "
        "WHERE r.segment IS NULL"
    ).fetchone()
    assert missing == (0,)


def test_churn_filters_and_ranges(demo_ctx: ToolContext) -> None:
    everyone = predict_churn(PredictChurnInput(limit=5), demo_ctx)
    risky = predict_churn(PredictChurnInput(min_probability=70, limit=100), demo_ctx)  # "70" read as 70 %
    assert risky.filters["min_probability"] == 0.7
    assert risky.top and all(c.churn_probability >= 0.7 for c in risky.top)  # not vacuous: some are listed
    assert risky.customers == everyone.by_risk["high"]
    assert everyone.expected_churners_low < everyone.expected_churners < everyone.expected_churners_high
    assert [c.churn_probability for c in everyone.top] == sorted(
        (c.churn_probability for c in everyone.top), reverse=True
    )
    assert everyone.backtest["roc_auc"] > everyone.backtest["baseline_recency_roc_auc"]
    text = everyone.to_markdown()
    assert everyone.top[0].customer_id in text and "ROC-AUC" in text
    assert everyone.charts()[0].series[0].values == [
        float(everyone.by_risk.get(b, 0)) for b in ("high", "medium", "low")
    ]


def test_churn_for_one_customer_with_one_order(demo_ctx: ToolContext) -> None:
    one = (
        demo_ctx.warehouse()
        .execute("SELECT customer_id FROM customer_rfm WHERE frequency = 1 ORDER BY customer_id LIMIT 1")
        .fetchone()
    )
    assert one is not None
    result = predict_churn(PredictChurnInput(customer_id=one[0].lower()), demo_ctx)
    assert result.customers == 1 and result.top[0].customer_id == one[0] and result.top[0].orders == 1
    assert any("one order" in n for n in result.notes)


def test_churn_bad_input_names_the_field(demo_ctx: ToolContext) -> None:
    with pytest.raises(PredictionError, match="customer_id: 'NOPE'"):
        predict_churn(PredictChurnInput(customer_id="NOPE"), demo_ctx)
    with pytest.raises(PredictionError, match="as_of: 2031-01-01 is after the data's last order"):
        predict_churn(PredictChurnInput(as_of=date(2031, 1, 1)), demo_ctx)
    with pytest.raises(PredictionError, match=r"as_of: 2024-02-01 leaves"):
        predict_churn(PredictChurnInput(as_of=date(2024, 2, 1)), demo_ctx)
    with pytest.raises(ValidationError, match="min_probability"):
        PredictChurnInput(min_probability=150)
    with pytest.raises(PredictionError, match="country: no customer from 'Atlantis'"):
        predict_churn(PredictChurnInput(country="Atlantis"), demo_ctx)


def test_churn_on_an_earlier_date_is_computed_live(demo_ctx: ToolContext) -> None:
    last = demo_ctx.warehouse().execute("SELECT max(ordered_at) FROM orders").fetchone()[0].date()  # type: ignore[index]
    earlier = predict_churn(PredictChurnInput(as_of=last - timedelta(days=30)), demo_ctx)
    assert earlier.as_of == last - timedelta(days=30)
    assert any("on request" in n for n in earlier.notes) and earlier.backtest == {}


def test_clv_groups_add_up_and_grow_with_horizon(demo_ctx: ToolContext) -> None:
    six = predict_clv(PredictClvInput(group_by="segment", limit=3), demo_ctx)
    twelve = predict_clv(PredictClvInput(horizon_months=12), demo_ctx)
    assert sum(g.customers for g in six.groups) == six.total.customers
    assert sum(g.expected_spend for g in six.groups) == pytest.approx(six.total.expected_spend, rel=1e-6)
    assert twelve.total.expected_spend > six.total.expected_spend
    assert six.total.spend_low < six.total.expected_spend < six.total.spend_high
    stored = demo_ctx.warehouse().execute(f"SELECT sum(expected_spend) FROM {PREDICTIONS_TABLE}").fetchone()
    assert stored is not None and six.total.expected_spend == pytest.approx(stored[0], rel=1e-6)
    assert six.charts() and "champions" in six.to_markdown()


def test_clv_bad_horizon_is_explained() -> None:
    with pytest.raises(ValidationError, match="horizon_months must be at least 1"):
        PredictClvInput(horizon_months=0)
    with pytest.raises(ValidationError, match="horizon_months must be at most 24"):
        PredictClvInput(horizon_months=120)


def test_forecast_months_and_weeks(demo_ctx: ToolContext) -> None:
    months = forecast_sales(ForecastSalesInput(granularity="month", horizon=2), demo_ctx)
    assert [p.period for p in months.periods] == ["2024-12", "2025-01"]
    assert months.periods[0].actual_to_date > 0  # December is partly booked already
    assert all(p.low <= p.forecast <= p.high for p in months.periods)
    weeks = forecast_sales(ForecastSalesInput(granularity="week", horizon=3, metric="orders"), demo_ctx)
    assert len(weeks.periods) == 3 and weeks.periods[1].start == weeks.periods[0].end + timedelta(days=1)
    assert weeks.backtest["holdout_weeks"] == 8 and "MAPE" in weeks.to_markdown()
    assert len(weeks.charts()[0].x) == len(weeks.history) + 3


def test_forecast_bad_input(demo_ctx: ToolContext) -> None:
    with pytest.raises(ValidationError, match="horizon must be at least 1 month"):
        ForecastSalesInput(horizon=0)
    with pytest.raises(ValidationError, match="horizon must be at most 6 months"):
        ForecastSalesInput(horizon=120)  # ten years
    with pytest.raises(PredictionError, match="horizon: 30 weeks is more than half"):
        forecast_sales(ForecastSalesInput(granularity="week", horizon=26).model_copy(update={"horizon": 30}), demo_ctx)
    with pytest.raises(PredictionError, match="category: no sales in category 'Spaceships'"):
        forecast_sales(ForecastSalesInput(category="Spaceships"), demo_ctx)


def test_response_without_bank_data_says_so(demo_ctx: ToolContext) -> None:
    with pytest.raises(PredictionError, match="data: this shop has no campaign data"):
        campaign_response(CampaignResponseInput(), demo_ctx)


def test_tool_schemas_are_small_and_described() -> None:
    names = [t.name for t in TOOLS]
    assert names == ["predict_churn", "predict_clv", "forecast_sales", "campaign_response"]
    for tool in TOOLS:
        model = tool.input_model
        assert issubclass(tool.input_model, BaseModel) and callable(tool.run) and tool.description
        assert model.__doc__ and "\n" not in model.__doc__.strip()
        schema = model.model_json_schema()
        for field, spec in schema["properties"].items():
            assert spec.get("description"), f"{model.__name__}.{field} has no description"


def test_cli_predict_json_and_errors(demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import app
    from assistant.core.settings import get_settings

    monkeypatch.setenv("MKA_HOME", str(demo_workspace.home))
    monkeypatch.setenv("MKA_LLM", "scripted")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        ok = runner.invoke(app, ["predict", "churn", "--limit", "2", "--json"])
        assert ok.exit_code == 0, ok.output
        data = json.loads(ok.stdout)
        assert len(data["top"]) == 2 and data["window_days"] == 90
        bad = runner.invoke(app, ["predict", "forecast", "--horizon", "0"])
        assert bad.exit_code == 1 and "horizon must be at least 1" in bad.output
        late = runner.invoke(app, ["predict", "clv", "--as-of", "2031-01-01"])
        assert late.exit_code == 1 and "as_of: 2031-01-01 is after" in late.output
    finally:
        get_settings.cache_clear()
