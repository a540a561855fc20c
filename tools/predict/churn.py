"""Tool `predict_churn`: who is likely to stop buying (no completed order in the next 90 days), and why."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator

from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.predict.common import CHURN_WINDOW_DAYS, PredictionError, money, pct
from tools.predict.customer_scores import HIGH_RISK, MEDIUM_RISK
from tools.predict.sources import customer_predictions, filter_customers, stored_metrics
from tools.sales import repeat_buying
from tools.segments.spec import SegmentName

Z80 = 1.2816

METHOD = (
    f"Gradient-boosted classifier of 'no order in the next {CHURN_WINDOW_DAYS} days', trained on earlier "
    "time windows of the order history and calibrated (isotonic); drivers = how much the risk falls when one "
    "trait is set to the typical customer's value."
)


class PredictChurnInput(BaseModel):
    """Churn risk: which customers are likely to stop buying in the next 90 days, and the drivers of their risk."""

    customer_id: str | None = Field(default=None, description="One customer's id, to see their risk and drivers.")
    segment: SegmentName | None = Field(default=None, description="Only this RFM segment, e.g. champions, at_risk.")
    country: str | None = Field(default=None, description="Only customers from this country.")
    min_probability: float = Field(
        default=0.0, description="Only customers with at least this churn probability, 0-1 (70 % = 0.7)."
    )
    as_of: date | None = Field(default=None, description="Analysis date YYYY-MM-DD; default the last order date.")
    limit: int = Field(default=10, ge=1, le=100, description="How many highest-risk customers to list (1-100).")

    @field_validator("min_probability")
    @classmethod
    def _probability(cls, value: float) -> float:
        if 1 < value <= 100:  # "70" means 70 %: a probability cannot exceed 1
            value = value / 100
        if not 0 <= value <= 1:
            raise ValueError(f"min_probability must be between 0 and 1 (or a percentage), got {value}")
        return value


class ChurnCustomer(BaseModel):
    customer_id: str
    churn_probability: float
    risk: str
    drivers: str
    segment: str | None
    country: str | None
    days_since_last_order: int | None
    orders: int | None
    spend: float | None


class PredictChurnResult(BaseModel):
    as_of: date
    window_days: int
    customers: int
    mean_probability: float
    expected_churners: float
    expected_churners_low: float
    expected_churners_high: float
    by_risk: dict[str, int]
    top: list[ChurnCustomer]
    backtest: dict[str, Any]
    filters: dict[str, Any]
    method: str = METHOD
    notes: list[str] = []
    warnings: list[str] = Field(default_factory=list, description="Why the predictions may be weak (shown first).")

    def to_markdown(self) -> str:
        lines = [
            f"**Churn risk** (no order in the {self.window_days} days after {self.as_of}) — "
            f"{self.customers:,} customers",
            *[f"- **Warning:** {w}" for w in self.warnings],
            f"- Mean churn probability: {pct(self.mean_probability)}",
            f"- Expected to stop buying: {self.expected_churners:,.0f} customers "
            f"(80 % range {self.expected_churners_low:,.0f}–{self.expected_churners_high:,.0f})",
            f"- Risk bands: high (≥ {pct(HIGH_RISK)}) {self.by_risk.get('high', 0):,}, "
            f"medium {self.by_risk.get('medium', 0):,}, low (< {pct(MEDIUM_RISK)}) {self.by_risk.get('low', 0):,}",
        ]
        if self.backtest.get("roc_auc") is not None:
            b = self.backtest
            lines.append(
                f"- Checked on a later window ({b['test_cutoff']} + {b['window_days']} days): "
                f"ROC-AUC {b['roc_auc']:.2f} vs {b['baseline_recency_roc_auc']:.2f} for recency alone; "
                f"calibration error {b['calibration_error']:.2f}"
            )
        lines.append("")
        rows: list[list[str | int | float | None]] = [
            [
                c.customer_id,
                pct(c.churn_probability),
                c.risk,
                c.segment,
                c.days_since_last_order,
                c.orders,
                money(c.spend) if c.spend is not None else None,
                c.drivers,
            ]
            for c in self.top
        ]
        table = Table(
            title="Highest churn risk" if len(self.top) > 1 else "Customer",
            columns=["customer", "churn risk", "band", "segment", "days since order", "orders", "spend", "drivers"],
            rows=rows,
        )
        lines.append(table.to_markdown())
        lines += ["", f"_Method: {self.method}_"] + [f"_Note: {n}_" for n in self.notes]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        bands = ["high", "medium", "low"]
        return [
            ChartSpec(
                kind="bar",
                title=f"Customers by churn risk ({self.window_days} days)",
                x=bands,
                series=[Series(name="customers", values=[float(self.by_risk.get(b, 0)) for b in bands])],
                y_label="customers",
            )
        ]


def _int(value: Any) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


def predict_churn(args: PredictChurnInput, ctx: ToolContext) -> PredictChurnResult:
    frame, day, stored = customer_predictions(ctx, args.as_of)
    notes: list[str] = []
    if frame["churn_probability"].isna().all():
        raise PredictionError("as_of", f"too little order history before {day} to train the churn model")
    segment = args.segment.value if args.segment else None
    chosen = filter_customers(frame, args.customer_id, segment, args.country)
    chosen = chosen[chosen["churn_probability"] >= args.min_probability]
    p = chosen["churn_probability"].to_numpy(dtype=float)
    spread = float((p * (1 - p)).sum()) ** 0.5
    ranked = chosen.sort_values(["churn_probability", "customer_id"], ascending=[False, True]).head(args.limit)
    top = [
        ChurnCustomer(
            customer_id=str(r.customer_id),
            churn_probability=round(float(r.churn_probability), 4),
            risk=str(r.churn_risk),
            drivers=str(r.churn_drivers or "no single trait stands out"),
            segment=None if r.segment is None or r.segment != r.segment else str(r.segment),
            country=None if r.country is None or r.country != r.country else str(r.country),
            days_since_last_order=_int(r.recency_days),
            orders=_int(r.frequency),
            spend=None if r.monetary != r.monetary else round(float(r.monetary), 2),
        )
        for r in ranked.itertuples()
    ]
    if args.customer_id and top and top[0].orders == 1:
        notes.append("this customer has one order: the risk rests on recency and the typical one-order customer")
    if chosen.empty:
        notes.append(f"no customer matches these filters with churn probability ≥ {args.min_probability:.2f}")
    backtest = stored_metrics(ctx).get("churn_backtest", {}) if stored else {}
    if not stored:
        notes.append(f"computed for {day} on request (the stored predictions are as of the last order date)")
    return PredictChurnResult(
        as_of=day,
        window_days=CHURN_WINDOW_DAYS,
        customers=len(chosen),
        mean_probability=round(float(p.mean()), 4) if len(p) else 0.0,
        expected_churners=round(float(p.sum()), 1),
        expected_churners_low=round(max(0.0, float(p.sum()) - Z80 * spread), 1),
        expected_churners_high=round(float(p.sum()) + Z80 * spread, 1),
        by_risk={str(k): int(v) for k, v in chosen["churn_risk"].value_counts().items()},
        top=top,
        backtest=backtest,
        filters=args.model_dump(mode="json", exclude_none=True),
        notes=notes,
        warnings=[w for w in [repeat_buying(ctx.warehouse(), day).warning("churn predictions")] if w],
    )
