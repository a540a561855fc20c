"""Glosses of the shop's vocabulary in other languages, for the routing prompt (glossary.yaml).

The router reads English tool descriptions; a German request about "Bewertungen" reaches the review tools more
often when the prompt says "Bewertungen = reviews". Code finds the terms; the model still chooses the tool.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

from assistant.understand.aliases import fold

_CJK = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """Per language: (English gloss, pattern of its terms), longest terms first so a phrase wins over a word."""
    text = resources.files("assistant.understand").joinpath("glossary.yaml").read_text(encoding="utf-8")
    out: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for gloss, by_language in yaml.safe_load(text).items():
        for language, terms in by_language.items():
            folded = sorted({fold(t) for t in terms}, key=len, reverse=True)
            words = "|".join(re.escape(t) if _CJK.search(t) else rf"(?<!\w){re.escape(t)}(?!\w)" for t in folded)
            out.setdefault(language, []).append((gloss, re.compile(words)))
    return out


def glosses(text: str, language: str) -> list[tuple[str, str]]:
    """(term as found, English gloss) for the request's terms in its language; [] for English."""
    folded = fold(text)
    found: list[tuple[str, str]] = []
    for gloss, pattern in _patterns().get(language, []):
        m = pattern.search(folded)
        if m:
            found.append((m.group(0), gloss))
    return found


def glosses_in_any_language(text: str) -> set[str]:
    """The English glosses of every term the text contains, in any of the glossary's languages: a short request
    ("taxa de recompra por segmento") is easily detected as the wrong language, and a term is the same term."""
    folded = fold(text)
    return {gloss for patterns in _patterns().values() for gloss, pattern in patterns if pattern.search(folded)}
