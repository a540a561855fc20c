"""Tool `predict_clv`: expected purchases and spend over the next months, per customer, segment or country."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.predict.bgnbd import BgNbdParams, GammaGammaParams
from tools.predict.clv_model import ClvModel, fit_clv
from tools.predict.common import DAYS_PER_MONTH, PredictionError, money, pct
from tools.predict.sources import customer_predictions, filter_customers, orders_of, stored_metrics
from tools.segments.spec import SegmentName

MAX_HORIZON_MONTHS = 24
DRAWS = 400
METHOD = (
    "BG/NBD model of repeat purchases (how often each customer buys and the chance they have stopped) times a "
    "Gamma-Gamma model of spend per purchase; ranges are 10th-90th percentiles of simulated futures."
)


class PredictClvInput(BaseModel):
    """Customer lifetime value: expected purchases and spend over the next months, per customer or group."""

    customer_id: str | None = Field(default=None, description="One customer's id.")
    segment: SegmentName | None = Field(default=None, description="Only this RFM segment, e.g. champions, at_risk.")
    country: str | None = Field(default=None, description="Only customers from this country.")
    group_by: Literal["none", "segment", "country", "churn_risk"] = Field(
        default="none", description="Break the value down by RFM segment, country or churn-risk band."
    )
    horizon_months: int = Field(default=6, description="Months ahead, 1-24 (default 6).")
    as_of: date | None = Field(default=None, description="Analysis date YYYY-MM-DD; default the last order date.")
    limit: int = Field(default=10, ge=1, le=100, description="How many most valuable customers to list (1-100).")

    @field_validator("horizon_months")
    @classmethod
    def _horizon(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"horizon_months must be at least 1, got {value}")
        if value > MAX_HORIZON_MONTHS:
            raise ValueError(
                f"horizon_months must be at most {MAX_HORIZON_MONTHS}, got {value}: "
                "repeat-buying models fitted on this history say little about later years"
            )
        return value


class ClvGroup(BaseModel):
    group: str
    customers: int
    expected_purchases: float
    expected_spend: float
    spend_low: float
    spend_high: float
    mean_p_alive: float


class ClvCustomer(BaseModel):
    customer_id: str
    p_alive: float
    expected_purchases: float
    expected_order_value: float
    expected_spend: float
    spend_low: float
    spend_high: float
    purchase_days: int
    segment: str | None


class PredictClvResult(BaseModel):
    as_of: date
    horizon_months: int
    total: ClvGroup
    groups: list[ClvGroup]
    top: list[ClvCustomer]
    backtest: dict[str, Any]
    filters: dict[str, Any]
    method: str = METHOD
    notes: list[str] = []

    def to_markdown(self) -> str:
        t = self.total
        lines = [
            f"**Customer value over the next {self.horizon_months} months** (from {self.as_of}) — "
            f"{t.customers:,} customers",
            f"- Expected spend: {money(t.expected_spend)} (80 % range {money(t.spend_low)}–{money(t.spend_high)})",
            f"- Expected purchases: {t.expected_purchases:,.0f}; mean chance still active: {pct(t.mean_p_alive)}",
        ]
        b = self.backtest
        if b.get("model"):
            lines.append(
                f"- Checked on the {b['holdout_days']} days after {b['cutoff']}: correlation with actual spend "
                f"{b['model']['pearson']:.2f} (vs {b['baseline_last_period']['pearson']:.2f} for "
                "'same as last period'), "
                f"mean absolute error {money(b['model']['mae'])} vs {money(b['baseline_last_period']['mae'])}"
            )
        if len(self.groups) > 1:
            lines += [
                "",
                Table(
                    title="By group",
                    columns=[
                        "group",
                        "customers",
                        "expected purchases",
                        "expected spend",
                        "80 % range",
                        "still active",
                    ],
                    rows=[
                        [
                            g.group,
                            g.customers,
                            round(g.expected_purchases, 1),
                            money(g.expected_spend),
                            f"{money(g.spend_low)}–{money(g.spend_high)}",
                            pct(g.mean_p_alive),
                        ]
                        for g in self.groups
                    ],
                ).to_markdown(),
            ]
        if self.top:
            lines += [
                "",
                Table(
                    title="Most valuable customers" if len(self.top) > 1 else "Customer",
                    columns=[
                        "customer",
                        "segment",
                        "purchase days so far",
                        "still active",
                        "expected purchases",
                        "expected order value",
                        "expected spend",
                        "80 % range",
                    ],
                    rows=[
                        [
                            c.customer_id,
                            c.segment,
                            c.purchase_days,
                            pct(c.p_alive),
                            round(c.expected_purchases, 2),
                            money(c.expected_order_value),
                            money(c.expected_spend),
                            f"{money(c.spend_low)}–{money(c.spend_high)}",
                        ]
                        for c in self.top
                    ],
                ).to_markdown(),
            ]
        lines += ["", f"_Method: {self.method}_"] + [f"_Note: {n}_" for n in self.notes]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        if len(self.groups) < 2:
            return []
        return [
            ChartSpec(
                kind="barh",
                title=f"Expected spend, next {self.horizon_months} months",
                x=[g.group for g in self.groups],
                series=[Series(name="expected spend", values=[g.expected_spend for g in self.groups])],
            )
        ]


def _model(ctx: ToolContext, day: date, stored: bool) -> ClvModel:
    params = stored_metrics(ctx).get("training", {}).get("clv", {}) if stored else {}
    if "bgnbd" in params:
        return ClvModel(
            bg=BgNbdParams(**params["bgnbd"]),
            gg=GammaGammaParams(**params["gamma_gamma"]),
            as_of=day,
            customers=int(params["customers"]),
            repeat_customers=int(params["repeat_customers"]),
        )
    return ctx.resource(f"predict:clv:{day}", lambda: fit_clv(orders_of(ctx), day)[0])


def _summary(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": frame["purchase_days"].to_numpy(dtype=float) - 1,
            "t_x": frame["weeks_first_to_last"].to_numpy(dtype=float),
            "T": frame["weeks_since_first"].to_numpy(dtype=float),
            "n": frame["purchase_days"].to_numpy(dtype=float),
            "m": frame["mean_purchase_value"].to_numpy(dtype=float),
        },
        index=frame.index,
    )


def _group(name: str, part: pd.DataFrame, spend_draws: np.ndarray) -> ClvGroup:
    totals = spend_draws.sum(axis=1)
    return ClvGroup(
        group=name,
        customers=len(part),
        expected_purchases=round(float(part["expected_purchases"].sum()), 2),
        expected_spend=round(float(part["expected_spend"].sum()), 2),
        spend_low=round(float(np.quantile(totals, 0.1)), 2),
        spend_high=round(float(np.quantile(totals, 0.9)), 2),
        mean_p_alive=round(float(part["p_alive"].mean()), 4),
    )


def predict_clv(args: PredictClvInput, ctx: ToolContext) -> PredictClvResult:
    frame, day, stored = customer_predictions(ctx, args.as_of)
    if frame["purchase_days"].isna().all():
        raise PredictionError("as_of", f"too little repeat buying before {day} to fit the lifetime-value model")
    segment = args.segment.value if args.segment else None
    chosen = filter_customers(frame, args.customer_id, segment, args.country).reset_index(drop=True)
    notes: list[str] = []
    if chosen.empty:
        raise PredictionError("country", "no customer matches these filters")
    model = _model(ctx, day, stored)
    summary = _summary(chosen)
    horizon_days = args.horizon_months * DAYS_PER_MONTH
    predicted = model.predict(summary, horizon_days)
    chosen = chosen.assign(**{c: predicted[c].to_numpy() for c in predicted.columns})
    _, spend = model.simulate(summary, horizon_days, draws=DRAWS)
    groups: list[ClvGroup] = []
    if args.group_by != "none":
        keys = chosen[args.group_by].fillna("unknown").astype(str)
        for key in sorted(keys.unique(), key=lambda k: -float(chosen.loc[keys == k, "expected_spend"].sum())):
            mask = (keys == key).to_numpy()
            groups.append(_group(key, chosen[mask], spend[:, mask]))
    order = np.argsort(-chosen["expected_spend"].to_numpy())[: args.limit]
    top = [
        ClvCustomer(
            customer_id=str(chosen.at[i, "customer_id"]),
            p_alive=round(float(chosen.at[i, "p_alive"]), 4),
            expected_purchases=round(float(chosen.at[i, "expected_purchases"]), 3),
            expected_order_value=round(float(chosen.at[i, "expected_order_value"]), 2),
            expected_spend=round(float(chosen.at[i, "expected_spend"]), 2),
            spend_low=round(float(np.quantile(spend[:, i], 0.1)), 2),
            spend_high=round(float(np.quantile(spend[:, i], 0.9)), 2),
            purchase_days=int(chosen.at[i, "purchase_days"]),
            segment=None if pd.isna(chosen.at[i, "segment"]) else str(chosen.at[i, "segment"]),
        )
        for i in order
    ]
    if args.customer_id and top and top[0].purchase_days == 1:
        notes.append("this customer has bought on one day only: the estimate leans on the typical customer")
    if model.bg.a / (model.bg.a + model.bg.b) < 0.001:  # under 1 in 1,000 purchases is followed by dropout
        notes.append(
            "the repeat-buying model sees no sign of customers dropping out in this history, so 'still active' is "
            "near 100 %; use predict_churn for the risk of stopping"
        )
    if not stored:
        notes.append(f"computed for {day} on request (the stored predictions are as of the last order date)")
    return PredictClvResult(
        as_of=day,
        horizon_months=args.horizon_months,
        total=_group("all", chosen, spend),
        groups=groups,
        top=top,
        backtest=stored_metrics(ctx).get("clv_backtest", {}) if stored else {},
        filters=args.model_dump(mode="json", exclude_none=True),
        notes=notes,
    )
