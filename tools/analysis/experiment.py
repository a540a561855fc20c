"""Tool `analyze_experiment`: an A/B (or A/B/n) test's results — per-variant rates, lift against the control with
confidence intervals, p-values corrected for several variants, revenue per recipient, and whether the test was
stopped before it could see the effect it was meant to find.

The formulas are in tools/analysis/stats.py; reading and validating the input in experiment_data.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from assistant.core.settings import Settings
from tools.analysis import stats
from tools.analysis.common import AnalysisError
from tools.analysis.experiment_data import ExperimentData, load_experiment
from tools.base import ChartSpec, Series, Table
from tools.context import ToolContext
from tools.facts import Fact

CONTROL_NAMES = ("control", "a", "baseline", "original", "champion")
TARGET_POWER = 0.8
SUFFIXES = (".csv", ".tsv", ".txt")
SINGULAR = {"conversions": "conversion", "clicks": "click", "opens": "open"}


class AnalyzeExperimentInput(BaseModel):
    """Analyse an A/B test or campaign result: lift, confidence intervals, p-values, early-stop warning."""

    path: str | None = Field(default=None, description="CSV file with the results (one row per variant or recipient).")
    table: str | None = Field(default=None, description="Warehouse table with the results, instead of a file.")
    metric: Literal["conversions", "clicks", "opens"] = Field(
        default="conversions", description="Outcome to compare: conversions, clicks or opens."
    )
    control: str | None = Field(default=None, description="The control variant (default: 'control'/'A', else first).")
    confidence: float = Field(default=0.95, ge=0.5, le=0.999, description="Confidence level (0.95 = 95 %).")
    planned_recipients: int | None = Field(
        default=None, ge=1, description="Recipients per variant the test was planned for (early-stop check)."
    )
    minimum_lift: float = Field(
        default=0.10,
        gt=0,
        le=5,
        description="Smallest relative lift worth detecting (0.10 = 10 %), for the power check.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> AnalyzeExperimentInput:
        if self.path and self.table:
            raise ValueError("give either path (a CSV file) or table (a warehouse table), not both")
        return self


class VariantStats(BaseModel):
    variant: str
    recipients: int
    successes: int
    rate: float
    revenue: float | None = None
    revenue_per_recipient: float | None = None


class Comparison(BaseModel):
    variant: str
    absolute_lift: float
    absolute_low: float
    absolute_high: float
    relative_lift: float | None
    relative_low: float | None
    relative_high: float | None
    test: Literal["z", "fisher"]
    p_value: float
    p_adjusted: float  # Holm over all variant-vs-control comparisons
    significant: bool
    power: float  # to detect minimum_lift at the control's rate, with these recipients


class RevenueComparison(BaseModel):
    variant: str
    difference: float  # revenue per recipient, variant - control
    welch_low: float
    welch_high: float
    p_value: float
    p_adjusted: float
    bootstrap_low: float
    bootstrap_high: float


class ExperimentResult(BaseModel):
    source: str
    metric: str
    control: str
    confidence: float
    per_recipient: bool
    variants: list[VariantStats]
    comparisons: list[Comparison]
    revenue: list[RevenueComparison] = []
    warnings: list[str] = []
    notes: list[str] = []
    method: str

    def to_markdown(self) -> str:
        level = f"{self.confidence:.0%}"
        lines = [f"**Experiment** — {self.metric} in {self.source}, control {self.control!r}", ""]
        lines += [f"⚠️ {w}" for w in self.warnings]
        has_revenue = any(v.revenue_per_recipient is not None for v in self.variants)
        lines += [
            "",
            Table(
                title="Variants",
                columns=[
                    "variant",
                    "recipients",
                    self.metric,
                    "rate",
                    *(["revenue / recipient"] if has_revenue else []),
                ],
                rows=[
                    [v.variant, v.recipients, v.successes, _pct(v.rate, 2)]
                    + ([_num(v.revenue_per_recipient)] if has_revenue else [])
                    for v in self.variants
                ],
            ).to_markdown(),
            "",
            Table(
                title=f"Lift vs {self.control} ({level} intervals)",
                columns=[
                    "variant",
                    "lift (points)",
                    "range",
                    "relative lift",
                    "range",
                    "test",
                    "p",
                    "p (Holm)",
                    "significant",
                    "power",
                ],
                rows=[
                    [
                        c.variant,
                        _pts(c.absolute_lift),
                        f"{_pts(c.absolute_low)} to {_pts(c.absolute_high)}",
                        _pct(c.relative_lift, 1),
                        f"{_pct(c.relative_low, 1)} to {_pct(c.relative_high, 1)}",
                        "Fisher exact" if c.test == "fisher" else "z",
                        _p(c.p_value),
                        _p(c.p_adjusted),
                        "yes" if c.significant else "no",
                        _pct(c.power, 0),
                    ]
                    for c in self.comparisons
                ],
            ).to_markdown(),
        ]
        if self.revenue:
            lines += [
                "",
                Table(
                    title=f"Revenue per recipient vs {self.control} ({level} intervals)",
                    columns=["variant", "difference", "Welch range", "bootstrap range", "p (Welch)", "p (Holm)"],
                    rows=[
                        [
                            r.variant,
                            _num(r.difference),
                            f"{_num(r.welch_low)} to {_num(r.welch_high)}",
                            f"{_num(r.bootstrap_low)} to {_num(r.bootstrap_high)}",
                            _p(r.p_value),
                            _p(r.p_adjusted),
                        ]
                        for r in self.revenue
                    ],
                ).to_markdown(),
            ]
        lines += ["", f"_Method: {self.method}_"] + [f"_Note: {n}_" for n in self.notes]
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        return [
            ChartSpec(
                kind="bar",
                title=f"{SINGULAR[self.metric].capitalize()} rate by variant (%)",
                x=[v.variant for v in self.variants],
                series=[
                    Series(
                        name=f"{SINGULAR[self.metric]} rate %", values=[round(100 * v.rate, 3) for v in self.variants]
                    )
                ],
            )
        ]

    def facts(self) -> list[Fact]:
        source = f"analyze_experiment: {self.source}"
        out = []
        rate = f"{SINGULAR[self.metric]} rate"
        for v in self.variants:
            out.append(_fact(rate, v.variant, v.rate, "percent", source))
        for c in self.comparisons:
            vs = f"{c.variant} vs {self.control}"
            out.append(_fact("absolute lift (difference in rate)", vs, c.absolute_lift, "percent", source))
            if c.relative_lift is not None:
                out.append(_fact("relative lift", vs, c.relative_lift, "percent", source))
            out.append(_fact("p-value, Holm-adjusted", vs, _p(c.p_adjusted), "p-value", source))
            out.append(_fact("power to detect the minimum lift", vs, c.power, "percent", source))
        for v in self.variants:
            out.append(_fact("recipients", v.variant, v.recipients, "count", source))
        for r in self.revenue:
            vs = f"{r.variant} vs {self.control}"
            out.append(_fact("revenue per recipient difference", vs, round(r.difference, 2), "money", source))
        return out


def _fact(head: str, key: str, value: float | int | str, unit: str, source: str) -> Fact:
    if isinstance(value, float):
        value = round(value, 6)
    return Fact(label=f"{head} for {key}", value=value, unit=unit, source=source, head=head, key=key)


def _pct(value: float | None, decimals: int) -> str:
    return "" if value is None else f"{100 * value:.{decimals}f} %"


def _pts(value: float) -> str:
    return f"{100 * value:+.2f}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _p(value: float) -> str:
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def _control(data: ExperimentData, wanted: str | None) -> str:
    names = list(data.totals.index)
    if wanted is not None:
        match = next((n for n in names if n.casefold() == wanted.strip().casefold()), None)
        if match is None:
            raise AnalysisError("control", f"no variant {wanted!r} in {data.source} (variants: {', '.join(names)})")
        return match
    return next((n for n in names if n.casefold() in CONTROL_NAMES), names[0])


def results_folder(settings: Settings) -> Path:
    return (settings.results_dir or settings.home / "results").expanduser().resolve()


def _resolve_path(raw: str, settings: Settings) -> Path:
    """A results file inside the results folder: a chat request (UI, Slack) names a file, and must not make the
    server read any file it can ("/etc/passwd", "../warehouse"); relative names are read from the folder."""
    folder = results_folder(settings)
    path = (folder / Path(raw).expanduser()).resolve()  # an absolute `raw` replaces the folder, then is checked
    if not path.is_relative_to(folder):
        raise AnalysisError("path", f"{raw}: only files in the results folder {folder} can be read (MKA_RESULTS_DIR)")
    if path.suffix.lower() not in SUFFIXES:
        raise AnalysisError("path", f"{raw}: expected a CSV file ({', '.join(SUFFIXES)})")
    return path


def analyze(data: ExperimentData, args: AnalyzeExperimentInput) -> ExperimentResult:
    """The analysis of loaded data (the tool without the reading; tests call it directly)."""
    totals = data.totals
    if args.metric not in totals.columns:
        given = [m for m in ("conversions", "clicks", "opens") if m in totals.columns]
        raise AnalysisError("metric", f"{data.source} has no {args.metric} column (it has {', '.join(given)})")
    control = _control(data, args.control)
    alpha = 1 - args.confidence
    variants = []
    for name, row in totals.iterrows():
        n, k = int(row["recipients"]), int(row[args.metric])
        total_revenue = float(row["revenue"]) if "revenue" in totals.columns else None
        variants.append(
            VariantStats(
                variant=str(name),
                recipients=n,
                successes=k,
                rate=k / n,
                revenue=total_revenue,
                revenue_per_recipient=None if total_revenue is None else total_revenue / n,
            )
        )
    base = next(v for v in variants if v.variant == control)
    others = [v for v in variants if v.variant != control]
    tests = [
        stats.compare_proportions(v.successes, v.recipients, base.successes, base.recipients, args.confidence)
        for v in others
    ]
    adjusted = stats.holm([t.p_value for t in tests])
    target = min(1.0, base.rate * (1 + args.minimum_lift))
    comparisons = []
    warnings: list[str] = []
    notes: list[str] = []
    for v, t, p_adj in zip(others, tests, adjusted, strict=True):
        power = (
            stats.achieved_power(base.rate, target, base.recipients, v.recipients, alpha)
            if 0 < base.rate < 1 and target > base.rate
            else 0.0
        )
        comparisons.append(
            Comparison(
                variant=v.variant,
                absolute_lift=t.difference,
                absolute_low=t.difference_low,
                absolute_high=t.difference_high,
                relative_lift=t.relative,
                relative_low=t.relative_low,
                relative_high=t.relative_high,
                test=t.test,
                p_value=t.p_value,
                p_adjusted=p_adj,
                significant=p_adj < alpha,
                power=power,
            )
        )
    warnings += _early_stop(args, base, others, comparisons, alpha)
    if any(c.test == "fisher" for c in comparisons):
        notes.append("Fisher's exact test is used where a cell of the 2x2 table expects fewer than 5 recipients")
    if base.successes == 0:
        notes.append(f"the control has no {args.metric}: relative lift is undefined")
    revenue: list[RevenueComparison] = []
    if data.revenue_rows is not None:
        b = data.revenue_rows[control]
        mean_tests = [stats.compare_means(data.revenue_rows[v.variant], b, args.confidence) for v in others]
        adjusted_rev = stats.holm([m.p_value for m in mean_tests])
        revenue = [
            RevenueComparison(
                variant=v.variant,
                difference=m.difference,
                welch_low=m.low,
                welch_high=m.high,
                p_value=m.p_value,
                p_adjusted=p,
                bootstrap_low=m.bootstrap_low,
                bootstrap_high=m.bootstrap_high,
            )
            for v, m, p in zip(others, mean_tests, adjusted_rev, strict=True)
        ]
    elif "revenue" in totals.columns:
        notes.append(
            "revenue per recipient is shown but not tested: a test needs one row per recipient with that "
            "recipient's revenue (its spread), not only each variant's total"
        )
    method = (
        f"Pooled two-proportion z test (Fisher exact for small counts); Wald interval for the difference, Katz log "
        f"interval for the ratio; Holm correction over {len(comparisons)} comparison(s); power on Cohen's h for a "
        f"{args.minimum_lift:.0%} relative lift"
        + ("; revenue per recipient: Welch t test and a 2,000-resample bootstrap" if revenue else "")
        + "."
    )
    return ExperimentResult(
        source=data.source,
        metric=args.metric,
        control=control,
        confidence=args.confidence,
        per_recipient=data.per_recipient,
        variants=variants,
        comparisons=comparisons,
        revenue=revenue,
        warnings=warnings,
        notes=notes,
        method=method,
    )


def _early_stop(
    args: AnalyzeExperimentInput,
    base: VariantStats,
    others: list[VariantStats],
    comparisons: list[Comparison],
    alpha: float,
) -> list[str]:
    """A test looks stopped early when an arm is below its planned size, or too small to see the planned lift."""
    out = []
    smallest = min([base, *others], key=lambda v: v.recipients)
    if args.planned_recipients is not None and smallest.recipients < args.planned_recipients:
        out.append(
            f"stopped early: variant {smallest.variant!r} has {smallest.recipients:,} recipients of the "
            f"{args.planned_recipients:,} planned; a result read before the planned size overstates significance"
        )
    weak = [c for c in comparisons if c.power < TARGET_POWER]
    if weak and 0 < base.rate < 1:
        needed = stats.sample_size(base.rate, min(1.0, base.rate * (1 + args.minimum_lift)), alpha, TARGET_POWER)
        names = ", ".join(repr(c.variant) for c in weak)
        out.append(
            f"underpowered: {names} had {min(c.power for c in weak):.0%} power to detect a "
            f"{args.minimum_lift:.0%} lift on the control's {base.rate:.2%} (80 % needs about {needed:,.0f} "
            "recipients per variant); a non-significant result here is not evidence of no effect"
        )
    return out


def analyze_experiment(args: AnalyzeExperimentInput, ctx: ToolContext) -> ExperimentResult:
    if args.path:
        data = load_experiment(path=_resolve_path(args.path, ctx.settings))
    elif args.table:
        data = load_experiment(table=args.table, con=ctx.warehouse())
    else:
        raise AnalysisError(
            "path",
            "give the results: a CSV file (path) or a warehouse table (table) with variant, recipients and "
            "opens / clicks / conversions",
        )
    return analyze(data, args)
