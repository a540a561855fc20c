"""analyze_experiment and plan_experiment as tools: reading the marketer's CSV (or a warehouse table), clear errors
naming file, column and row, the choice of test, the warnings, and rendering in every channel."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from assistant.core.workspace import Workspace
from assistant.render.charts import render_png
from assistant.slack.formatting import markdown_blocks
from tools.analysis import AnalysisError, AnalyzeExperimentInput, PlanExperimentInput
from tools.analysis.experiment import ExperimentResult, analyze
from tools.analysis.experiment_data import load_experiment
from tools.analysis.plan import plan
from tools.facts import facts_from_result

AGGREGATE = """variant,recipients,opens,clicks,conversions,revenue
A,10000,2100,400,120,6000
B,10000,2250,460,150,7600
C,9800,2000,380,118,5900
"""


def write(tmp_path: Path, text: str, name: str = "results.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, **kwargs: object) -> ExperimentResult:
    args = AnalyzeExperimentInput(path=str(path), **kwargs)  # type: ignore[arg-type]
    return analyze(load_experiment(path=path), args)


def test_aggregate_csv_gives_rates_lift_and_holm_adjusted_p_values(tmp_path: Path) -> None:
    result = run(write(tmp_path, AGGREGATE), metric="clicks")
    assert result.control == "A" and [v.variant for v in result.variants] == ["A", "B", "C"]
    assert [v.rate for v in result.variants] == [0.04, 0.046, 380 / 9800]
    raw = [float(proportions_ztest([k, 400], [n, 10000])[1]) for k, n in ((460, 10000), (380, 9800))]
    assert [round(c.p_value, 6) for c in result.comparisons] == [round(p, 6) for p in raw]
    holm = multipletests(raw, method="holm")[1]
    assert [round(c.p_adjusted, 6) for c in result.comparisons] == [round(float(p), 6) for p in holm]
    b = result.comparisons[0]
    assert b.test == "z" and round(b.absolute_lift, 6) == 0.006 and round(b.relative_lift or 0, 6) == 0.15
    assert b.absolute_low < b.absolute_lift < b.absolute_high
    assert not b.significant  # p 0.037 raw, 0.073 after Holm at 95 %
    assert any("revenue per recipient is shown but not tested" in n for n in result.notes)


def test_control_by_name_and_an_unknown_control_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, AGGREGATE)
    assert run(path, control="b").control == "B"
    with pytest.raises(AnalysisError, match=r"control: no variant 'Z' in results.csv \(variants: A, B, C\)"):
        run(path, control="Z")


def test_small_counts_use_fisher_exact(tmp_path: Path) -> None:
    result = run(write(tmp_path, "group,sent,orders\ncontrol,40,1\nnew,42,7\n"))
    c = result.comparisons[0]
    assert c.test == "fisher"
    assert round(c.p_value, 6) == round(float(sps.fisher_exact([[7, 35], [1, 39]]).pvalue), 6)
    assert any("Fisher" in n for n in result.notes)


def test_per_recipient_rows_test_revenue_with_welch_and_bootstrap(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    lines = ["variant,converted,revenue"]
    arms: dict[str, list[float]] = {"A": [], "B": []}
    for variant, rate, n in (("A", 0.05, 900), ("B", 0.08, 950)):
        for _ in range(n):
            converted = int(rng.random() < rate)
            revenue = round(float(rng.gamma(2.0, 30.0)), 2) if converted else 0.0
            arms[variant].append(revenue)
            lines.append(f"{variant},{converted},{revenue}")
    result = run(write(tmp_path, "\n".join(lines) + "\n"))
    assert result.per_recipient and [v.recipients for v in result.variants] == [900, 950]
    (rev,) = result.revenue
    a, b = np.array(arms["A"]), np.array(arms["B"])
    ref = sps.ttest_ind(b, a, equal_var=False)
    assert round(rev.p_value, 6) == round(float(ref.pvalue), 6)
    assert round(rev.difference, 6) == round(float(b.mean() - a.mean()), 6)
    assert rev.bootstrap_low < rev.difference < rev.bootstrap_high
    assert "Welch" in result.method


def test_stopped_early_and_underpowered_are_warned(tmp_path: Path) -> None:
    path = write(tmp_path, AGGREGATE)
    result = run(path, planned_recipients=12000)
    assert any(
        w.startswith("stopped early: variant 'C' has 9,800 recipients of the 12,000 planned") for w in result.warnings
    )
    assert any(w.startswith("underpowered:") for w in result.warnings)
    big = "variant,recipients,conversions\nA,400000,20000\nB,400000,21000\n"
    assert run(write(tmp_path, big, "big.csv"), planned_recipients=400000).warnings == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "variant,recipients,conversions\nA,100,5\nB,100,abc\n",
            r"results.csv, column 'conversions', row 3: 'abc' is not a whole number >= 0",
        ),
        (
            "variant,recipients,conversions\nA,100,5\nB,100,120\n",
            r"results.csv, column 'conversions', row 3: 120 conversions for 100 recipients",
        ),
        ("variant,recipients,conversions\nA,100,5\n,100,4\n", r"results.csv, column 'variant', row 3: empty variant"),
        ("name,recipients,conversions\nA,100,5\n", r"results.csv: no variant column"),
        ("variant,recipients\nA,100\nB,100\n", r"results.csv: no outcome column"),
        ("variant,converted\nA,1\nB,2\n", r"results.csv, column 'converted', row 3: 2 in a file without a recipients"),
        ("variant,recipients,conversions\nA,100,5\nA,50,2\n", r"only one variant \('A'\)"),
        ("variant,recipients,conversions\nA,100,5\nB,-3,0\n", r"column 'recipients', row 3: '-3' is not a whole"),
    ],
)
def test_bad_files_are_named_with_column_and_row(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        run(write(tmp_path, text))


def test_missing_file_and_wrong_metric_are_named(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match=r"path: .*nothere.csv: no such file"):
        load_experiment(path=tmp_path / "nothere.csv")
    with pytest.raises(AnalysisError, match=r"metric: results.csv has no opens column \(it has conversions\)"):
        run(write(tmp_path, "variant,recipients,conversions\nA,100,5\nB,100,6\n"), metric="opens")


def test_a_warehouse_table_reads_like_a_file() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE spring_test AS SELECT * FROM (VALUES ('A', 5000, 250), ('B', 5000, 300)) "
        "t(variant, recipients, conversions)"
    )
    data = load_experiment(table="spring_test", con=con)
    result = analyze(data, AnalyzeExperimentInput(table="spring_test"))
    assert result.source == "warehouse table spring_test" and result.comparisons[0].variant == "B"
    with pytest.raises(AnalysisError, match=r"table: no table 'nope' in the warehouse \(tables: spring_test\)"):
        load_experiment(table="nope", con=con)


def test_result_renders_in_markdown_slack_and_as_a_chart(tmp_path: Path) -> None:
    result = run(write(tmp_path, AGGREGATE), planned_recipients=12000)
    markdown = result.to_markdown()
    assert "| B | +0.30 |" in markdown and "stopped early" in markdown
    text = "\n".join(str(b["text"]["text"]) for b in markdown_blocks(markdown))
    assert "```" in text and "|---" not in text  # tables become aligned code blocks in Slack
    assert re.search(r"B\s+\+0\.30", text)
    assert render_png(result.charts()[0]).startswith(b"\x89PNG")
    facts = facts_from_result("analyze_experiment", result)
    assert facts[1].label == "conversion rate for B" and facts[1].value == 0.015


def test_plan_matches_the_power_it_promises() -> None:
    result = plan(PlanExperimentInput(baseline_rate=3, minimum_lift=10, recipients_per_variant=20000))
    assert result.baseline_rate == 0.03 and result.minimum_lift == 0.10
    effect = proportion_effectsize(0.033, 0.03)
    needed = math.ceil(NormalIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8))
    assert result.recipients_per_variant == needed and result.total_recipients == 2 * needed
    power = NormalIndPower().power(effect_size=effect, nobs1=20000, alpha=0.05)
    assert result.achieved_power is not None and round(result.achieved_power, 4) == round(float(power), 4)
    three = plan(PlanExperimentInput(baseline_rate=0.03, minimum_lift=0.1, variants=3))
    assert three.alpha_per_comparison == pytest.approx(0.025) and three.recipients_per_variant > needed
    with pytest.raises(AnalysisError, match="minimum_lift"):
        plan(PlanExperimentInput(baseline_rate=0.6, minimum_lift=0.9))


@pytest.mark.parametrize(("rate", "lift"), [(0.03, 0.1), (3, 10)])
def test_the_agent_keeps_a_planning_request_s_numbers(demo_workspace: Workspace, rate: float, lift: float) -> None:
    """Percentages the marketer wrote reach plan_experiment whether the model writes them as fractions or
    percents (the slots by code accept both), and the answer cites the plan's figures."""
    from tests.helpers.agent import make_agent
    from tools.families import load_tools

    tools = {name: tool for name, tool in load_tools().items() if name == "plan_experiment"}
    decision = {"tool": "plan_experiment", "args": {"baseline_rate": rate, "minimum_lift": lift}}
    agent, model = make_agent(demo_workspace, decision, "You need {f1}.", tools=tools)
    result = agent.ask("How many recipients per variant for a 3% conversion rate and a 10% lift?")
    step = result.steps[0]
    assert step.tool == "plan_experiment" and step.ok, result.answer
    assert step.result["baseline_rate"] == 0.03 and step.result["minimum_lift"] == 0.1
    assert f"You need {step.result['recipients_per_variant']:,} recipients needed per variant" in result.answer
    model.assert_complete()


# ---------------------------------------------------------------- which files a request may read


def test_a_chat_request_reads_results_only_from_the_results_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.core.settings import Settings
    from tools.analysis.experiment import analyze_experiment
    from tools.context import ToolContext

    monkeypatch.delenv("MKA_RESULTS_DIR", raising=False)
    home = tmp_path / "home"
    ctx = ToolContext.from_settings(Settings(home=home, llm="scripted"))
    (home / "results").mkdir(parents=True)
    write(home / "results", AGGREGATE, "spring.csv")
    outside = write(tmp_path, AGGREGATE, "elsewhere.csv")

    assert analyze_experiment(AnalyzeExperimentInput(path="spring.csv"), ctx).variants
    for raw in (str(outside), "../elsewhere.csv", "../../elsewhere.csv", "/etc/passwd"):
        with pytest.raises(AnalysisError, match="only files in the results folder"):
            analyze_experiment(AnalyzeExperimentInput(path=raw), ctx)


def test_the_command_line_reads_the_file_it_is_given(tmp_path: Path, mka_home: Path, cli: object) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    path = write(tmp_path, AGGREGATE, "mine.csv")
    assert isinstance(cli, CliRunner)
    shown = cli.invoke(app, ["analyze", "experiment", str(path), "--json"])
    assert shown.exit_code == 0, shown.output
    assert '"variants"' in shown.output
    assert "MKA_RESULTS_DIR" not in os.environ  # the command's folder is its own run's, not the process's
