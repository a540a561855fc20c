"""Predictive analytics: churn risk, customer lifetime value, sales forecast, campaign response.

Tools (see TOOLS): predict_churn, predict_clv, forecast_sales, campaign_response. The ingest build step
(`tools.predict:build_step`, skip with `mka ingest --skip predict`) stores per-customer churn probability and
CLV in the warehouse table `customer_predictions` (one row per customer with a completed order) so that segment
queries can filter on them, scores the bank contacts into `campaign_contact_scores`, and writes backtest figures
to models/predict/metrics.json.
"""

from __future__ import annotations

from typing import Any

from tools.base import Tool
from tools.predict.churn import PredictChurnInput, PredictChurnResult, predict_churn
from tools.predict.clv import PredictClvInput, PredictClvResult, predict_clv
from tools.predict.common import PredictionError
from tools.predict.forecast import ForecastSalesInput, ForecastSalesResult, forecast_sales
from tools.predict.response import CampaignResponseInput, CampaignResponseResult, campaign_response

TOOLS: list[Tool[Any]] = [
    Tool(
        name="predict_churn",
        input_model=PredictChurnInput,
        run=predict_churn,
        description=(
            "Churn risk, a prediction: which active customers are likely to stop buying in the next 90 days, how many, "
            "and why (drivers). Customers already lost are a segment (segment_query)."
        ),
        errors=(PredictionError,),
    ),
    Tool(
        name="predict_clv",
        input_model=PredictClvInput,
        run=predict_clv,
        description=(
            "Customer lifetime value, a prediction: expected purchases and spend over the next months for a customer, "
            "segment or country, with ranges."
        ),
        errors=(PredictionError,),
    ),
    Tool(
        name="forecast_sales",
        input_model=ForecastSalesInput,
        run=forecast_sales,
        description=(
            "Sales forecast: revenue or orders for the coming weeks or months, overall or per product category, "
            "with ranges."
        ),
        errors=(PredictionError,),
    ),
    Tool(
        name="campaign_response",
        input_model=CampaignResponseInput,
        run=campaign_response,
        description=(
            "Phone campaign response: which customer groups are most likely to say yes, and who to call first."
        ),
        errors=(PredictionError,),
    ),
]


def build_step(ctx: Any) -> dict[str, Any]:
    """Ingest build step (scikit-learn and scipy are imported only when it runs)."""
    from tools.predict.build import build_step as run

    return run(ctx)


__all__ = [
    "TOOLS",
    "CampaignResponseInput",
    "CampaignResponseResult",
    "ForecastSalesInput",
    "ForecastSalesResult",
    "PredictChurnInput",
    "PredictChurnResult",
    "PredictClvInput",
    "PredictClvResult",
    "PredictionError",
    "build_step",
    "campaign_response",
    "forecast_sales",
    "predict_churn",
    "predict_clv",
]
