"""Glosses of the shop's vocabulary in other languages, for the routing prompt (glossary.yaml).

The router reads English tool descriptions; a German request about "Bewertungen" reaches the review tools more
often when the prompt says "Bewertungen = reviews". Code finds the terms; the model still chooses the tool.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import yaml

from assistant.understand.aliases import fold_words

_CJK = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, list[str]]]:
    """English gloss -> language -> its folded terms (glossary.yaml)."""
    text = resources.files("assistant.understand").joinpath("glossary.yaml").read_text(encoding="utf-8")
    return {
        gloss: {
            language: sorted({t if t.startswith("re:") else fold_words(t) for t in terms})
            for language, terms in by_language.items()
        }
        for gloss, by_language in yaml.safe_load(text).items()
    }


def _by_language(keep: Callable[[str], bool]) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """Per language: (English gloss, pattern of those of its terms `keep` admits)."""
    out: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for gloss, by_language in _table().items():
        for language, terms in by_language.items():
            kept = [t for t in terms if keep(t)]
            if kept:
                out.setdefault(language, []).append((gloss, _pattern(kept)))
    return out


@lru_cache(maxsize=1)
def _patterns() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """Per language: (English gloss, pattern of its terms), longest terms first so a phrase wins over a word."""
    return _by_language(lambda _: True)


def glosses(text: str, language: str) -> list[tuple[str, str]]:
    """(term as found, English gloss) for the request's terms in its language; [] for English."""
    folded = fold_words(text)
    found: list[tuple[str, str]] = []
    for gloss, pattern in _patterns().get(language, []):
        m = pattern.search(folded)
        if m:
            found.append((_shown(m.group(0)), gloss))
    return found


SHOWN_WORDS = 4  # a longer span (a separable verb's frame) is shown by its ends: 'wie kommen … an'


def _shown(span: str) -> str:
    """The words the routing prompt glosses: a long span by its frame, so the model does not copy the request."""
    words = re.findall(r"\w+", span)
    return span if len(words) <= SHOWN_WORDS else f"{words[0]} {words[1]} … {words[-1]}"


def glosses_in_any_language(text: str) -> set[str]:
    """The English glosses of every term the text contains, in any of the glossary's languages: a short request
    ("taxa de recompra por segmento") is easily detected as the wrong language, and a term is the same term."""
    folded = fold_words(text)
    return {gloss for patterns in _patterns().values() for gloss, pattern in patterns if pattern.search(folded)}


def without_terms(text: str) -> str:
    """The text folded, every term of the glossary (any language) blanked out."""
    folded = fold_words(text)
    for patterns in _patterns().values():
        for _, pattern in patterns:
            folded = pattern.sub(" ", folded)
    return folded


def term_languages(text: str) -> set[str]:
    """The languages of the longest glossary term the text contains ('taxa de recompra' is Portuguese, though
    'recompra' is Spanish too), English loanwords left out ('feedback', 'newsletter', 'segment' are terms in
    German and French too, and say nothing of the language)."""
    folded = fold_words(text)
    longest: dict[str, int] = {}
    for language, patterns in _own_patterns().items():
        for _, pattern in patterns:
            for m in pattern.finditer(folded):
                longest[language] = max(longest.get(language, 0), len(m.group(0)))
    top = max(longest.values(), default=0)
    return {language for language, size in longest.items() if size == top and top}


@lru_cache(maxsize=1)
def _own_patterns() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """_patterns without the terms that are English words of the shop (scope_terms.yaml's English world)."""
    from assistant.understand.scope import is_english_shop_word

    return _by_language(lambda term: not is_english_shop_word(term))


def _pattern(folded: list[str]) -> re.Pattern[str]:
    ordered = sorted(folded, key=len, reverse=True)
    return re.compile("|".join(_term_pattern(t) for t in ordered))


def _term_pattern(term: str) -> str:
    """A term as a whole word; CJK as a substring; '*stem*' anywhere in a word, the whole word matched (a German
    compound: 'Umsatzprognose', 'Durchschnittsbewertung'); 're:' a pattern over the folded text (a German
    separable verb: 'wie kommen unsere Pullover an')."""
    if term.startswith("re:"):
        return f"(?:{term[3:]})"
    if _CJK.search(term):
        return re.escape(term)
    if len(term) > 2 and term.startswith("*") and term.endswith("*"):
        return rf"\w*{re.escape(term[1:-1])}\w*"
    return rf"(?<!\w){re.escape(term)}(?!\w)"
