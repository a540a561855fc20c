"""Review language: which language a review (or a shop's reviews) is written in, and that language's lexicons.

A function-word count, not a model: every language's most common small words (lexicons/<code>.json) are
counted in the text, and the language with the most hits wins. Reviews are short and informal, so a shop's
language is the majority over a sample of its reviews, not any one review's guess.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from tools.sentiment.text import words

ENGLISH = "en"
LEXICON_DIR = Path(__file__).with_name("lexicons")
LANGUAGES: tuple[str, ...] = ("pt", "es", "de", "fr")  # those with lexicons; English is the built-in default
SAMPLE_SIZE = 300  # reviews read to decide a shop's language
MIN_HITS = 2  # function words a text needs before it is said to be in a language other than English
SHORT_TEXT_WORDS = 4  # up to this many words, one function word (and no English one) is enough

_ENGLISH_FUNCTION_WORDS = frozenset(
    """
    the a an and or but is are was were be been it its this that these i me my we you your they he she to of
    in on at for with from by as all not very so too have has had just really love great good nice
    """.split()  # noqa: SIM905
)


class Lexicon(BaseModel):
    """One language's word lists (lower case, accents kept)."""

    code: str
    name: str
    function_words: frozenset[str]
    stop_words: frozenset[str]
    negations: frozenset[str]
    aspects: dict[str, tuple[str, ...]]
    positive: frozenset[str]
    negative: frozenset[str]


@lru_cache(maxsize=len(LANGUAGES))
def lexicon(code: str) -> Lexicon:
    data = json.loads((LEXICON_DIR / f"{code}.json").read_text(encoding="utf-8"))
    return Lexicon(code=code, **data)


@lru_cache(maxsize=len(LANGUAGES))
def _markers(code: str) -> frozenset[str]:
    """Words that point to a language: its function words and stop words."""
    lex = lexicon(code)
    return lex.function_words | lex.stop_words


def language_name(code: str) -> str:
    return "English" if code == ENGLISH else lexicon(code).name


def detect_language(text: str) -> str:
    """The language code of one text: the language with most function-word hits ('en' when none stands out)."""
    tokens = words(text[:2000])
    english = sum(t in _ENGLISH_FUNCTION_WORDS for t in tokens)
    hits = {code: sum(t in _markers(code) for t in tokens) for code in LANGUAGES}
    best = max(LANGUAGES, key=lambda code: (hits[code], -LANGUAGES.index(code)))
    if hits[best] >= MIN_HITS and hits[best] > english:
        return best
    if hits[best] >= 1 and english == 0 and len(tokens) <= SHORT_TEXT_WORDS:
        return best  # a short text ("Muito bom!", "Ótimo produto") with no English word in it
    return ENGLISH


def shop_language(texts: list[str]) -> str:
    """The majority language over (a sample of) a shop's review texts; English when there are none."""
    sample = [t for t in texts if t.strip()][:SAMPLE_SIZE]
    if not sample:
        return ENGLISH
    votes = Counter(detect_language(t) for t in sample)
    return votes.most_common(1)[0][0]
