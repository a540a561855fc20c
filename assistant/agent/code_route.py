"""The whole call from code, when code has read the whole request: no routing model is asked.

Code decides the tool of some requests (a metric only query_metrics computes, a bound only segment_query takes:
metric_request.py, fill.bounded_tool) and the model then only fills the inputs. When everything the request
states is already an input code filled - each value it names, each number, the period - the model has nothing
left to add but mistakes, and its call costs seconds before the first content. The same holds for a short
follow-up that changes values of the previous call ("and just for Norway?"). Anything code does not read (a number
no input took, a value left over, goods named by description, a negation or exclusion, a second question, a file,
words that read two ways) sends the request to the model as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from assistant.agent.settle import settle_arguments
from assistant.agent.understanding import SUBJECT_CALL, Understander, Understanding
from assistant.understand.aliases import fold
from assistant.understand.fill import PERIOD_FIELDS
from assistant.understand.glossary import without_terms
from assistant.understand.goods import catalogue_words, named_goods
from assistant.understand.metric_request import request_terms
from assistant.understand.provenance import content_size
from assistant.understand.scope import asks_for_copy, blank_terms, shop_terms
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


# A second question or task joined to the first ("…, and what do they buy?", "? Also write …"): code reads one.
_SECOND_ASK = re.compile(
    r"(?<![^\W\d_])(?:and|or|then|plus|y|o|luego|und|oder|dann|et|ou|puis|e|depois)\s+(?:also\s+|then\s+)?"
    r"(?:what|which|who|whom|how|why|when|where|show|list|give|tell|write|send|compare|find|qu[eé]|cu[aá]l\w*|"
    r"qui[eé]n\w*|c[oó]mo|por qu[eé]|was|welche\w*|wer|wie|warum|wo|zeig\w*|schreib\w*|quel\w*|que|qui|"
    r"comment|pourquoi|o que|qual|quais|quem|como|mostr\w*|escrev\w*|escrib\w*|list\w*)(?![^\W\d_])"
    r"|[?？]\s*\S|另外|还有|然后|并且|同时|以及",
    re.IGNORECASE,
)


def _excludes(question: str, language: str) -> bool:
    pattern = _EXCLUSION.get(language)
    return pattern is None or bool(pattern.search(question))  # a language without its words: not read whole


def code_call(
    understander: Understander, tool: Tool[Any], seen: Understanding, question: str
) -> tuple[dict[str, Any], list[str]] | None:
    """(the tool's validated arguments, what code set) when code's reading covers the whole request; else None."""
    if not _plain(understander, seen, question):
        return None
    args, notes = settle_arguments(understander, tool, {}, seen, question)
    valid = _whole(tool, args, seen)
    return (valid, notes) if valid is not None else None


# A follow-up that changes one thing of the previous call is short: "and just for Norway?", "那挪威呢？".
FOLLOW_UP_SIZE = 8
# "also", "too", "as well": a value added to the previous ones, not one in their place; the model reads which.
_ADDITIVE = re.compile(
    r"(?<![^\W\d_])(?:also|too|as well|plus|auch|ebenfalls|sowie|aussi|également|también|además|também|"
    r"tambem|além)(?![^\W\d_])|也|还有|以及|加上",
    re.IGNORECASE,
)
# Inputs that go with a breakdown: a new breakdown starts without the old one's second level, rows and order.
_WITH_BREAKDOWN = ("then_by", "top_n", "sort", "limit")


def refine_call(
    understander: Understander, tools: dict[str, Tool[Any]], seen: Understanding, question: str
) -> tuple[str, dict[str, Any], list[str]] | None:
    """(tool, arguments, what code set) for a short follow-up that changes values of the previous turn's call
    ("and just for the Netherlands?", "¿y en 2010?", "那按周呢？"): that call again, each input the request
    names anew replaced, every other kept. None when the request adds to the values ("also"), asks something
    else, or says what code does not read."""
    previous, name = seen.subject.get(SUBJECT_CALL), seen.subject.get("tool")
    if not (seen.follow_up and isinstance(previous, dict) and isinstance(name, str) and name in tools):
        return None
    request = seen.metric_request
    if content_size(question) > FOLLOW_UP_SIZE or _ADDITIVE.search(question) or request.other_tool:
        return None
    if asks_for_copy(question) or seen.review_filter or seen.slots.bounds or not _plain(understander, seen, question):
        return None
    tool = tools[name]
    new, notes = settle_arguments(understander, tool, {}, seen, question)
    fresh = {k: v for k, v in new.items() if previous.get(k) != v}
    if not fresh:
        return None  # nothing of the call changes: "and why?" is the model's
    replaced = set(fresh)
    for pair in PERIOD_FIELDS:
        if replaced & set(pair):
            replaced |= set(pair)
    if replaced & {"group_by", "metric"}:
        replaced |= set(_WITH_BREAKDOWN) - set(fresh)
    args = {k: v for k, v in previous.items() if k not in replaced} | fresh
    valid = _whole(tool, args, seen)
    if valid is None:
        return None
    return name, valid, [f"the previous call ({name}) with {', '.join(sorted(fresh))} as this request names", *notes]


def _plain(understander: Understander, seen: Understanding, question: str) -> bool:
    """No words code leaves to the model: a negation or exclusion, a second question or task, a reading two ways,
    a file, a place or goods the data does not hold, goods named by description or by product-name words."""
    if _excludes(question, seen.language) or _SECOND_ASK.search(question.strip()):
        return False
    if seen.slots.ambiguous or seen.slots.wants_file:
        return False
    if seen.unknown_places or seen.unknown_goods or named_goods(question, understander.resolver):
        return False
    return not goods_left(understander, seen, question)


def goods_left(understander: Understander, seen: Understanding, question: str) -> list[str]:
    """Words of the catalogue's product names left in the request once every word code reads is taken out (the
    values, numbers and periods it found, the glossary, the metric words, the shop's words): "units of the
    jumbo bag" names a product that no input code fills holds."""
    text = question
    slots = seen.slots
    spans = [m.surface for m in seen.mentions] + [b.surface for b in slots.bounds] + [p.surface for p in slots.periods]
    spans += [m.surface for m in slots.money] + [d.surface for d in slots.durations]
    for span in sorted(spans, key=len, reverse=True):  # longest first: a period inside a bound goes with it
        text = text.replace(span, " ")
    folded = blank_terms(blank_terms(without_terms(text), request_terms()), shop_terms())
    left = catalogue_words(folded, understander.vocabulary)
    if seen.language == "de":  # German goods are nouns, capitalised, and the catalogue's words are English
        rest = set(re.findall(r"\w+", folded))
        left += [w for w in _GERMAN_NOUN.findall(text) if fold(w) in rest]
    return left


_GERMAN_NOUN = re.compile(r"(?<=[\w,;:] )[A-ZÄÖÜ][a-zäöüß]{3,}")  # not the first word of the request


def _whole(tool: Tool[Any], args: dict[str, Any], seen: Understanding) -> dict[str, Any] | None:
    """The validated arguments when they hold every value and number the request states; else None."""
    try:
        valid = tool.input_model.model_validate(args)
    except ValidationError:
        return None  # an input only the model can fill (the metric of "how are we doing by month?")
    dumped = valid.model_dump(mode="json", exclude_defaults=True)
    values = list(_leaves(dumped.values()))
    if not all(_holds(values, m.value) for m in seen.mentions):
        return None  # a value the request names that no input took
    if not all(_number_used(n, values) for n in seen.slots.numbers):
        return None  # a number no input took ("cluster 3", "the first 50")
    return dumped


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
