"""Tool `campaign_response`: who is most likely to respond to a campaign.

Learned from the shop's own `campaign_contacts` table when its mapping declares one; otherwise only a workspace
that may use the UCI Bank Marketing demo answers (tools/predict/campaign_source.py), and any other shop is told
it has no campaign data."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.predict.campaign_source import require_campaign_data
from tools.predict.common import CONTACTS_TABLE, pct, table_exists, wilson_interval
from tools.predict.response_model import load_bank, score_contacts
from tools.predict.shop_campaigns import SOURCE_LABEL, score_shop_contacts
from tools.predict.sources import stored_metrics

SHOP_METHOD = (
    "Gradient-boosted trees on the shop's own campaign contacts: its contact columns, campaign and channel, and "
    "each customer's recency/frequency/spend from orders before the contact; every contact is scored by a model "
    "that did not see its outcome (3-fold)."
)
BANK_METHOD = (
    "Gradient-boosted trees on customer traits and past-campaign history of the bank's phone campaigns (call "
    "duration and call date left out: they are only known after the call); every contact is scored by a model "
    "that did not see its outcome (3-fold)."
)


class CampaignResponseInput(BaseModel):
    """Campaign response: which customers are most likely to respond to a campaign; who to contact first."""

    segment_by: Literal[
        "job", "age_band", "education", "marital", "contact", "poutcome", "housing", "loan", "campaign", "channel"
    ] = Field(default="job", description="Customer trait to group segments by (campaign/channel: shop data).")
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
    contact_id: int | str  # the bank file's row number; the shop's own contact id
    probability: float
    age: int | None = None
    job: str | None = None
    marital: str | None = None
    education: str | None = None
    balance: float | None = None
    previous_outcome: str | None = None
    customer_id: str | None = None  # shop data
    campaign: str | None = None  # shop data


class CampaignResponseResult(BaseModel):
    contacts: int
    response_rate: float
    segment_by: str
    segments: list[ResponseSegment]
    call_first: list[CallContact]
    evaluation: dict[str, Any]
    source: Literal["shop", "bank_demo"] = "bank_demo"
    learned_from: str = "the UCI Bank Marketing demo file"
    method: str = BANK_METHOD
    notes: list[str] = []

    def to_markdown(self) -> str:
        lines = [
            f"**Campaign response** — {self.contacts:,} past contacts, {pct(self.response_rate)} said yes "
            f"(learned from {self.learned_from})"
        ]
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
            self._call_table(),
        ]
        lines += ["", f"_Method: {self.method}_"] + [f"_Note: {n}_" for n in self.notes]
        return "\n".join(lines)

    def _call_table(self) -> str:
        if self.source == "shop":
            return Table(
                title="Who to contact first",
                columns=["contact", "customer", "campaign", "chance of a response"],
                rows=[[str(c.contact_id), c.customer_id or "", c.campaign or "", pct(c.probability)]
                      for c in self.call_first],
            ).to_markdown()  # fmt: skip
        return Table(
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
                    round(c.balance or 0),
                    c.previous_outcome,
                ]
                for c in self.call_first
            ],
        ).to_markdown()

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


def _scored(ctx: ToolContext) -> tuple[Literal["shop", "bank_demo"], pd.DataFrame, dict[str, Any]]:
    con = ctx.warehouse()
    # Checked before the stored table too: a workspace built before this rule may hold bank scores it must not show.
    source = require_campaign_data(con, ctx.settings.data_dir)
    kind: Literal["shop", "bank_demo"] = "shop" if source.kind == "shop" else "bank_demo"
    stored = stored_metrics(ctx).get("response", {})
    # Stored scores are used only when they were learned from this kind of source.
    if table_exists(con, CONTACTS_TABLE) and (stored.get("source") == SOURCE_LABEL) == (kind == "shop"):
        return kind, con.execute(f"SELECT * FROM {CONTACTS_TABLE}").df(), stored

    def train() -> tuple[pd.DataFrame, dict[str, Any]]:
        if kind == "shop":
            scored = score_shop_contacts(con)  # says when there is too little campaign data
        else:
            assert source.path is not None
            scored = score_contacts(load_bank(source.path))
        return scored.scores, scored.metrics

    return (kind, *ctx.resource(f"predict:response:{kind}", train))


def _call_contact(r: Any, kind: str) -> CallContact:
    if kind == "shop":
        return CallContact(
            contact_id=str(r.contact_id),
            probability=round(float(r.probability), 4),
            customer_id=None if pd.isna(r.customer_id) else str(r.customer_id),
            campaign=str(r.campaign),
        )
    return CallContact(
        contact_id=int(r.contact_id),
        probability=round(float(r.probability), 4),
        age=int(r.age),
        job=str(r.job),
        marital=str(r.marital),
        education=str(r.education),
        balance=float(r.balance),
        previous_outcome=str(r.poutcome),
    )


def campaign_response(args: CampaignResponseInput, ctx: ToolContext) -> CampaignResponseResult:
    kind, scores, metrics = _scored(ctx)
    notes = []
    segment_by = args.segment_by
    if segment_by not in scores.columns:  # a trait this shop's contacts do not have
        notes.append(f"the campaign data has no {segment_by!r}: segments are by campaign")
        segment_by = "campaign"
    grouped = scores.groupby(segment_by).agg(
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
    if grouped.empty:
        notes.append(f"no {segment_by} group has {args.min_segment_size} contacts or more")
    pool = scores if args.include_subscribed else scores[scores["responded"] == 0]
    best = pool.sort_values(["probability", "contact_id"], ascending=[False, True]).head(args.call_list)
    call_first = [_call_contact(r, kind) for r in best.itertuples()]
    if not args.include_subscribed:
        notes.append("the call list leaves out contacts who already said yes")
    common = {
        "contacts": len(scores),
        "response_rate": round(float(scores["responded"].mean()), 4),
        "segment_by": segment_by,
        "segments": segments,
        "call_first": call_first,
        "evaluation": metrics,
    }
    if kind == "shop":
        return CampaignResponseResult(
            **common, source="shop", learned_from=SOURCE_LABEL, method=SHOP_METHOD, notes=notes
        )
    return CampaignResponseResult(
        **common, notes=["demo data: the UCI Bank Marketing phone campaigns, not this shop's customers", *notes]
    )
