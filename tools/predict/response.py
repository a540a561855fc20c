"""Tool `campaign_response`: who is most likely to say yes to a phone campaign (UCI Bank Marketing demo data).

Only a workspace that may use the demo answers (tools/predict/campaign_source.py); any other shop is told it has
no campaign data."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.predict.campaign_source import require_campaign_data
from tools.predict.common import CONTACTS_TABLE, pct, table_exists, wilson_interval
from tools.predict.response_model import load_bank, score_contacts
from tools.predict.sources import stored_metrics

METHOD = (
    "Gradient-boosted trees on customer traits and past-campaign history of the bank's phone campaigns (call "
    "duration and call date left out: they are only known after the call); every contact is scored by a model "
    "that did not see its outcome (3-fold)."
)


class CampaignResponseInput(BaseModel):
    """Campaign response: which bank customers are most likely to say yes to a phone campaign; who to call first."""

    segment_by: Literal["job", "age_band", "education", "marital", "contact", "poutcome", "housing", "loan"] = Field(
        default="job", description="Customer trait to group segments by."
    )
    top_segments: int = Field(default=5, ge=1, le=20, description="How many best segments to show (1-20).")
    call_list: int = Field(default=10, ge=1, le=100, description="How many contacts to list to call first (1-100).")
    min_segment_size: int = Field(default=100, ge=10, le=10000, description="Smallest segment to rank (contacts).")
    include_subscribed: bool = Field(
        default=False, description="Also list contacts who already said yes in the last campaign."
    )


class ResponseSegment(BaseModel):
    segment: str
    contacts: int
    expected_rate: float
    observed_rate: float
    observed_low: float
    observed_high: float


class CallContact(BaseModel):
    contact_id: int
    probability: float
    age: int
    job: str
    marital: str
    education: str
    balance: float
    previous_outcome: str


class CampaignResponseResult(BaseModel):
    contacts: int
    response_rate: float
    segment_by: str
    segments: list[ResponseSegment]
    call_first: list[CallContact]
    evaluation: dict[str, Any]
    method: str = METHOD
    notes: list[str] = []

    def to_markdown(self) -> str:
        lines = [f"**Campaign response** — {self.contacts:,} past contacts, {pct(self.response_rate)} said yes"]
        e = self.evaluation
        if e.get("model"):
            m, b = e["model"], e["baseline_logistic_raw"]
            lines.append(
                f"- Held-out ROC-AUC {m['roc_auc']:.2f} (logistic regression on the raw columns: {b['roc_auc']:.2f}); "
                f"the top 10 % by score respond {m['top_decile_lift']:.1f}x as often as average"
            )
        lines += [
            "",
            Table(
                title=f"Best segments by {self.segment_by}",
                columns=[self.segment_by, "contacts", "expected response", "observed", "95 % range"],
                rows=[
                    [
                        s.segment,
                        s.contacts,
                        pct(s.expected_rate),
                        pct(s.observed_rate),
                        f"{pct(s.observed_low)}–{pct(s.observed_high)}",
                    ]
                    for s in self.segments
                ],
            ).to_markdown(),
            "",
            Table(
                title="Who to call first",
                columns=[
                    "contact (row)",
                    "chance of yes",
                    "age",
                    "job",
                    "marital",
                    "education",
                    "balance",
                    "last outcome",
                ],
                rows=[
                    [
                        str(c.contact_id),
                        pct(c.probability),
                        c.age,
                        c.job,
                        c.marital,
                        c.education,
                        round(c.balance),
                        c.previous_outcome,
                    ]
                    for c in self.call_first
                ],
            ).to_markdown(),
        ]
        lines += ["", f"_Method: {self.method}_"] + [f"_Note: {n}_" for n in self.notes]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        return [
            ChartSpec(
                kind="barh",
                title=f"Expected response by {self.segment_by}",
                x=[s.segment for s in self.segments],
                series=[
                    Series(name="expected response %", values=[round(100 * s.expected_rate, 1) for s in self.segments])
                ],
            )
        ]


def _scored(ctx: ToolContext) -> tuple[pd.DataFrame, dict[str, Any]]:
    con = ctx.warehouse()
    # Checked before the stored table too: a workspace built before this rule may hold bank scores it must not show.
    path = require_campaign_data(con, ctx.settings.data_dir)
    if table_exists(con, CONTACTS_TABLE):
        return con.execute(f"SELECT * FROM {CONTACTS_TABLE}").df(), stored_metrics(ctx).get("response", {})

    def train() -> tuple[pd.DataFrame, dict[str, Any]]:
        scored = score_contacts(load_bank(path))
        return scored.scores, scored.metrics

    return ctx.resource("predict:response", train)


def campaign_response(args: CampaignResponseInput, ctx: ToolContext) -> CampaignResponseResult:
    scores, metrics = _scored(ctx)
    grouped = scores.groupby(args.segment_by).agg(
        contacts=("responded", "size"), responders=("responded", "sum"), expected=("probability", "mean")
    )
    grouped = grouped[grouped["contacts"] >= args.min_segment_size].sort_values("expected", ascending=False)
    segments = []
    for name, row in grouped.head(args.top_segments).iterrows():
        low, high = wilson_interval(int(row["responders"]), int(row["contacts"]))
        segments.append(
            ResponseSegment(
                segment=str(name),
                contacts=int(row["contacts"]),
                expected_rate=round(float(row["expected"]), 4),
                observed_rate=round(float(row["responders"] / row["contacts"]), 4),
                observed_low=round(low, 4),
                observed_high=round(high, 4),
            )
        )
    notes = []
    if grouped.empty:
        notes.append(f"no {args.segment_by} group has {args.min_segment_size} contacts or more")
    pool = scores if args.include_subscribed else scores[scores["responded"] == 0]
    best = pool.sort_values(["probability", "contact_id"], ascending=[False, True]).head(args.call_list)
    call_first = [
        CallContact(
            contact_id=int(r.contact_id),
            probability=round(float(r.probability), 4),
            age=int(r.age),
            job=str(r.job),
            marital=str(r.marital),
            education=str(r.education),
            balance=float(r.balance),
            previous_outcome=str(r.poutcome),
        )
        for r in best.itertuples()
    ]
    if not args.include_subscribed:
        notes.append("the call list leaves out contacts who already said yes")
    return CampaignResponseResult(
        contacts=len(scores),
        response_rate=round(float(scores["responded"].mean()), 4),
        segment_by=args.segment_by,
        segments=segments,
        call_first=call_first,
        evaluation=metrics,
        notes=["demo data: the UCI Bank Marketing phone campaigns, not this shop's customers", *notes],
    )
