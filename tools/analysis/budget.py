"""Tool `allocate_budget`: split a campaign budget across customer segments and channels to maximise expected
responses (or expected revenue), from the campaign response model's out-of-fold propensities, predicted CLV where
the contacts are the shop's customers, and each channel's cost per contact.

The optimisation and the baselines are in budget_model.py; the propensities come from tools/predict (the same
scores `campaign_response` shows: the shop's campaign_contacts table, or the UCI Bank Marketing demo).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, model_validator

from tools.analysis.budget_model import Channel, equal_split, optimise, response_pieces, top_decile
from tools.analysis.common import AnalysisError
from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.facts import Fact
from tools.predict.common import table_exists
from tools.predict.response import _scored as scored_contacts  # the one source of campaign propensities

DEFAULT_COST = 5.0  # a phone contact, when the marketer states no cost (said in the result)


class ChannelCost(BaseModel):
    """Another channel, written `name:cost[:response_factor[:max_spend]]`, e.g. `email:0.05:0.2:500`."""

    name: str
    cost_per_contact: float = Field(gt=0)
    response_factor: float = Field(default=1.0, gt=0, le=5)  # response relative to the modelled (phone) channel
    max_spend: float | None = Field(default=None, gt=0)

    @classmethod
    def parse(cls, text: str) -> ChannelCost:
        parts = [p.strip() for p in text.split(":")]
        if not 2 <= len(parts) <= 4 or not parts[0]:
            raise ValueError(f"channels: {text!r} is not name:cost[:response_factor[:max_spend]]")
        try:
            numbers = [float(p) for p in parts[1:]]
        except ValueError as exc:
            raise ValueError(f"channels: {text!r}: cost, response factor and max spend must be numbers") from exc
        fields = dict(zip(("cost_per_contact", "response_factor", "max_spend"), numbers, strict=False))
        return cls(name=parts[0], **fields)


class AllocateBudgetInput(BaseModel):
    """Budget allocation: split a campaign budget across segments and channels for the most expected responses."""

    budget: float = Field(gt=0, description="Total budget to spend (money).")
    segment_by: Literal[
        "job", "age_band", "education", "marital", "contact", "poutcome", "housing", "loan", "campaign", "channel"
    ] = Field(default="job", description="Customer trait that defines the segments.")
    cost_per_contact: float = Field(default=DEFAULT_COST, gt=0, description="Cost of one contact (phone call).")
    channels: list[str] = Field(
        default_factory=list,
        description="Other channels as name:cost[:response_factor[:max_spend]], e.g. email:0.05:0.2 (factor vs phone).",
    )
    objective: Literal["responses", "revenue"] = Field(default="responses", description="What to maximise.")
    value_per_response: float | None = Field(
        default=None, gt=0, description="Revenue of one response (when no predicted CLV is available)."
    )
    min_segment_spend: float = Field(default=0.0, ge=0, description="Spend at least this much on every segment.")
    max_segment_share: float = Field(
        default=1.0, gt=0, le=1, description="At most this share of the budget per segment."
    )

    @model_validator(mode="after")
    def _names(self) -> AllocateBudgetInput:
        names = [c.name.strip().casefold() for c in self.channel_costs()]
        if len(set(names)) != len(names) or "phone" in names:
            raise ValueError("channels: each name once, and not 'phone' (the phone cost is cost_per_contact)")
        return self

    def channel_costs(self) -> list[ChannelCost]:
        return [ChannelCost.parse(c) for c in self.channels]


class SegmentAllocation(BaseModel):
    segment: str
    channel: str
    spend: float
    contacts: int
    expected: float  # responses or revenue
    return_per_unit: float  # expected per unit of spend, on average
    marginal_return: float  # expected per unit of the next spend on this segment


class AllocateBudgetResult(BaseModel):
    budget: float
    objective: str
    segment_by: str
    allocation: list[SegmentAllocation]
    spend: float
    expected: float
    return_per_unit: float
    marginal_return: float
    equal_split_expected: float
    top_decile_expected: float
    top_decile_spend: float
    vs_equal_split: float | None
    vs_top_decile: float | None
    contacts: int
    learned_from: str
    notes: list[str] = []
    method: str

    def to_markdown(self) -> str:
        what = "responses" if self.objective == "responses" else "revenue"
        lines = [
            f"**Budget allocation** — {self.budget:,.2f} across {self.segment_by} segments: expected {what} "
            f"{self.expected:,.1f} ({self.return_per_unit:.4f} per unit spent; next unit returns "
            f"{self.marginal_return:.4f})",
            "",
            Table(
                title="Allocation",
                columns=[
                    self.segment_by,
                    "channel",
                    "spend",
                    "contacts",
                    f"expected {what}",
                    "per unit",
                    "marginal per unit",
                ],
                rows=[
                    [
                        a.segment,
                        a.channel,
                        round(a.spend, 2),
                        a.contacts,
                        round(a.expected, 1),
                        f"{a.return_per_unit:.4f}",
                        f"{a.marginal_return:.4f}",
                    ]
                    for a in self.allocation
                ],
            ).to_markdown(max_rows=60),
            "",
            Table(
                title="Against baselines (same budget)",
                columns=["plan", "spend", f"expected {what}", "per unit of budget", "optimised / plan"],
                rows=[
                    [
                        "optimised",
                        round(self.spend, 2),
                        round(self.expected, 1),
                        f"{self.expected / self.budget:.4f}",
                        "1.00",
                    ],
                    [
                        "equal split across segments",
                        round(self.budget, 2),
                        round(self.equal_split_expected, 1),
                        f"{self.equal_split_expected / self.budget:.4f}",
                        _ratio(self.vs_equal_split),
                    ],
                    [
                        "contact the top decile",
                        round(self.top_decile_spend, 2),
                        round(self.top_decile_expected, 1),
                        f"{self.top_decile_expected / self.budget:.4f}",
                        _ratio(self.vs_top_decile),
                    ],
                ],
            ).to_markdown(),
            "",
            f"_Method: {self.method}_",
        ]
        lines += [f"_Note: {n}_" for n in self.notes]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        by_segment: dict[str, float] = {}
        for a in self.allocation:
            by_segment[a.segment] = by_segment.get(a.segment, 0.0) + a.spend
        return [
            ChartSpec(
                kind="barh",
                title=f"Budget by {self.segment_by}",
                x=list(by_segment),
                series=[Series(name="spend", values=[round(v, 2) for v in by_segment.values()])],
            )
        ]

    def facts(self) -> list[Fact]:
        src = f"allocate_budget: linear programme over {self.learned_from}"
        what = "responses" if self.objective == "responses" else "revenue"
        unit = "count" if self.objective == "responses" else "money"
        out = [
            Fact(
                label=f"expected {what} of the optimised plan",
                value=round(self.expected, 1),
                unit=unit,
                source=src,
                kind="estimate",
                head=f"expected {what} of the optimised plan",
            ),
            Fact(
                label=f"expected {what} per unit of spend (optimised)",
                value=round(self.return_per_unit, 4),
                unit="ratio",
                source=src,
                kind="estimate",
                head=f"expected {what} per unit of spend",
            ),
            Fact(
                label=f"expected {what} of one more unit of budget",
                value=round(self.marginal_return, 4),
                unit="ratio",
                source=src,
                kind="estimate",
                head=f"expected {what} of one more unit of budget",
            ),
            Fact(
                label=f"expected {what} of an equal split",
                value=round(self.equal_split_expected, 1),
                unit=unit,
                source=src,
                kind="estimate",
                head=f"expected {what} of an equal split",
            ),
            Fact(
                label=f"expected {what} of contacting the top decile",
                value=round(self.top_decile_expected, 1),
                unit=unit,
                source=src,
                kind="estimate",
                head=f"expected {what} of contacting the top decile",
            ),
        ]
        for a in sorted(self.allocation, key=lambda a: -a.spend)[:6]:
            key = f"{a.segment} ({a.channel})"
            out.append(
                Fact(
                    label=f"budget for {key}", value=round(a.spend, 2), unit="money", source=src, head="budget", key=key
                )
            )
            out.append(
                Fact(
                    label=f"contacts to reach in {key}", value=a.contacts, source=src, head="contacts to reach", key=key
                )
            )
        return out


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _values(ctx: ToolContext, scores: pd.DataFrame, args: AllocateBudgetInput, notes: list[str]) -> pd.Series:
    """Value of one response per contact: 1 for responses; predicted CLV (6-month expected spend) where the contact
    is a shop customer with one, else the stated value per response."""
    if args.objective == "responses":
        return pd.Series(1.0, index=scores.index)
    value = pd.Series(args.value_per_response if args.value_per_response else np.nan, index=scores.index)
    con = ctx.warehouse()
    if "customer_id" in scores.columns and table_exists(con, "customer_predictions"):
        clv = con.execute("SELECT customer_id, expected_spend FROM customer_predictions").df()
        mapped = scores["customer_id"].astype(str).map(clv.set_index(clv["customer_id"].astype(str))["expected_spend"])
        value = mapped.where(mapped.notna() & (mapped > 0), value)
        notes.append(f"{int(mapped.notna().sum()):,} contacts valued at their predicted 6-month spend (CLV)")
    if value.isna().any():
        raise AnalysisError(
            "value_per_response",
            f"{int(value.isna().sum()):,} contacts have no predicted CLV: give the revenue of one response",
        )
    return value


def allocate(
    scores: pd.DataFrame, values: pd.Series, args: AllocateBudgetInput, learned_from: str, notes: list[str]
) -> AllocateBudgetResult:
    segment_by = args.segment_by
    if segment_by not in scores.columns:
        raise AnalysisError("segment_by", f"the campaign data has no {segment_by!r} (it has: campaign, channel)")
    contacts = pd.DataFrame(
        {"segment": scores[segment_by].astype(str), "probability": scores["probability"], "value": values}
    )
    phone = Channel("phone", args.cost_per_contact)
    channels = (
        phone,
        *(Channel(c.name, c.cost_per_contact, c.response_factor, max_spend=c.max_spend) for c in args.channel_costs()),
    )
    pieces = response_pieces(contacts)
    plan = optimise(pieces, channels, args.budget, args.min_segment_spend, args.max_segment_share)
    allocation = []
    for segment, idx in pieces.groupby("segment").groups.items():
        rows = pieces.loc[idx]
        for j, channel in enumerate(channels):
            reach = plan.reach[np.asarray(idx), j]
            if reach.sum() < 0.5:
                continue
            gain = float((reach * rows["value_rate"].to_numpy()).sum() * channel.response_factor)
            spend = float(reach.sum() * channel.cost)
            left = rows["contacts"].to_numpy() - plan.reach[np.asarray(idx), :].sum(axis=1)
            nxt = rows["value_rate"].to_numpy()[left > 1e-6]
            marginal = float(nxt[0]) * channel.response_factor / channel.cost if len(nxt) else 0.0
            allocation.append(
                SegmentAllocation(
                    segment=str(segment),
                    channel=channel.name,
                    spend=round(spend, 2),
                    contacts=round(float(reach.sum())),
                    expected=gain,
                    return_per_unit=gain / spend,
                    marginal_return=marginal,
                )
            )
    allocation.sort(key=lambda a: -a.spend)
    spend = sum(a.spend for a in allocation)
    expected = sum(a.expected for a in allocation)
    _, equal = equal_split(pieces, phone, args.budget)
    top_spend, top = top_decile(contacts, phone, args.budget)
    if args.cost_per_contact == DEFAULT_COST and "cost_per_contact" not in args.model_fields_set:
        notes.append(f"cost per phone contact assumed {DEFAULT_COST:.2f} (give cost_per_contact to change it)")
    if args.channels:
        notes.append("other channels' response is the phone propensity x their stated response factor (not learned)")
    if top_spend < args.budget - 1e-6:
        notes.append(f"the top decile costs {top_spend:,.2f}: the rest of the budget is left unspent by that rule")
    method = (
        f"{len(pieces)} response pieces ({segment_by} segments x twentieths of their contacts by expected value, "
        "out-of-fold propensities); a linear programme (scipy HiGHS) maximises the expected total under the budget, "
        "once per contact, and the spend limits; marginal return = the budget's dual price."
    )
    return AllocateBudgetResult(
        budget=args.budget,
        objective=args.objective,
        segment_by=segment_by,
        allocation=allocation,
        spend=spend,
        expected=expected,
        return_per_unit=expected / spend if spend else 0.0,
        marginal_return=plan.marginal_return,
        equal_split_expected=equal,
        top_decile_expected=top,
        top_decile_spend=top_spend,
        vs_equal_split=expected / equal if equal else None,
        vs_top_decile=expected / top if top else None,
        contacts=len(contacts),
        learned_from=learned_from,
        notes=notes,
        method=method,
    )


def allocate_budget(args: AllocateBudgetInput, ctx: ToolContext) -> AllocateBudgetResult:
    kind, scores, _ = scored_contacts(ctx)
    notes = [] if kind == "shop" else ["demo data: the UCI Bank Marketing phone campaigns, not this shop's customers"]
    learned_from = "the shop's campaign contacts" if kind == "shop" else "the bank marketing demo contacts"
    values = _values(ctx, scores, args, notes)
    return allocate(scores, values, args, learned_from, notes)
