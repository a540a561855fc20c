"""How a cited fact reads in the narration, in the marketer's language: its value, what it measures and its row.

A fact's full English label ("18.4 % of all customers (RFM segment champions, Germany)") is what the narrating
model reads. Written into a sentence it repeats what the sentence says and, in another language, turns the
sentence into English. So the narration shows the value with what it measures in the request's language
(prompts/fact_words.yaml), the row it belongs to, and the result's scope only when another fact of the turn
measures the same thing for another scope: "a segment's share read off another row" stays impossible because
every row keeps its key, and a forecast always says it is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import prompts
from tools.facts import Fact, format_value

_DAYS = {"es": "días", "de": "Tage", "fr": "jours", "pt": "dias", "zh": "天"}


@lru_cache(maxsize=1)
def _words() -> dict[str, dict[str, dict[str, str]]]:
    data: dict[str, dict[str, dict[str, str]]] = prompts.load_yaml("fact_words.yaml")
    return data


def _unscoped_label(fact: Fact) -> str:
    suffix = f" ({fact.scope})"
    return fact.label[: -len(suffix)] if fact.scope and fact.label.endswith(suffix) else fact.label


def _trim(value: float) -> str:
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Phrasing:
    """The phrases of one turn's facts in one language (a code: "en", "es", …)."""

    language: str
    scoped: frozenset[str]  # ids of facts whose scope tells them apart from another fact of the turn

    @classmethod
    def for_turn(cls, facts: list[Fact], language: str = "en") -> Phrasing:
        scopes: dict[tuple[str, str], set[str]] = {}
        for f in facts:
            scopes.setdefault((_unscoped_label(f), f.unit), set()).add(f.scope)
        scoped = frozenset(f.id for f in facts if len(scopes[(_unscoped_label(f), f.unit)]) > 1 and f.scope)
        return cls(language=language if language in _DAYS else "en", scoped=scoped)

    def value(self, fact: Fact) -> str:
        if self.language != "en" and fact.unit == "days" and not isinstance(fact.value, str):
            return f"{_trim(fact.value)} {_DAYS[self.language]}"
        return format_value(fact)

    def head(self, fact: Fact) -> str:
        """What the fact measures, in the turn's language; "" when there are no words for it."""
        if self.language == "en":
            return re.split(r"[(,;:]", _unscoped_label(fact), maxsplit=1)[0].strip()
        return _words()["heads"].get(fact.head, {}).get(self.language, "")

    def phrase(self, fact: Fact) -> str:
        if self.language == "en":
            text = f"{self.value(fact)} {_unscoped_label(fact)}".strip()
            if fact.id in self.scoped:
                text += f" ({fact.scope})"
            return text + (f" ({fact.kind})" if fact.kind != "actual" else "")
        head = self.head(fact)
        text = self.value(fact) + ("" if not head else head if head.startswith("（") else f" {head}")
        extra = [fact.key] if fact.key else []
        if fact.id in self.scoped:
            extra.append(fact.scope)
        if fact.kind != "actual":
            extra.append(_words()["kinds"][fact.kind].get(self.language, fact.kind))
        return text + "".join(f" ({e})" for e in extra if e)
