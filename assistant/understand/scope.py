"""Out of scope, decided by code: a request about an outside topic (share prices, sports, weather, travel,
trivia) that names nothing of the shop's own data gets the honest "what I can do" reply with no tool.

The model may still choose `decline` for requests this lexicon misses; this check only takes the clear cases
away from it, because a 1.5B router forces them into a tool (a sales forecast for "Tesla's share price").
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

from assistant.understand.aliases import fold

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, tuple[str, ...]]:
    text = resources.files("assistant.understand").joinpath("scope_terms.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {
        group: tuple(fold(t) for terms in by_language.values() for t in terms) for group, by_language in data.items()
    }


def _terms() -> tuple[tuple[str, ...], tuple[str, ...]]:
    lexicon = _lexicon()
    return lexicon["outside"], lexicon["domain"]


def asks_for_copy(text: str) -> bool:
    """Whether the request asks for something written (an email, an SMS, an ad...), in any of its languages."""
    return bool(_named(fold(text), _lexicon()["copy"]))


def _named(text: str, terms: tuple[str, ...]) -> list[str]:
    words = " " + " ".join(_WORD.findall(text)) + " "
    return [t for t in terms if (t in text if _CJK.search(t) else f" {t} " in words)]


def outside_topics(text: str) -> list[str]:
    """The outside topics a request names when it names none of the shop's data; [] when it is in scope."""
    folded = fold(text)
    outside, domain = _terms()
    if _named(folded, domain):
        return []
    return _named(folded, outside)
