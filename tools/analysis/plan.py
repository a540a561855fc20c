"""Tool `plan_experiment`: how many recipients an A/B test needs (or, given the recipients, what it can detect).

Cohen's arcsine effect size h with the normal approximation (tools/analysis/stats.py); with more than two
variants the level is split Bonferroni-style over the comparisons with the control, so the plan stays valid
under the Holm correction analyze_experiment applies.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field, field_validator

from tools.analysis import stats
from tools.analysis.common import AnalysisError
from tools.base import ChartSpec, Table
from tools.context import ToolContext
from tools.facts import Fact

OTHER_LIFTS = (0.05, 0.10, 0.20, 0.30)


def _fraction(value: float) -> float:
    """3 (a percent) reads as 0.03; 0.03 stays. A rate of 1 or more is otherwise impossible."""
    return value / 100 if value >= 1 else value


class PlanExperimentInput(BaseModel):
    """Sample size and power for an A/B test: recipients needed per variant, or what a given size can detect."""

    baseline_rate: float = Field(gt=0, lt=100, description="Current conversion/open/click rate (0.03 or 3 = 3 %).")
    minimum_lift: float = Field(
        default=0.10,
        gt=0,
        le=500,
        description="Smallest relative lift worth detecting (0.10 or 10 = 10 %; 1 or more reads as percent).",
    )
    confidence: float = Field(default=0.95, ge=0.5, le=0.999, description="Confidence level (0.95 = 95 %).")
    power: float = Field(default=0.8, ge=0.5, le=0.99, description="Chance to detect the lift if it is real (0.8).")
    variants: int = Field(default=2, ge=2, le=10, description="Variants including the control.")
    recipients_per_variant: int | None = Field(
        default=None, ge=10, description="Recipients you have per variant: report power and detectable lift instead."
    )
    daily_recipients: int | None = Field(default=None, ge=1, description="Recipients per day, for the test's length.")

    @field_validator("baseline_rate")
    @classmethod
    def _rate(cls, value: float) -> float:
        return _fraction(value)

    @field_validator("minimum_lift")
    @classmethod
    def _lift(cls, value: float) -> float:
        return _fraction(value)  # 10 = 10 %, 0.1 = 10 %


class PlanExperimentResult(BaseModel):
    baseline_rate: float
    target_rate: float
    minimum_lift: float
    confidence: float
    power: float
    variants: int
    alpha_per_comparison: float
    recipients_per_variant: int
    total_recipients: int
    achieved_power: float | None = None  # when recipients_per_variant was given
    detectable_lift: float | None = None
    days: int | None = None
    other_lifts: list[tuple[str, int]] = []  # (relative lift, recipients per variant)
    method: str

    def to_markdown(self) -> str:
        lines = [
            f"**Experiment plan** — baseline {self.baseline_rate:.2%}, detect a {self.minimum_lift:.0%} relative lift "
            f"(to {self.target_rate:.2%}) with {self.power:.0%} power at {self.confidence:.0%} confidence, "
            f"{self.variants} variants",
            "",
            f"- Recipients needed per variant: **{self.recipients_per_variant:,}** "
            f"({self.total_recipients:,} in total)",
        ]
        if self.achieved_power is not None and self.detectable_lift is not None:
            lines.append(
                f"- With the recipients you have: {self.achieved_power:.0%} power for that lift; the smallest lift "
                f"detectable with {self.power:.0%} power is {self.detectable_lift:.1%}"
            )
        if self.days is not None:
            lines.append(f"- At your daily volume the test needs about {self.days:,} days")
        lines += [
            "",
            Table(
                title="Recipients per variant for other lifts",
                columns=["relative lift", "recipients per variant"],
                rows=[[lift, n] for lift, n in self.other_lifts],
            ).to_markdown(),
            "",
            f"_Method: {self.method}_",
        ]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        return []

    def facts(self) -> list[Fact]:
        src = "plan_experiment: sample size on Cohen's h"
        out = [
            Fact(
                label="recipients needed per variant",
                value=self.recipients_per_variant,
                source=src,
                head="recipients needed per variant",
                kind="estimate",
            ),
            Fact(
                label="recipients needed in total",
                value=self.total_recipients,
                source=src,
                head="recipients needed in total",
                kind="estimate",
            ),
        ]
        if self.achieved_power is not None:
            out.append(
                Fact(
                    label="power with the given recipients",
                    value=self.achieved_power,
                    unit="percent",
                    source=src,
                    head="power with the given recipients",
                    kind="estimate",
                )
            )
        if self.detectable_lift is not None:
            out.append(
                Fact(
                    label="smallest detectable relative lift",
                    value=self.detectable_lift,
                    unit="percent",
                    source=src,
                    head="smallest detectable relative lift",
                    kind="estimate",
                )
            )
        if self.days is not None:
            out.append(
                Fact(
                    label="days the test needs",
                    value=self.days,
                    unit="days",
                    source=src,
                    head="days the test needs",
                    kind="estimate",
                )
            )
        return out


def plan(args: PlanExperimentInput) -> PlanExperimentResult:
    p0 = args.baseline_rate
    p1 = p0 * (1 + args.minimum_lift)
    if p1 >= 1:
        raise AnalysisError("minimum_lift", f"a {args.minimum_lift:.0%} lift on {p0:.2%} is a rate of 100 % or more")
    alpha = (1 - args.confidence) / (args.variants - 1)
    n = math.ceil(stats.sample_size(p0, p1, alpha, args.power))
    others = []
    for lift in OTHER_LIFTS:
        if p0 * (1 + lift) < 1:
            others.append((f"{lift:.0%}", math.ceil(stats.sample_size(p0, p0 * (1 + lift), alpha, args.power))))
    achieved = detectable = None
    if args.recipients_per_variant is not None:
        m = args.recipients_per_variant
        achieved = stats.achieved_power(p0, p1, m, m, alpha)
        detectable = stats.detectable_rate(p0, m, m, alpha, args.power) / p0 - 1
    days = None
    if args.daily_recipients is not None:
        days = math.ceil(n * args.variants / args.daily_recipients)
    method = (
        "Two-sided test of two proportions, normal approximation on Cohen's arcsine scale (h); "
        + (
            f"level split over {args.variants - 1} comparisons with the control (Bonferroni)"
            if args.variants > 2
            else "one comparison"
        )
        + "."
    )
    return PlanExperimentResult(
        baseline_rate=p0,
        target_rate=p1,
        minimum_lift=args.minimum_lift,
        confidence=args.confidence,
        power=args.power,
        variants=args.variants,
        alpha_per_comparison=alpha,
        recipients_per_variant=n,
        total_recipients=n * args.variants,
        achieved_power=achieved,
        detectable_lift=detectable,
        days=days,
        other_lifts=others,
        method=method,
    )


def plan_experiment(args: PlanExperimentInput, ctx: ToolContext) -> PlanExperimentResult:
    return plan(args)
