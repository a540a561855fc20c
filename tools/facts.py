"""Named facts: the figures a tool result states, each with what it measures, where it came from and whether it
is an actual, a forecast, a prediction or an estimate.

The narration cites facts by id ("{f3}") and the agent writes each value together with its label, so a number
can never be attached to another claim: a row's share always names its row, a forecast always says "forecast".
`facts_from_result` walks any result model (top-level figures, nested figures, tables and lists of rows labelled
by each row's identifying column); a result that can label its figures better offers `facts()` itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.base import Table

Kind = Literal["actual", "forecast", "prediction", "estimate"]
UNITS = ("count", "money", "percent", "ratio", "days", "score", "orders", "rating")  # others render as plain numbers
MAX_FACTS = 24  # per result, most important first
MAX_ROWS = 8  # rows of a table or list whose main figures come before any secondary figure
MAX_SCOPE = 60
MAX_KEY = 48


class Fact(BaseModel):
    """One figure a tool reported. A `percent` value is a fraction, as results hold it (0.235 is 23.5 %)."""

    id: str = Field(default="", description='"f1", "f2", … (per result here; the agent renumbers across a turn)')
    label: str = Field(description="What the number is, e.g. 'customers in Germany (RFM segment champions)'.")
    value: float | int | str
    unit: str = Field(default="count", description="count, money, percent, ratio, days, score, orders, rating, …")
    source: str = Field(default="", description="The tool and the query or model the number came from.")
    kind: Kind = "actual"
    # The label's parts, so a narration in another language can say what the number is without English
    # phrases: `head` what is measured ("customers", "of all customers"), `key` the row it belongs to
    # ("Germany", "2012-01"), `scope` what the whole result is about ("RFM segment champions").
    head: str = ""
    key: str = ""
    scope: str = ""


def _trim(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(fact: Fact) -> str:
    """The value as the marketer reads it, with its unit: "23.5 %", "12,345.67", "10.1 days", "4.35/5"."""
    v = fact.value
    if isinstance(v, str):
        return v
    if fact.unit == "percent":
        return f"{_trim(100 * v, 1)} %"
    if fact.unit == "money":  # a forecast or prediction is never precise to the penny
        return f"{v:,.2f}" if fact.kind == "actual" else f"{v:,.0f}"
    if fact.unit == "days":
        return f"{_trim(v, 1)} days"
    if fact.unit == "rating":
        return f"{_trim(v, 2)}/5"
    if fact.unit in ("ratio", "score"):
        return _trim(v, 2)
    if isinstance(v, int):
        return f"{v:,}"
    return _trim(v, 0 if fact.kind != "actual" and abs(v) >= 100 else 1)  # "667 customers expected to stop"


def fact_phrase(fact: Fact) -> str:
    """Value, unit and label together, so the number cannot be read as another claim:
    "95 customers in Germany (RFM segment champions)", "12,345 forecast revenue for 2011-12 (forecast)"."""
    text = f"{format_value(fact)} {fact.label}".strip()
    if fact.kind != "actual":
        text += f" ({fact.kind})"
    return text


# ------------------------------------------------------------------------------------------- the generic walk

# What a field or column measures, in words that read after its value ("20.6 %" + " of all customers").
# "parent.name" entries win over "name": the same field name means different things in different lists.
_LABELS = {
    "customers": "customers",
    "total_customers": "customers in the whole customer base",
    "share_of_customers": "of all customers",
    "revenue": "revenue",
    "total_revenue": "revenue of the whole customer base",
    "revenue_share": "of all revenue",
    "orders": "orders",
    "avg_recency_days": "since the last order on average",
    "avg_frequency": "orders per customer on average",
    "avg_orders": "orders per customer on average",
    "avg_monetary": "spend per customer on average",
    "avg_spend": "spend per customer on average",
    "avg_order_value": "average order value",
    "bought_revenue": "revenue from the matched products",
    "matched_products_total": "matched products",
    "breakdown.share_of_segment": "of the selected customers",
    "breakdown.revenue_share": "of the selected customers' revenue",
    "repeat_customers": "repeat customers (2+ orders)",
    "repeat_rate": "repeat rate (2+ orders)",
    "orders_per_customer": "orders per customer",
    "revenue_per_customer": "revenue per customer",
    "cancelled_orders": "cancelled orders",
    "cancellation_rate": "of orders cancelled",
    "guest_orders": "guest orders (no customer id)",
    "segments.share": "of all customers",
    "active_customers": "active customers",
    "new_customers": "new customers",
    "units": "units sold",
    "members": "members of the segment",
    "population": "customers analysed (the whole customer base)",
    "accuracy": "accuracy of the explaining decision tree",
    "balanced_accuracy": "balanced accuracy of the explaining decision tree",
    "majority_baseline": "accuracy of always guessing the larger group",
    "test_customers": "customers held out to test the tree",
    "rules.customers": "customers covered",
    "rules.members": "segment members covered",
    "rules.precision": "of covered customers in the segment",
    "rules.recall": "of all segment members covered",
    "feature_importance": "importance of {key} in the decision tree",
    "mean_probability": "mean churn probability",
    "expected_churners": "customers expected to stop buying",
    "expected_churners_low": "customers expected to stop buying, low end of the 80 % range",
    "expected_churners_high": "customers expected to stop buying, high end of the 80 % range",
    "by_risk": "customers at {key} churn risk",
    "churn_probability": "churn probability",
    "days_since_last_order": "since the last order",
    "spend": "spend so far",
    "expected_purchases": "expected purchases",
    "expected_spend": "expected spend",
    "spend_low": "expected spend, low end of the 80 % range",
    "spend_high": "expected spend, high end of the 80 % range",
    "mean_p_alive": "mean chance of still being active",
    "p_alive": "chance of still being active",
    "expected_order_value": "expected order value",
    "purchase_days": "days with a purchase so far",
    "contacts": "contacts",
    "response_rate": "of past contacts said yes",
    "expected_rate": "expected response rate",
    "observed_rate": "observed response rate",
    "observed_low": "observed response rate, low end of the 95 % range",
    "observed_high": "observed response rate, high end of the 95 % range",
    "call_first.probability": "chance of a yes",
    "review_count": "reviews",
    "average_rating": "average rating",
    "recommend_rate": "of reviewers recommend the product",
    "split.positive": "positive reviews",
    "split.neutral": "neutral reviews",
    "split.negative": "negative reviews",
    "split.unscored": "reviews with a rating but no text",
    "split.positive_share": "of scored reviews positive",
    "split.neutral_share": "of scored reviews neutral",
    "split.negative_share": "of scored reviews negative",
    "aspects.positive": "positive mentions",
    "aspects.negative": "negative mentions",
    "aspects.positive_share": "of mentions positive",
    "aspects.negative_share": "of mentions negative",
    "positive_share": "of reviews positive",
    "negative_share": "of reviews negative",
    "positive_terms.reviews": "positive reviews",
    "positive_terms.share": "of positive reviews",
    "negative_terms.reviews": "negative reviews",
    "negative_terms.share": "of negative reviews",
    "score": "sentiment score (-1 to 1)",
    "probability_positive": "chance the text is positive",
    "rating": "star rating",
    "mean_rating": "average rating",
    "segment_customers": "customers in the segment",
}
# How a row's key reads after the figure: "95 customers" + " in Germany".
_PREPOSITIONS = {
    "country": "in",
    "segment": "in segment",
    "cluster": "in cluster",
    "month": "in",
    "week": "in",
    "period": "in",
    "aspect": "about",
    "term": "with the word",
    "customer_id": "of customer",
    "contact_id": "of contact",
    "review_id": "of review",
    "name": "for",
    "product": "for",
    "category": "in category",
    "group": "for",
}
_ROW_KEYS = ("customer_id", "contact_id", "review_id", "key", "group", "segment", "country", "cluster", "period",
             "month", "week", "aspect", "term", "name", "category")  # fmt: skip
_TABLE_KEYS = {"month", "week", "period", "country", "segment", "cluster", "category", "product_id", "product",
               "name", "age_band", "gender", "group", "customer", "contact_row", "aspect", "term"}  # fmt: skip
_TIME_KEYS = {"month", "week", "period"}
_SKIP = {"rank", "depth", "window_days", "horizon_months", "limit", "top_n", "k", "chars_scored", "queries",
         "backtest", "evaluation", "notes", "note", "lifts", "sample_customer_ids", "matched_products", "filters",
         "export_path", "as_of", "method", "model", "mode"}  # fmt: skip
_SKIP_IN_ROWS = {"score"}  # a ranking score: only the order matters
_UNSCOPED = {"total_customers", "total_revenue", "population"}  # about everyone, not the result's scope
_SECONDARY = re.compile(
    r"^(avg|mean)_|_per_|^total_|guest|cancel|_low$|_high$|^low$|^high$|baseline|balanced|unscored|^neutral$|"
    r"^positive$|^negative$|^new_|^age$|mentions|purchase_days|expected_purchases|expected_order_value|"
    r"test_customers|^units$|matched"
)
_PREDICTED = re.compile(r"probab|expected|p_alive|predicted|risk|chance")
_NUMBER_TEXT = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?\s?%?$")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _unit(name: str, value: float) -> str:
    n = _norm(name)
    if re.search(r"share|rate|probab|p_alive|accuracy|precision|recall|baseline|importance|chance|risk", n):
        return "percent" if -1.0 <= value <= 1.0 else "count"
    if re.search(r"revenue|spend|monetary|order_value|price|balance|amount", n):
        return "money"
    if "days" in n or "recency" in n:
        return "days" if "purchase_days" not in n else "count"
    if "rating" in n:
        return "rating"
    if re.search(r"orders|frequency|purchases", n):
        return "orders"
    if "score" in n:
        return "score"
    if "lift" in n:
        return "ratio"
    return "count"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _cell_number(value: Any) -> tuple[float | int, bool] | None:
    """A table cell as (number, was a percent string), or None when it is not a number."""
    if _is_number(value):
        return value, False
    if isinstance(value, str) and _NUMBER_TEXT.match(value.strip()):
        percent = value.strip().endswith("%")
        number = float(value.replace("%", "").replace(",", "").strip())
        return (number / 100 if percent else number), percent
    return None


def _text(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;") + "…"


def _fields(model: BaseModel) -> Iterator[tuple[str, Any, str | None]]:
    cls = type(model)
    for name, info in cls.model_fields.items():
        yield name, getattr(model, name), info.description
    for name, computed in cls.model_computed_fields.items():
        yield name, getattr(model, name), computed.description


def _label(parent: str, name: str, description: str | None = None) -> str:
    key = _norm(name)
    if f"{parent}.{key}" in _LABELS:
        return _LABELS[f"{parent}.{key}"]
    if key in _LABELS:
        return _LABELS[key]
    text = (description or "").strip().rstrip(".")
    if text and len(text) <= 50 and not re.search(r"[/…(]", text):  # "Reviews with text in the index."
        return text[0].lower() + text[1:]
    return name.replace("_", " ").strip().lower()


def _short_definition(definition: str) -> str:
    """A segment definition without its boilerplate: "RFM segment champions, Germany" (empty: every customer)."""
    text = re.sub(r"^customers with at least one completed order up to [\d-]+,?\s*", "", definition.strip())
    return ", ".join(re.sub(r"^in ", "", part.strip()) for part in text.split(", ") if part.strip())


def _scope(result: BaseModel) -> str:
    """What the whole result is about, added to every label: "RFM segment champions, Germany"."""
    parts: list[str] = []
    definition = getattr(result, "definition", None)
    if isinstance(definition, str):
        parts.append(_short_definition(definition))
    for name in ("scope", "target", "country", "category"):
        value = getattr(result, name, None)
        if isinstance(value, str) and value and value not in ("all products", "all reviews"):
            parts.append(value)
    countries = getattr(result, "countries", None)
    if isinstance(countries, list) and countries and all(isinstance(c, str) for c in countries):
        parts.append(" or ".join(countries))
    filters = getattr(result, "filters", None)
    if isinstance(filters, dict):
        for name in ("segment", "country", "customer_id", "category", "product_id", "sentiment"):
            if filters.get(name):
                parts.append(f"{name.replace('_', ' ')} {filters[name]}")
    query = getattr(result, "query", None)
    if isinstance(query, str) and query:
        parts.append(f"search '{_short(query, 30)}'")
    return _short(", ".join(dict.fromkeys(p for p in parts if p)), MAX_SCOPE)


def _horizon(result: BaseModel) -> str:
    """How far ahead a result's predictions reach: "over the next 6 months", "within 90 days"."""
    months, days = getattr(result, "horizon_months", None), getattr(result, "window_days", None)
    if isinstance(months, int):
        return f"over the next {months} months"
    return f"within {days} days" if isinstance(days, int) else ""


def _source(tool: str, result: BaseModel, field: str | None = None) -> str:
    """The tool and the query or model behind a figure: "segment_query: SQL 'breakdown by country'"."""
    queries = getattr(result, "queries", None)
    if isinstance(queries, list) and queries:
        purposes = [str(getattr(q, "purpose", "")) for q in queries if getattr(q, "purpose", "")] or ["query"]
        wanted = field.replace("_", " ") if field else ""
        match = next((p for p in purposes if wanted and (p.startswith(wanted) or wanted.startswith(p))), None)
        match = match or next((p for p in purposes if p in ("summary", "totals")), purposes[0])
        return f"{tool}: SQL '{match}'"
    for name in ("method", "model"):
        value = getattr(result, name, None)
        if isinstance(value, str) and value:
            return f"{tool}: {_short(value, 80)}"
    return tool


@dataclass
class _Candidate:
    tier: int  # 0 headline, 1 a first row's main figure, 2 secondary headline, 3 everything else
    order: tuple[int, ...]
    fact: Fact


class _Walk:
    def __init__(self, tool: str, result: BaseModel) -> None:
        self.tool, self.result = tool, result
        self.scope = _scope(result)
        self.forecast = "forecast" in type(result).__name__.lower() or "forecast" in tool
        self.horizon = _horizon(result)
        self.found: list[_Candidate] = []
        self.lists = 0

    def run(self) -> list[Fact]:
        for name, value, description in _fields(self.result):
            if name in _SKIP or name.endswith("_id") or value is None:
                continue
            if _is_number(value):
                self._headline(name, name, value, description)
            elif isinstance(value, Table):
                self._table(name, value)
            elif isinstance(value, BaseModel):
                self._nested(name, value)
            elif isinstance(value, list) and value and all(isinstance(v, Table) for v in value):
                for table in value:
                    self._table(name, table)
            elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
                self._rows(name, value)
            elif isinstance(value, list) and value and all(_is_pair(v) for v in value):
                self._pairs(name, value)
            elif isinstance(value, dict) and value and all(_is_number(v) for v in value.values()):
                self._dict(name, value)
        ranked = sorted(self.found, key=lambda c: (c.tier, c.order))
        seen: set[tuple[str, str]] = set()
        facts = []
        for candidate in ranked:
            mark = (candidate.fact.label, str(candidate.fact.value))
            if mark not in seen:
                seen.add(mark)
                facts.append(candidate.fact)
        return facts

    def _kind(self, name: str) -> Kind:
        if self.forecast or "forecast" in name:
            return "forecast"
        return "prediction" if _PREDICTED.search(_norm(name)) else "actual"

    def _fact(
        self, head: str, value: float | int, unit: str, name: str, field: str, where: str = "", key: str = ""
    ) -> Fact:
        """`head` what is measured, `where` its row in words ("in Germany"), `key` the row's own value."""
        kind = self._kind(name)
        label = f"{head} {where}".strip()
        if kind != "actual" and self.horizon:
            label = f"{label} {self.horizon}"
        scope = self.scope if name not in _UNSCOPED else ""
        full = f"{label} ({scope})" if scope else label
        source = _source(self.tool, self.result, field)
        if kind == "actual" and not getattr(self.result, "queries", None) and source != self.tool:
            source = f"{self.tool}: warehouse data"  # the model explains predictions, not the data they start from
        return Fact(label=full, value=value, unit=unit, source=source, kind=kind, head=head, key=key, scope=scope)

    def _add(self, tier: int, order: tuple[int, ...], fact: Fact) -> None:
        self.found.append(_Candidate(tier, order, fact))

    def _headline(self, parent: str, name: str, value: float | int, description: str | None, key: str = "") -> None:
        secondary = bool(_SECONDARY.search(_norm(name)))
        where = f"for {key}" if key else ""
        fact = self._fact(_label(parent, name, description), value, _unit(name, value), name, parent, where, key)
        self._add(2 if secondary else 0, (len(self.found),), fact)

    def _nested(self, parent: str, model: BaseModel) -> None:
        """A single group of figures (a sentiment split, the all-customer total of a CLV result)."""
        key = next((_text(getattr(model, k)) for k in _ROW_KEYS if isinstance(getattr(model, k, None), str)), "")
        for name, value, description in _fields(model):
            if _is_number(value) and name not in _SKIP:
                self._headline(parent, name, value, description, key if key != "all" else "")

    def _row_figures(
        self, parent: str, rank: int, figures: list[tuple[str, float | int, str]], where: str, key: str
    ) -> None:
        """Figures of one row: (name, value, unit). The first main ones of the first rows come early."""
        group = self.lists
        main = 0
        for j, (name, value, unit) in enumerate(figures):
            secondary = bool(_SECONDARY.search(_norm(name)))
            tier = 1 if rank < MAX_ROWS and not secondary and main < 3 else 3
            main += not secondary
            fact = self._fact(_label(parent, name), value, unit, name, parent, where, key)
            self._add(tier, (rank, group, j), fact)

    def _rows(self, parent: str, rows: list[BaseModel]) -> None:
        self.lists += 1
        key_name = self._key_name(rows[0])
        order = list(range(len(rows)))
        if key_name in _TIME_KEYS or parent in ("monthly", "trend", "history"):
            order.reverse()  # a time series: the latest periods matter most
        for rank, i in enumerate(order):
            row = rows[i]
            where, key = self._where(row, key_name) or (f"for {_singular(parent)} {i + 1}", f"{i + 1}")
            figures = [
                (name, value, _unit(name, value))
                for name, value, _ in _fields(row)
                if _is_number(value) and name not in _SKIP and name not in _SKIP_IN_ROWS and not name.endswith("_id")
            ]
            self._row_figures(parent, rank, figures, where, key)

    def _key_name(self, row: BaseModel) -> str:
        """What a row's key is: a breakdown's `key` is whatever the result was grouped by."""
        field = next((k for k in _ROW_KEYS if getattr(row, k, None) is not None), "")
        if field == "key":
            return _norm(_text(getattr(self.result, "group_by", "group")))
        if field == "group":
            filters = getattr(self.result, "filters", None)
            return _norm(str(filters.get("group_by", "group"))) if isinstance(filters, dict) else "group"
        if field == "segment" and isinstance(getattr(self.result, "segment_by", None), str):
            return _norm(self.result.segment_by)  # type: ignore[attr-defined]
        return field

    def _where(self, row: BaseModel, key_name: str) -> tuple[str, str] | None:
        """The row in words ("in Germany") and its key ("Germany")."""
        field = next((k for k in _ROW_KEYS if getattr(row, k, None) is not None), "")
        if not field:
            return None
        key = _short(_text(getattr(row, field)), MAX_KEY)
        if field == "name" and getattr(row, "product_id", None):
            key = f"{key} ({row.product_id})"  # type: ignore[attr-defined]
        if field == "review_id" and getattr(row, "product_name", None):
            key = f"{key} ({row.product_name})"  # type: ignore[attr-defined]
        if field == "term":
            key = f"'{key}'"
        return f"{_PREPOSITIONS.get(key_name, 'for ' + key_name.replace('_', ' '))} {key}", key

    def _table(self, parent: str, table: Table) -> None:
        self.lists += 1
        names = [_norm(c) for c in table.columns]
        keys = [i for i, n in enumerate(names) if n in _TABLE_KEYS or n.endswith("_id")]
        if not keys:
            texts = [i for i in range(len(names)) if all(_cell_number(r[i]) is None for r in table.rows if len(r) > i)]
            keys = texts[:1]
        order = list(range(len(table.rows)))
        if any(names[i] in _TIME_KEYS for i in keys) or parent in ("monthly", "trend", "history"):
            order.reverse()
        for rank, i in enumerate(order):
            row = table.rows[i]
            where, key = self._table_where(names, keys, row) or (f"for row {i + 1}", f"{i + 1}")
            figures: list[tuple[str, float | int, str]] = []
            for j, cell in enumerate(row):
                parsed = None if j in keys else _cell_number(cell)
                if parsed is not None:
                    number, percent = parsed
                    figures.append((table.columns[j], number, "percent" if percent else _unit(names[j], number)))
            self._row_figures(parent, rank, figures, where, key)

    @staticmethod
    def _table_where(names: list[str], keys: list[int], row: list[Any]) -> tuple[str, str] | None:
        values = {names[i]: row[i] for i in keys if i < len(row) and row[i] not in (None, "")}
        if not values:
            return None
        if "name" in values:
            code = values.get("product_id") or values.get("product")
            key = f"{_short(str(values['name']), MAX_KEY)}" + (f" ({code})" if code else "")
            return f"for {key}", key
        first = next(iter(values))
        key = ", ".join(_short(str(v), MAX_KEY) for v in values.values())
        return f"{_PREPOSITIONS.get(first, 'for ' + first.replace('_', ' '))} {key}", key

    def _pairs(self, parent: str, pairs: list[Any]) -> None:
        self.lists += 1
        order = list(range(len(pairs)))
        if parent in ("monthly", "trend", "history"):
            order.reverse()
        for rank, i in enumerate(order):
            key, value = pairs[i][0], pairs[i][1]
            self._row_figures(parent, rank, [(parent, value, _unit(parent, value))], f"for {key}", str(key))

    def _dict(self, parent: str, values: dict[str, Any]) -> None:
        template = _LABELS.get(parent, parent.replace("_", " ") + ": {key}")
        secondary = bool(_SECONDARY.search(parent)) or parent == "feature_importance"
        for key, value in values.items():
            unit = _unit(parent, value) if parent != "by_risk" else "count"
            words = key.replace("_", " ")
            fact = self._fact(template.format(key=words), value, unit, parent, parent, key=words)
            self._add(3 if secondary else 0, (len(self.found),), fact)


def _is_pair(value: Any) -> bool:
    return isinstance(value, tuple | list) and len(value) == 2 and isinstance(value[0], str) and _is_number(value[1])


def _singular(name: str) -> str:
    name = name.replace("_", " ")
    return name[:-1] if name.endswith("s") else name


def facts_from_result(tool: str, result: BaseModel) -> list[Fact]:
    """The result's named facts, most important first (headline figures, then the first rows), at most 24,
    numbered f1, f2, …. A result with a `facts()` method labels its own; any other result is walked."""
    own = getattr(result, "facts", None)
    facts = list(own()) if callable(own) else _Walk(tool, result).run()
    facts = [f if f.source else f.model_copy(update={"source": tool}) for f in facts[:MAX_FACTS]]
    return [f.model_copy(update={"id": f"f{i}"}) for i, f in enumerate(facts, start=1)]
