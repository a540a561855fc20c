"""The whole call from code, when code has read the whole request: no routing model is asked.

Code decides the tool of some requests (a metric only query_metrics computes, a bound only segment_query takes:
metric_request.py, fill.bounded_tool) and the model then only fills the inputs. When everything the request
states is already an input code filled - each value it names, each number, the period - the model has nothing
left to add but mistakes, and its call costs seconds before the first content. Anything code does not read (a
number no input took, a value left over, goods named by description, a negation or exclusion, a file, words that
read two ways) sends the request to the model as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from assistant.agent.settle import settle_arguments
from assistant.agent.understanding import Understander, Understanding
from assistant.understand.aliases import fold
from assistant.understand.goods import named_goods
from tools.base import Tool

# "not", "without", "except", "other than" ...: which values a request leaves out is the model's to read. Per
# language ("no" is Portuguese for "in the"); a comparator ("no more than", "nicht mehr als") is no negation.
_WORD = r"(?<![^\W\d_])(?:{})(?![^\W\d_])"
_EXCLUSION: dict[str, re.Pattern[str]] = {
    language: re.compile(pattern, re.IGNORECASE)
    for language, pattern in {
        "en": _WORD.format(r"not(?!\s+(?:more|less|fewer)\s+than)|no(?!\s+(?:more|less|fewer)\s+than)|never|"
                           r"without|except|excluding|exclude|besides|other than|apart from|outside") + "|n't",
        "es": _WORD.format(r"no(?!\s+(?:más|menos)\s+de)|nunca|sin|excepto|salvo|fuera de|excluyendo"),
        "de": _WORD.format(r"nicht(?!\s+(?:mehr|weniger)\s+als)|nie|kein\w*|ohne|außer|ausser|ausgenommen"),
        "fr": _WORD.format(r"ne|n|pas|jamais|sans|sauf|hors|excepté|exceptés"),
        "pt": _WORD.format(r"não(?!\s+mais\s+(?:de|que))|nao|nunca|sem|exceto|fora"),
        "zh": r"除了|不包括|以外|之外|[没未非]|不(?!同|少于|低于|超过|多于|高于|到|足)",
    }.items()
}  # fmt: skip


def _excludes(question: str, language: str) -> bool:
    pattern = _EXCLUSION.get(language)
    return pattern is None or bool(pattern.search(question))  # a language without its words: not read whole


def code_call(
    understander: Understander, tool: Tool[Any], seen: Understanding, question: str
) -> tuple[dict[str, Any], list[str]] | None:
    """(the tool's validated arguments, what code set) when code's reading covers the whole request; else None."""
    if _excludes(question, seen.language) or seen.slots.ambiguous or seen.slots.wants_file:
        return None
    if seen.unknown_places or seen.unknown_goods or named_goods(question, understander.resolver):
        return None
    args, notes = settle_arguments(understander, tool, {}, seen, question)
    try:
        valid = tool.input_model.model_validate(args)
    except ValidationError:
        return None  # an input only the model can fill (the metric of "how are we doing by month?")
    args = valid.model_dump(mode="json", exclude_defaults=True)
    values = list(_leaves(args.values()))
    if not all(_holds(values, m.value) for m in seen.mentions):
        return None  # a value the request names that no input took
    if not all(_number_used(n, values) for n in seen.slots.numbers):
        return None  # a number no input took ("cluster 3", "the first 50")
    return args, notes


def _leaves(values: Iterable[Any]) -> Iterable[Any]:
    for v in values:
        if isinstance(v, list | tuple):
            yield from _leaves(v)
        elif isinstance(v, dict):
            yield from _leaves(v.values())
        else:
            yield v


def _holds(values: list[Any], value: str) -> bool:
    return any(isinstance(v, str) and fold(v) == fold(value) for v in values)


def _number_used(n: float, values: list[Any]) -> bool:
    """A stated number some input holds: as said, as a strict whole-number bound (N+1, N-1) or a share (65 % as
    0.65)."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return any(abs(v - c) < 1e-9 for v in numbers for c in (n, n + 1, n - 1, n / 100))
