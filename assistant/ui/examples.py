"""Example prompts for the chat: one or more per tool, and a multi-step campaign request.

Only examples whose tools are registered are shown, so a workspace without (say) the sentiment tool does
not offer a prompt that cannot be answered.
"""

from __future__ import annotations

from pydantic import BaseModel


class Example(BaseModel):
    prompt: str
    tools: list[str]


EXAMPLES: list[Example] = [
    Example(prompt="Give me an overview of our customer base", tools=["customer_overview"]),
    Example(prompt="How many at-risk customers do we have, by country?", tools=["segment_query"]),
    Example(prompt="Export our champions to a CSV for the email tool", tools=["segment_query"]),
    Example(prompt="Why are customers in the champions segment?", tools=["explain_segment"]),
    Example(prompt="What should we recommend to our loyal customers?", tools=["recommend_products"]),
    Example(prompt="Which customers are likely to stop buying in the next 90 days, and why?", tools=["predict_churn"]),
    Example(prompt="What will our champions spend over the next 6 months?", tools=["predict_clv"]),
    Example(prompt="Forecast monthly revenue for the next 3 months", tools=["forecast_sales"]),
    Example(prompt="Orders by weekday and month, as a heat map", tools=["query_metrics"]),
    Example(
        prompt="Which customer groups are most likely to say yes to a phone campaign?", tools=["campaign_response"]
    ),
    Example(prompt="How do customers feel about our dresses? Sentiment by aspect", tools=["analyze_sentiment"]),
    Example(
        prompt="Is this review positive or negative: 'The seam ripped after one wash'", tools=["classify_sentiment"]
    ),
    Example(prompt="Find reviews that say a dress runs small", tools=["search_reviews"]),
    Example(prompt="Find products like a linen summer dress", tools=["search_products"]),
    Example(prompt="Write two email subject lines and bodies for our new summer dresses", tools=["write_copy"]),
    Example(prompt="Analyse our A/B test results in ab_test.csv: did variant B win?", tools=["analyze_experiment"]),
    Example(
        prompt="How many recipients does an A/B test need to detect a 10% lift on a 2% click rate?",
        tools=["plan_experiment"],
    ),
    Example(prompt="Split a 10,000 campaign budget across customer segments", tools=["allocate_budget"]),
    Example(prompt="Show monthly cohort retention of our customers as a heat map", tools=["cohort_retention"]),
    Example(
        prompt="Plan a win-back campaign: find our at-risk customers, recommend products for them and draft an email",
        tools=["segment_query", "recommend_products", "write_copy"],
    ),
]


def examples_for(tools: list[str] | set[str]) -> list[Example]:
    available = set(tools)
    return [e for e in EXAMPLES if set(e.tools) <= available]
