"""Requests only `query_metrics` answers, decided by code (metric_request.yaml).

A 1.5B router sends "repeat rate by segment" to segment_query (which states no repeat rate) and "orders per month
in the Netherlands" to customer_overview: the question's metric or time breakdown exists in no other tool, yet the
model picks the tool whose description shares the most words. Code reads what no other tool serves — a metric only
the metrics layer computes (cancellations, units sold; the repeat rate, the order value, the revenue per customer,
the average rating, the recommend rate and the sentiment shares when broken down by a group — segment, country,
department, age band …: customer_overview, segment_query and analyze_sentiment state them for one scope only) and
a breakdown of past figures by day, week, weekday, month or quarter — and the routing decision is then constrained
to query_metrics; the model still fills the filters and period, and code sets the one metric and breakdown the
request names. The repeat rate of a filter ("in France") goes to customer_overview, which states it with its
customer count. A request that also names another tool's question (a forecast, a prediction, an explanation,
recommendations, copy) is left to the model; a metric's own words ("would recommend") are not read as one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from assistant.understand.aliases import fold_words
from assistant.understand.glossary import glosses_in_any_language
from assistant.understand.language import LANGUAGES
from assistant.understand.scope import blank_terms, named_terms
from tools.metrics.dimensions import TIME_DIMENSIONS as TIME

METRICS_TOOL = "query_metrics"
_CJK = re.compile(r"[\u3400-\u9fff]")
TIME_DIMENSIONS = frozenset(d.value for d in TIME)  # the metrics layer's units of time


@dataclass(frozen=True)
class _Named:
    gloss: str  # glossary.yaml's gloss: the other languages' terms
    terms: tuple[str, ...]  # English, and any other language's listed with the entry
    needs_rate: bool = False  # named only beside a rate word ("share of negative reviews") or a count word
    with_rate: tuple[str, ...] = ()  # words naming it only beside a rate word ("percentage … recommend")


@dataclass(frozen=True)
class _Lexicon:
    metrics: dict[str, _Named]
    by_group: dict[str, frozenset[str] | None]  # metric another tool states for a filter -> the tools (None: any)
    time: dict[str, _Named]  # unit of time -> its words
    groups: dict[str, tuple[str, ...]]  # group -> "by segment", "par segment", "按分群"... in every language
    counted_groups: dict[str, re.Pattern[str]]  # group -> "3 countries", "3 pays", "3个国家": N of its members
    rate_words: tuple[str, ...]  # all languages
    count_words: tuple[str, ...]  # all languages
    count_of: dict[str, str]  # a rate -> the count its words name without a rate word ("cancellations")
    fillers: re.Pattern[str]  # words between a "by" word and a group's noun
    narrows: dict[str, str]  # a metric -> the broader one its count's words also name
    other_glosses: frozenset[str]
    other_words: tuple[str, ...]
    measures: dict[str, _Named]  # revenue, orders, customers: the metric once code has chosen query_metrics
    lowest: tuple[str, ...]  # a ranking from the bottom, all languages


def _group_terms(by: dict[str, list[str]], nouns: dict[str, list[str]], after: dict[str, list[str]]) -> tuple[str, ...]:
    """Each language's "by" words before each of its nouns for the group ("by segment", "nach Segment", "按分群"),
    and its ranking phrases after them ("department with the lowest")."""
    out = []
    for language, words in nouns.items():
        for prep in by.get(language, []):
            out += [fold_words(f"{prep}{n}" if _CJK.search(prep) else f"{prep} {n}") for n in words]
        for tail in after.get(language, []):
            out += [fold_words(f"{n}{tail}" if _CJK.search(n) else f"{n} {tail}") for n in words]
    return tuple(out)


def _counted(nouns: dict[str, list[str]]) -> re.Pattern[str]:
    """A number right before one of the group's nouns, in any language: "the 3 countries with …", "les 5 pays",
    "前3个国家" rank that many of the group's members."""
    words = sorted({fold_words(n) for terms in nouns.values() for n in terms}, key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\d.,a-z])(\d{{1,3}})\s*(?:个|家)?\s*(?:{alternatives})(?![a-z])")


def _tools(value: str | list[str] | bool) -> frozenset[str] | None:
    """metric_request.yaml's `by_group`: a tool, a list of tools, or `true` (any tool: the model's choice)."""
    if isinstance(value, bool):
        return None
    return frozenset([value] if isinstance(value, str) else value)


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    text = resources.files("assistant.understand").joinpath("metric_request.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)

    def entries(group: str) -> dict[str, _Named]:
        return {
            name: _Named(
                e["gloss"],
                tuple(fold_words(t) for language in LANGUAGES if language in e for t in e[language]),
                bool(e.get("needs_rate")),
                tuple(fold_words(t) for terms in (e.get("with_rate") or {}).values() for t in terms),
            )
            for name, e in data[group].items()
        }

    groups = data["groups"]
    by = {
        language: groups["by"].get(language, []) + groups["which"].get(language, [])
        + groups["ranked_before"].get(language, [])
        for language in LANGUAGES
    }  # fmt: skip
    return _Lexicon(
        metrics=entries("metrics"),
        by_group={name: _tools(e["by_group"]) for name, e in data["metrics"].items() if e.get("by_group")},
        time=entries("breakdowns"),
        groups={name: _group_terms(by, nouns, groups["ranked_after"]) for name, nouns in groups["nouns"].items()},
        counted_groups={name: _counted(nouns) for name, nouns in groups["nouns"].items()},
        rate_words=tuple(fold_words(t) for terms in data["rate_words"].values() for t in terms),
        count_words=tuple(fold_words(t) for terms in data["count_words"].values() for t in terms),
        count_of={name: e["count"] for name, e in data["metrics"].items() if e.get("count")},
        narrows={name: e["narrows"] for name, e in data["metrics"].items() if e.get("narrows")},
        fillers=_filler_pattern([fold_words(t) for terms in groups["fillers"].values() for t in terms]),
        other_glosses=frozenset(data["other_tools"]["glosses"]),
        other_words=tuple(fold_words(t) for t in data["other_tools"]["en"]),
        measures=entries("measures"),
        lowest=tuple(fold_words(t) for terms in data["lowest"].values() for t in terms),
    )


def _says(folded: str, terms: tuple[str, ...]) -> bool:
    words = tuple(t for t in terms if re.search(r"\w", t))  # a sign ('%') is looked for as it is
    return bool(named_terms(folded, words)) or any(t in folded for t in terms if not re.search(r"\w", t))


def request_terms() -> tuple[str, ...]:
    """Every word this reading knows (metrics, breakdowns, groups, rate, count and ranking words), folded."""
    lexicon = _lexicon()
    named = [*lexicon.metrics.values(), *lexicon.measures.values(), *lexicon.time.values()]
    return (
        *(t for e in named for t in (*e.terms, *e.with_rate)),
        *(t for terms in lexicon.groups.values() for t in terms),
        *lexicon.rate_words, *lexicon.count_words, *lexicon.lowest,
    )  # fmt: skip


@dataclass(frozen=True)
class MetricRequest:
    """What code read: the metrics only query_metrics computes, the breakdowns by time and by group the request
    names, and whether it also asks another tool's question."""

    metrics: tuple[str, ...] = ()
    breakdowns: tuple[str, ...] = ()  # units of time
    groups: tuple[str, ...] = ()  # segment, country, category
    other_tool: bool = False
    by_group: frozenset[str] = frozenset()  # of `metrics`, those another tool states without a breakdown
    filter_tool: str | None = None  # the tool that states every one of `metrics` for a filter, if one does
    counted: bool = False  # a count word was said ("how many negative reviews"): a count, not a share
    measures: tuple[str, ...] = ()  # revenue, orders, customers named: the metric of a breakdown code routed
    ranked: int | None = None  # "the 3 countries with …": how many of the group's members
    lowest: bool = False  # a ranking from the bottom ("the lowest", "la peor", "最低")

    @property
    def only_metrics_tool(self) -> bool:
        """True when no other tool can answer: a metric only the metrics layer states (for some, only broken down
        by a group), or a breakdown by time; and no other tool's question."""
        alone = [m for m in self.metrics if m not in self.by_group or self.groups or self.breakdowns]
        return bool(alone or self.breakdowns) and not self.other_tool

    @property
    def tool(self) -> str | None:
        """The tool code routes to, or None (the model's choice): query_metrics for what only it serves; the
        overview for a metric it states for a filter ("repeat rate in France": the rate with its customer count)."""
        if self.only_metrics_tool:
            return METRICS_TOOL
        if self.metrics and set(self.metrics) <= self.by_group and not self.other_tool:
            return self.filter_tool
        return None


def read_metric_request(question: str, future: bool = False) -> MetricRequest:
    """`future`: the request names a future period (slots.py): a forecast, another tool's question."""
    lexicon = _lexicon()
    folded = fold_words(question)
    said = glosses_in_any_language(question)

    rate = _says(folded, lexicon.rate_words)
    ranks = {g: int(m.group(1)) for g, counted in lexicon.counted_groups.items() if (m := counted.search(folded))}
    groups = (
        _groups_named(folded, lexicon.groups)
        or _groups_named(lexicon.fillers.sub(" ", folded), lexicon.groups)
        or tuple(ranks)
    )
    count_said = not rate and _says(folded, lexicon.count_words)
    counted = count_said or (not rate and bool(groups))  # "negative reviews per class"

    def named(entries: dict[str, _Named]) -> tuple[str, ...]:
        return tuple(
            n for n, e in entries.items()
            if (e.gloss in said or _says(folded, e.terms) or (rate and _says(folded, e.with_rate)))
            and (rate or not e.needs_rate or (counted and n in lexicon.count_of))
        )  # fmt: skip

    said_metrics = named(lexicon.metrics)
    if not rate:  # "how many negative reviews" names the review count too: the narrower count is asked for
        broader = {lexicon.narrows[m] for m in said_metrics if m in lexicon.narrows}
        said_metrics = tuple(m for m in said_metrics if m not in broader)
    metrics = said_metrics if rate else tuple(lexicon.count_of.get(m, m) for m in said_metrics)
    breakdowns = named(lexicon.time)
    if "weekday" in breakdowns:  # "par jour de la semaine" says "par jour" too: the weekday is what is meant
        breakdowns = tuple(b for b in breakdowns if b not in ("day", "week"))
    own_words = tuple(t for m in said_metrics for t in (*lexicon.metrics[m].terms, *lexicon.metrics[m].with_rate))
    rest = blank_terms(folded, own_words)  # "would recommend" is no request for recommendations
    other = future or bool(glosses_in_any_language(rest) & lexicon.other_glosses) or _says(rest, lexicon.other_words)
    stated = [(m, as_said) for m, as_said in zip(metrics, said_metrics, strict=True) if as_said in lexicon.by_group]
    ranked = {ranks[g] for g in groups if g in ranks}
    return MetricRequest(
        metrics=metrics, breakdowns=breakdowns, groups=groups, other_tool=other,
        by_group=frozenset(m for m, _ in stated),  # a count as its rate: "negative reviews" of a scope
        filter_tool=_one_tool_for_all([lexicon.by_group[as_said] for _, as_said in stated]), counted=count_said,
        measures=() if metrics else named(lexicon.measures), ranked=ranked.pop() if len(ranked) == 1 else None,
        lowest=_says(folded, lexicon.lowest),
    )  # fmt: skip


def _filler_pattern(words: list[str]) -> re.Pattern[str]:
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in ordered) + r")(?!\w)")


def _groups_named(folded: str, groups: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The groups the request breaks down by; one named only inside another's words goes ("哪个产品大类" names the
    division, not also the product)."""
    found = {g: set(named_terms(folded, terms)) for g, terms in groups.items()}
    longer = {g: {u for h, words in found.items() if h != g for u in words} for g in found}
    return tuple(
        g for g, words in found.items() if words and not all(any(w != u and w in u for u in longer[g]) for w in words)
    )


def _one_tool_for_all(tools: list[frozenset[str] | None]) -> str | None:
    """The one tool that states every metric for a filter ("repeat rate and order value in Denmark": the
    overview), or None; a metric any tool may state (None) narrows nothing."""
    known = [t for t in tools if t is not None]
    if not known:
        return None
    common = frozenset.intersection(*known)
    return next(iter(common)) if len(common) == 1 else None


def settle_metric_arguments(
    tool: str, args: dict[str, Any], request: MetricRequest, known_metrics: Sequence[str]
) -> tuple[dict[str, Any], list[str]]:
    """(arguments, what code changed) for query_metrics: the one metric the request names replaces the model's
    choice (when the workspace defines it), and the one time breakdown it names is the breakdown (or replaces
    another unit of time)."""
    if tool != METRICS_TOOL:
        return args, []
    out = dict(args)
    notes: list[str] = []
    named = request.metrics[0] if len(request.metrics) == 1 else None
    if not request.metrics and len(request.measures) == 1:
        named = request.measures[0]  # "orders per month": the one metric every tool states that it names
    count_of = _lexicon().count_of
    if named in count_of.values() and out.get("metric") in count_of and not request.counted:
        named = None  # no rate word read, yet the model chose the rate: a missing word is no evidence of a count
    if named and named in known_metrics and out.get("metric") != named:
        was = out.get("metric")
        out["metric"] = named
        notes.append(f"metric {named!r}" + (f" instead of {was!r}" if was else "") + ": the request names it")
    if len(request.breakdowns) == 1:
        unit = request.breakdowns[0]
        dims = [out.get("group_by"), out.get("then_by")]
        if unit not in dims:
            if out.get("group_by") in (None, *TIME_DIMENSIONS):
                was = out.get("group_by")
                out["group_by"] = unit
                notes.append(f"group_by {unit!r}" + (f" instead of {was!r}" if was else "") + ": the request names it")
            elif out.get("then_by") in (None, *TIME_DIMENSIONS):
                out["then_by"] = unit
                notes.append(f"then_by {unit!r}: the request names it")
    elif len(request.groups) == 1 and not request.breakdowns:
        group = request.groups[0]  # "repeat rate by segment", "note moyenne par tranche d'âge"
        if group not in (out.get("group_by"), out.get("then_by")):
            was = out.get("group_by")
            out["group_by"] = group
            notes.append(f"group_by {group!r}" + (f" instead of {was!r}" if was else "") + ": the request names it")
        second = out.get("then_by")
        if second is not None and second != group and out.get("group_by") == group:
            del out["then_by"]  # a second breakdown the request does not name
            notes.append(f"then_by {second!r} left out: the request names one breakdown")
    if request.ranked and out.get("top_n") is None:
        out["top_n"] = request.ranked
        notes.append(f"top_n {request.ranked}: the request ranks that many")
    if request.lowest and out.get("sort") in (None, "auto", "value_desc") and out.get("group_by"):
        out["sort"] = "value_asc"
        notes.append("sort 'value_asc': the request ranks from the lowest")
    return out, notes
