"""Marketing analytics over results and history: experiment (A/B test) analysis and planning, budget allocation
across segments and channels, and monthly cohort retention.

Tools (see TOOLS): analyze_experiment, plan_experiment, allocate_budget, cohort_retention. Nothing is built at
ingest: each tool reads the marketer's file, the warehouse or the campaign response scores when it runs.
"""

from __future__ import annotations

from typing import Any

from tools.analysis.budget import AllocateBudgetInput, AllocateBudgetResult, allocate_budget
from tools.analysis.cohorts import CohortRetentionInput, CohortRetentionResult, cohort_retention
from tools.analysis.common import AnalysisError
from tools.analysis.experiment import AnalyzeExperimentInput, ExperimentResult, analyze_experiment
from tools.analysis.plan import PlanExperimentInput, PlanExperimentResult, plan_experiment
from tools.base import Tool
from tools.predict.common import PredictionError

TOOLS: list[Tool[Any]] = [
    Tool(
        name="analyze_experiment",
        input_model=AnalyzeExperimentInput,
        run=analyze_experiment,
        description=(
            "A/B test or campaign results from a CSV file or table: lift vs control with confidence intervals, "
            "p-values, and a warning when the test stopped early."
        ),
        errors=(AnalysisError,),
    ),
    Tool(
        name="plan_experiment",
        input_model=PlanExperimentInput,
        run=plan_experiment,
        description="A/B test planning: recipients needed per variant for a baseline rate and lift, or the power.",
        errors=(AnalysisError,),
    ),
    Tool(
        name="allocate_budget",
        input_model=AllocateBudgetInput,
        run=allocate_budget,
        description=(
            "Split a campaign budget across customer segments and channels for the most expected responses, "
            "with the return of each extra unit spent."
        ),
        errors=(AnalysisError, PredictionError),
    ),
    Tool(
        name="cohort_retention",
        input_model=CohortRetentionInput,
        run=cohort_retention,
        description=(
            "Cohort retention: customers by month of first order, the share buying again each month after, and "
            "their revenue; which cohorts a segment came from."
        ),
        errors=(AnalysisError,),
    ),
]

__all__ = [
    "TOOLS",
    "AllocateBudgetInput",
    "AllocateBudgetResult",
    "AnalysisError",
    "AnalyzeExperimentInput",
    "CohortRetentionInput",
    "CohortRetentionResult",
    "ExperimentResult",
    "PlanExperimentInput",
    "PlanExperimentResult",
    "allocate_budget",
    "analyze_experiment",
    "cohort_retention",
    "plan_experiment",
]
