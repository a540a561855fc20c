"""`mka bench budget`: allocate_budget's optimiser against the "contact the top decile" and equal-split baselines,
out of fold on the UCI Bank Marketing contacts.

Every contact's propensity comes from a model that did not see its outcome (3-fold, tools/predict/response_model);
the optimiser and the baselines see only those propensities, never the outcomes. Each plan gets the same budget
and the same cost per contact; what it buys is scored twice: expected responses (the sum of the propensities it
reached) and realised responses (the outcomes of the contacts it reached; a fractional piece counts at its
piece's realised rate). The headline budget is the cost of contacting the top decile itself.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

BUDGET_SHARES = (0.05, 0.10, 0.20)  # of the cost of contacting every contact; 0.10 = the top decile's cost
GOAL = 1.2


def register(bench_app: typer.Typer) -> None:
    bench_app.command("budget")(bench_budget)


def evaluate(contacts: Any, segment_by: str, cost: float, share: float) -> dict[str, Any]:
    """One budget: expected and realised responses of the optimised plan and both baselines."""
    from tools.analysis.budget_model import Channel, equal_split, optimise, response_pieces, top_decile

    frame = contacts.assign(segment=contacts[segment_by].astype(str), value=1.0)
    channel = Channel("phone", cost)
    budget = share * len(frame) * cost
    pieces = response_pieces(frame[["segment", "probability", "value", "responded"]], extra=("responded",))
    plan = optimise(pieces, (channel,), budget)
    reach = plan.reach[:, 0]
    model = {
        "spend": round(float(reach.sum() * cost), 2),
        "expected": round(float((reach * pieces["value_rate"]).sum()), 1),
        "realised": round(float((reach * pieces["responded"]).sum()), 1),
    }
    top_spend, top_expected = top_decile(frame, channel, budget)
    _, top_realised = top_decile(frame, channel, budget, column="responded")
    eq_spend, eq_expected = equal_split(pieces, channel, budget)
    _, eq_realised = equal_split(pieces, channel, budget, column="responded")
    out: dict[str, Any] = {
        "budget_share": share,
        "budget": round(budget, 2),
        "optimised": model,
        "top_decile": {
            "spend": round(top_spend, 2),
            "expected": round(top_expected, 1),
            "realised": round(top_realised, 1),
        },
        "equal_split": {
            "spend": round(eq_spend, 2),
            "expected": round(eq_expected, 1),
            "realised": round(eq_realised, 1),
        },
        "marginal_return": round(plan.marginal_return, 5),
    }
    for name in ("top_decile", "equal_split"):
        base = out[name]
        for what in ("expected", "realised"):
            out[f"ratio_vs_{name}_{what}"] = round(model[what] / base[what], 3) if base[what] else None
    for what in ("expected", "realised"):
        out[f"per_unit_{what}"] = {
            k: round(out[k][what] / budget, 5) for k in ("optimised", "top_decile", "equal_split")
        }
    return out


def bench_budget(
    segment_by: Annotated[str, typer.Option(help="Bank trait that defines the segments.")] = "job",
    cost: Annotated[float, typer.Option(help="Cost of one contact (the same for every plan).")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Expected and realised responses per unit of budget: optimiser vs top decile and equal split, out of fold."""
    from assistant.core.console import fail, load_settings, print_json
    from bench.common import machine, peak_rss_mb, save_report
    from tools.predict.common import PredictionError
    from tools.predict.response_model import CATEGORICAL, bank_path, load_bank, score_contacts

    settings = load_settings()
    if segment_by not in [*CATEGORICAL, "age_band"]:
        fail(f"--segment-by: one of {', '.join([*CATEGORICAL, 'age_band'])}, got {segment_by!r}")
    start = time.perf_counter()
    try:
        scored = score_contacts(load_bank(bank_path(settings.data_dir)))
    except PredictionError as exc:
        fail(str(exc))
    scoring_s = time.perf_counter() - start
    contacts = scored.scores
    start = time.perf_counter()
    runs = [evaluate(contacts, segment_by, cost, share) for share in BUDGET_SHARES]
    results: dict[str, Any] = {
        "machine": machine(),
        "data": {
            "contacts": len(contacts),
            "responders": int(contacts["responded"].sum()),
            "response_rate": round(float(contacts["responded"].mean()), 4),
        },
        "propensity": {"folds": scored.metrics["folds"], **scored.metrics["model"]},
        "segment_by": segment_by,
        "cost_per_contact": cost,
        "runs": runs,
        "scoring_seconds": round(scoring_s, 2),
        "optimise_seconds": round(time.perf_counter() - start, 2),
    }
    headline = next(r for r in runs if r["budget_share"] == 0.10)
    results["headline_ratio_vs_top_decile_realised"] = headline["ratio_vs_top_decile_realised"]
    results["goal_1_2x_top_decile"] = bool((headline["ratio_vs_top_decile_realised"] or 0) >= GOAL)
    results["peak_rss_mb"] = peak_rss_mb()
    results["report"] = str(save_report(settings.home / "runs", "budget", results))
    if as_json:
        print_json(results)
        return
    typer.echo(
        f"{len(contacts):,} bank contacts, out-of-fold propensity ROC-AUC {results['propensity']['roc_auc']}; "
        f"segments by {segment_by}; {cost:.2f} per contact"
    )
    for r in runs:
        per = r["per_unit_realised"]
        typer.echo(
            f"budget {r['budget_share']:.0%} of all contacts ({r['budget']:,.0f}): realised responses per unit "
            f"optimised {per['optimised']:.5f}, top decile {per['top_decile']:.5f}, "
            f"equal split {per['equal_split']:.5f} -> vs top decile {r['ratio_vs_top_decile_realised']} "
            f"(expected {r['ratio_vs_top_decile_expected']}), vs equal split {r['ratio_vs_equal_split_realised']}"
        )
    typer.echo(f"goal >= {GOAL}x top decile at its own budget: {results['goal_1_2x_top_decile']}")
