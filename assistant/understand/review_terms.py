"""How a request speaks of reviews themselves (review_terms.yaml), in every language.

Two readings, both code's and not the router's: `names_reviews_only` tells a review "topic" that is no topic
('quejas', '评价', 'Bewertungen über unsere Kleider' once the category is read), and `polarity` the sentiment a
request asks to keep ("only the negative ones", "只看差评", "juste les plaintes").
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from assistant.understand.aliases import EntityResolver, fold_words

Polarity = Literal["negative", "positive"]
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    """One pattern per group (whole, negative, positive), all languages, longest terms first."""
    text = resources.files("assistant.understand").joinpath("review_terms.yaml").read_text(encoding="utf-8")
    out: dict[str, re.Pattern[str]] = {}
    for group, by_language in yaml.safe_load(text).items():
        terms = sorted({fold_words(t) for ts in by_language.values() for t in ts}, key=len, reverse=True)
        alternatives = [re.escape(t) if _CJK.search(t) else rf"(?<!\w){re.escape(t)}(?!\w)" for t in terms]
        out[group] = re.compile("|".join(alternatives))
    return out


def names_reviews_only(text: str, also: tuple[str, ...] = ()) -> bool:
    """True when every word of `text` names reviews themselves (or is one of `also`, e.g. the request's
    category words): 'plaintes', '评价我们的夹克' with 夹克 given, 'customer feedback'."""
    rest = _patterns()["whole"].sub(" ", fold_words(text))
    for word in sorted((fold_words(w) for w in also if w.strip()), key=len, reverse=True):
        rest = rest.replace(word, " ")
    return not _WORD.search(rest)


def polarity(text: str) -> Polarity | None:
    """The one polarity a request names ('negative' for "just the complaints"); None for none or both."""
    folded = fold_words(text)
    found = [p for p in ("negative", "positive") if _patterns()[p].search(folded)]
    if len(found) != 1:
        return None
    only: Polarity = "negative" if found[0] == "negative" else "positive"
    return only


# A request that counts ("how many are negative?") asks for a number, not for the reviews themselves.
_COUNTING = re.compile(
    r"how many|how much|what share|which share|percent|proportion|ratio|%|cu[aá]nt[oa]s|porcentaje|wie viele|"
    r"anteil|prozent|combien|pourcentage|proportion|quant[oa]s|percentagem|porcentagem|多少|比例|占比|几",
    re.IGNORECASE,
)
REVIEW_TOOLS = frozenset({"analyze_sentiment", "search_reviews"})
MAX_FILTER_WORDS = 8  # "and only the negative ones, please": longer requests say more than a filter
MAX_FILTER_CJK = 15


def filter_polarity(text: str, previous_tool: str | None) -> Polarity | None:
    """The polarity a short follow-up asks to keep of the reviews just shown ("only the negative ones" after a
    sentiment or review answer); None when the request is no such filter."""
    if previous_tool not in REVIEW_TOOLS or _COUNTING.search(text):
        return None
    cjk = len(_CJK.findall(text))
    if len(_WORD.findall(_CJK.sub(" ", text))) > MAX_FILTER_WORDS or cjk > MAX_FILTER_CJK:
        return None
    return polarity(text)


REQUEST_SHARE = 0.8  # a topic holding this share of the request's words is the request copied


def _is_the_request(topic: str, question: str) -> bool:
    asked = set(_WORD.findall(fold_words(question)))
    said = set(_WORD.findall(fold_words(topic)))
    return len(asked) >= 3 and len(said & asked) >= REQUEST_SHARE * len(asked)


def settle_review_arguments(
    tool: str, args: dict[str, Any], resolver: EntityResolver, question: str
) -> tuple[dict[str, Any], list[str]]:
    """(arguments, what code changed): a `topic` that only names reviews goes (the tool reads all reviews in
    scope), a review search whose words only name reviews and the category searches for the category, and a
    review search of a request that names one polarity ("complaints about the zipper") keeps that sentiment."""
    out = dict(args)
    notes: list[str] = []
    wanted = polarity(question) if tool == "search_reviews" else None  # only a review search filters by it
    if wanted and not out.get("sentiment"):
        out["sentiment"] = wanted
        notes.append(f"sentiment {wanted!r}: the request asks for {wanted} reviews")
    topic = out.get("topic")
    named = resolver.resolve("category", topic) if tool == "analyze_sentiment" and isinstance(topic, str) else None
    if named and not out.get("category"):  # "comment nos pulls sont-ils perçus": 'pulls' is the category
        out["category"] = named
        del out["topic"]
        notes.append(f"topic {topic!r} is the category {named!r}: reviews of it are read")
        topic = None  # moved: nothing left to drop below
    category = out.get("category") if isinstance(out.get("category"), str) else None

    def category_words(text: str) -> tuple[str, ...]:
        if not category:
            return ()
        return (category, *(m.surface for m in resolver.find_mentions(text) if m.kind == "category"))

    topic = out.get("topic")
    if isinstance(topic, str) and topic.strip() and names_reviews_only(topic, category_words(topic)):
        del out["topic"]
        notes.append(f"topic {topic!r} names the reviews themselves, not a topic in them: left out")
    elif isinstance(topic, str) and _is_the_request(topic, question):
        del out["topic"]
        notes.append(f"topic {topic!r} is the request itself, not a topic in the reviews: left out")
    query = str(out.get("query") or "")
    searched = tool == "search_reviews" and bool(category) and query.strip() not in ("", category)
    if searched and category and names_reviews_only(query, category_words(query)):
        out["query"] = category
        notes.append(f"query {query!r} only names reviews of {category}: searched for {category!r}")
    return out, notes
