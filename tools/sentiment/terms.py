"""Word and phrase frequencies in positive versus negative reviews.

A term is listed for a side when many reviews of that side use it AND it is clearly more common there
than on the other side (so "dress" or "size", which every review uses, do not crowd out "love" or
"too small"). Counts are numbers of reviews containing the term.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

from pydantic import BaseModel, Field

from tools.sentiment.language import ENGLISH, lexicon
from tools.sentiment.text import words

# Function words that carry no opinion. Negations are kept: "not worth" is a phrase worth seeing.
_STOP = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below
    between both by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i i'm i've i'd if in into is it it's its itself
    just me more most my myself of off on once only or other our ours out over own same she should so
    some such than that that's the their theirs them themselves then there these they this those through
    to under until up us very was we were what when where which while who whom why will with would you
    your yours yourself also get got one really bit im ive id it's
    """.split()  # noqa: SIM905
)
_NEGATIONS = frozenset({"not", "no", "never", "don't", "didn't", "doesn't", "isn't", "wasn't", "won't", "can't"})

# A term must be this many times more frequent (per review) on its side than on the other.
MIN_LIFT = 1.5


class TermCount(BaseModel):
    term: str
    reviews: int = Field(description="Reviews on this side that contain the term.")
    share: float = Field(description="Share of this side's reviews that contain the term (0–1).")


_PUNCTUATION = re.compile(r"[.!?,;:()\n]+")


def _word_lists(language: str) -> tuple[frozenset[str], frozenset[str]]:
    """Stop words and negations for a shop's review language (English ones always: reviews mix them in)."""
    if language == ENGLISH:
        return _STOP, _NEGATIONS
    lex = lexicon(language)
    return _STOP | lex.stop_words, _NEGATIONS | lex.negations


def _terms(text: str, stop: frozenset[str], negations: frozenset[str]) -> set[str]:
    found: set[str] = set()
    for piece in _PUNCTUATION.split(text):  # word pairs never straddle punctuation
        kept = [t for t in words(piece) if t not in stop and len(t) > 1]
        found.update(t for t in kept if t not in negations)
        found.update(f"{a} {b}" for a, b in itertools.pairwise(kept))
    return found


def _document_frequencies(texts: list[str], language: str) -> Counter[str]:
    stop, negations = _word_lists(language)
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_terms(text, stop, negations))
    return counts


def distinctive_terms(
    side: list[str], other: list[str], top: int = 10, min_reviews: int = 2, language: str = ENGLISH
) -> list[TermCount]:
    """The most frequent terms of `side` that are at least MIN_LIFT times more common than in `other`.

    `language` is the reviews' language (tools/sentiment/language.py): its stop words are left out too."""
    if not side:
        return []
    mine, theirs = _document_frequencies(side, language), _document_frequencies(other, language)
    n_side, n_other = len(side), max(len(other), 1)
    ranked = []
    for term, count in mine.items():
        if count < min_reviews:
            continue
        rate, other_rate = count / n_side, (theirs.get(term, 0) + 1) / (n_other + 1)
        if rate >= MIN_LIFT * other_rate:
            ranked.append((count, term))
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    # A word that nearly always comes inside one listed phrase ("true" in "true size") adds nothing.
    phrases = [(count, term) for count, term in ranked if " " in term]
    chosen: list[tuple[int, str]] = []
    for count, term in ranked:
        if len(chosen) >= top:
            break
        if " " not in term and any(term in p.split() and pc >= 0.8 * count for pc, p in phrases):
            continue
        chosen.append((count, term))
    return [TermCount(term=t, reviews=c, share=round(c / n_side, 4)) for c, t in chosen]
