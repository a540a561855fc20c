"""The `explain_segment` tool: why customers are in a segment or cluster, as a shallow decision tree's rules.

A depth <= 3 tree is trained to tell members from everyone else on a few behavioural features. It is
fitted on 70% of customers and scored on the other 30% (accuracy and balanced accuracy, beside the
accuracy of always guessing the majority), so a reader can judge how well the rules describe the segment.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tools.context import ToolContext
from tools.sales import COMPLETED, UP_TO_AS_OF
from tools.segments import query as q
from tools.segments.segment_tool import describe
from tools.segments.spec import (
    MAX_LIST,
    SegmentName,
    SegmentQueryError,
    SegmentSpec,
    check_text,
    normalise_segment_name,
)
from tools.segments.sqlrun import ExecutedQuery, run_query

SEED = 0
MIN_MEMBERS = 5

# Feature name -> (SQL expression over rfm r + per-customer extras x, label, is a whole number)
FEATURES: dict[str, tuple[str, str, bool]] = {
    "recency_days": ("r.recency_days", "days since last order", True),
    "frequency": ("r.frequency", "orders", True),
    "monetary": ("r.monetary", "total spend", False),
    "avg_order_value": ("r.monetary / r.frequency", "average order value", False),
    "tenure_days": (
        "date_diff('day', CAST(r.first_order_at AS DATE), CAST($as_of AS DATE))",
        "days since first order",
        True,
    ),
    "distinct_products": ("coalesce(x.distinct_products, 0)", "different products bought", True),
}
_EXTRAS_CTE = f"""extras AS (
    SELECT o.customer_id, count(DISTINCT l.product_id) AS distinct_products
    FROM orders o JOIN order_lines l ON l.order_id = o.order_id
    WHERE {COMPLETED} AND o.customer_id IS NOT NULL
      AND {UP_TO_AS_OF}
    GROUP BY o.customer_id
)"""


class ExplainSegmentInput(BaseModel):
    """Explain what sets a segment or cluster apart, as simple if-then rules with their accuracy."""

    model_config = ConfigDict(extra="forbid")

    segment: SegmentName | None = Field(default=None, description="RFM segment to explain, e.g. at_risk.")
    cluster: int | None = Field(default=None, ge=0, le=99, description="K-Means cluster id to explain.")
    countries: list[str] = Field(default_factory=list, max_length=MAX_LIST, description="Limit to these countries.")
    bought_category: str | None = Field(default=None, description="Customers who bought from this category.")
    bought_product: str | None = Field(default=None, description="Customers who bought a product matching this text.")
    max_depth: int = Field(default=3, ge=1, le=3, description="Depth of the decision tree (1-3).")

    @field_validator("segment", mode="before")
    @classmethod
    def _segment(cls, value: Any) -> Any:
        return normalise_segment_name(value) if isinstance(value, str) else value

    @field_validator("countries", mode="before")
    @classmethod
    def _as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("countries", mode="after")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return [check_text(v, "countries", max_len=60) for v in value]

    @model_validator(mode="after")
    def _something(self) -> ExplainSegmentInput:
        if not (
            self.segment or self.cluster is not None or self.countries or self.bought_category or self.bought_product
        ):
            raise ValueError("give a segment, cluster, countries, bought_category or bought_product to explain")
        return self

    def to_spec(self) -> SegmentSpec:
        return SegmentSpec(
            segments=[self.segment] if self.segment else [],
            cluster=self.cluster,
            countries=self.countries,
            bought_category=self.bought_category,
            bought_product=self.bought_product,
            limit=0,
        )


class Rule(BaseModel):
    conditions: list[str]
    customers: int = Field(description="customers this rule covers")
    members: int = Field(description="of them, in the segment")
    precision: float = Field(description="members / customers covered")
    recall: float = Field(description="members covered / all members")


class ExplainSegmentResult(BaseModel):
    definition: str
    as_of: date
    members: int
    population: int
    depth: int
    accuracy: float = Field(description="on the 30% of customers held out from training")
    balanced_accuracy: float
    majority_baseline: float = Field(description="accuracy of always guessing the larger class")
    test_customers: int
    rules: list[Rule]
    feature_importance: dict[str, float]
    queries: list[ExecutedQuery] = Field(default_factory=list)

    def to_markdown(self) -> str:
        lines = [
            f"**Why customers are in this segment:** {self.definition}",
            "",
            f"{self.members:,} of {self.population:,} customers are members. A decision tree of depth {self.depth} "
            f"separates them with **{self.accuracy:.1%} accuracy** (balanced {self.balanced_accuracy:.1%}; "
            f"always guessing the majority scores {self.majority_baseline:.1%}) on {self.test_customers:,} "
            "customers held out from training.",
            "",
        ]
        if not self.rules:
            lines.append("No rule picks out members better than chance at this depth.")
        for i, rule in enumerate(self.rules, start=1):
            lines.append(
                f"{i}. IF {' AND '.join(rule.conditions) or 'any customer'} THEN member: {rule.members:,} of "
                f"{rule.customers:,} customers ({rule.precision:.0%} precise), {rule.recall:.0%} of all members"
            )
        top = sorted(self.feature_importance.items(), key=lambda kv: -kv[1])
        used = ", ".join(f"{name} {weight:.0%}" for name, weight in top if weight > 0)
        lines += ["", f"_Feature importance: {used or 'none'}_"]
        return "\n".join(lines)

    def charts(self) -> list[Any]:
        return []


def _features(p: q.Plan, cur: Any, members_sql_tail: str) -> pd.DataFrame:
    columns = ",\n       ".join(f"{expr} AS {name}" for name, (expr, _, _) in FEATURES.items())
    p.ctes.append(_EXTRAS_CTE)
    tail = (
        f"SELECT r.customer_id,\n       {columns},\n"
        f"       r.customer_id IN ({members_sql_tail}) AS is_member\n"
        "FROM rfm r LEFT JOIN extras x ON x.customer_id = r.customer_id ORDER BY r.customer_id"
    )
    return run_query(cur, "features", p.sql(tail), p.params, p.log)


def _condition(name: str, threshold: float, is_left: bool) -> tuple[str, str, float]:
    return name, "<=" if is_left else ">", float(threshold)


def _render(name: str, low: float | None, high: float | None) -> str:
    """One feature's bounds on a path: low < value <= high (either may be absent), in words."""
    _, label, whole = FEATURES[name]
    if whole:  # thresholds fall between whole numbers: x <= 37.5 means x <= 37, x > 37.5 means x >= 38
        lo = None if low is None else int(np.floor(low)) + 1
        hi = None if high is None else int(np.floor(high))
        if lo is not None and hi is not None:
            return f"{label} = {lo}" if lo == hi else f"{label} {lo} to {hi}"
        return f"{label} ≥ {lo}" if lo is not None else f"{label} ≤ {hi}"
    if low is not None and high is not None:
        return f"{label} over {low:,.2f} up to {high:,.2f}"
    return f"{label} > {low:,.2f}" if low is not None else f"{label} ≤ {high:,.2f}"


def _simplify(conds: list[tuple[str, str, float]]) -> list[str]:
    """Merge a path's tests into one range per feature (a path may test one feature twice), in feature order."""
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for name, op, value in conds:
        low, high = bounds.get(name, (None, None))
        if op == "<=":
            high = value if high is None else min(high, value)
        else:
            low = value if low is None else max(low, value)
        bounds[name] = (low, high)
    return [_render(name, *bounds[name]) for name in FEATURES if name in bounds]


def _rules(tree: Any, x: np.ndarray, y: np.ndarray, names: list[str]) -> list[Rule]:
    t = tree.tree_
    leaf_of = tree.apply(x)
    member_class = list(tree.classes_).index(True)
    total_members = int(y.sum())
    rules: list[Rule] = []

    def walk(node: int, conds: list[tuple[str, str, float]]) -> None:
        if t.children_left[node] == t.children_right[node]:  # a leaf
            if int(np.argmax(t.value[node][0])) != member_class:
                return
            covered = leaf_of == node
            n, hits = int(covered.sum()), int(y[covered].sum())
            if n and hits:
                rules.append(
                    Rule(
                        conditions=_simplify(conds),
                        customers=n,
                        members=hits,
                        precision=round(hits / n, 4),
                        recall=round(hits / total_members, 4),
                    )
                )
            return
        name, threshold = names[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], [*conds, _condition(name, threshold, True)])
        walk(t.children_right[node], [*conds, _condition(name, threshold, False)])

    walk(0, [])
    return sorted(rules, key=lambda r: -r.members)


def explain_segment(args: ExplainSegmentInput, ctx: ToolContext) -> ExplainSegmentResult:
    """Explain a segment or cluster as if-then rules from a shallow decision tree, with held-out accuracy."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier

    spec = args.to_spec()
    cur = ctx.warehouse()
    p = q.plan(spec, cur)
    frame = _features(p, cur, "SELECT customer_id FROM members")
    names = list(FEATURES)
    x = frame[names].to_numpy(dtype=float)
    y = frame["is_member"].to_numpy(dtype=bool)
    members, population = int(y.sum()), len(y)
    field_name = "segment" if args.segment else "cluster" if args.cluster is not None else "countries"
    if members < MIN_MEMBERS or population - members < MIN_MEMBERS:
        raise SegmentQueryError(
            field_name,
            f"the segment has {members:,} of {population:,} customers; a tree needs at least {MIN_MEMBERS} "
            "members and non-members to explain the difference",
        )
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=SEED, stratify=y)
    tree = DecisionTreeClassifier(
        max_depth=args.max_depth,
        min_samples_leaf=max(5, len(y_train) // 200),
        class_weight="balanced",
        random_state=SEED,
    ).fit(x_train, y_train)
    predicted = tree.predict(x_test)
    majority = max(float(y_test.mean()), 1 - float(y_test.mean()))
    return ExplainSegmentResult(
        definition=describe(spec, p),
        as_of=p.as_of,
        members=members,
        population=population,
        depth=int(tree.get_depth()),
        accuracy=round(float(accuracy_score(y_test, predicted)), 4),
        balanced_accuracy=round(float(balanced_accuracy_score(y_test, predicted)), 4),
        majority_baseline=round(majority, 4),
        test_customers=len(y_test),
        rules=_rules(tree, x, y, names),
        feature_importance={n: round(float(v), 4) for n, v in zip(names, tree.feature_importances_, strict=True)},
        queries=p.log,
    )
