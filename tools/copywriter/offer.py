"""The marketer's offer, read once: `parse_offer(text) -> Offer`; and `offer_present(offer, copy)`: whether a
draft states that same offer (same kind, same numbers, same threshold and deadline) in whatever language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tools.copywriter.deadlines import deadline_marks, deadline_matches, english_deadline
from tools.copywriter.terms import OfferKind, OfferTerm, scan
from tools.copywriter.text import CJK, STOPWORDS, fold, to_number


@dataclass(frozen=True)
class Offer:
    """An offer as the marketer typed it: its parts, and the deadline words if they typed any."""

    text: str
    terms: tuple[OfferTerm, ...] = ()
    deadline: str | None = None
    deadline_marks: frozenset[str] = frozenset()

    @property
    def kind(self) -> OfferKind:
        return self.terms[0].kind if self.terms else "other"

    @property
    def values(self) -> tuple[float, ...]:
        if self.terms:
            return self.terms[0].values
        return tuple(
            n for n in (to_number(x) for x in re.findall(r"\d+(?:[.,]\d+)?", fold(self.text))) if n is not None
        )

    @property
    def currency(self) -> str | None:
        return self.terms[0].currency if self.terms else None

    @property
    def threshold(self) -> float | None:
        return self.terms[0].threshold if self.terms else None

    def describe(self) -> str:
        """The offer in plain English (七折 -> '30% off'): a hint for the model, which writes the copy's language."""
        if not self.terms:
            return self.text
        text = " and ".join(t.describe() for t in self.terms)
        if self.deadline:
            text += " " + (english_deadline(self.deadline_marks) or self.deadline)
        return text


@lru_cache(maxsize=256)
def parse_offer(text: str) -> Offer:
    """The offer as typed: its parts (kind, values, threshold) and its deadline words, if any."""
    terms, _ = scan(text)
    real = tuple(t for t in terms if not t.bare) or tuple(t for t in terms if t.kind == "percent_off")
    deadline, marks = None, frozenset(deadline_marks(text))
    found = deadline_matches(text, strict=True) or deadline_matches(text, strict=False)
    if found:
        first, last = found[0][0], found[-1][0]
        deadline = text[first.start() : last.end()].strip(" ,.;")
    return Offer(text=text.strip(), terms=real, deadline=deadline, deadline_marks=marks)


def currency_ok(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _same_term(wanted: OfferTerm, found: OfferTerm) -> bool:
    if wanted.key() != found.key() or not currency_ok(wanted.currency, found.currency):
        return False
    return wanted.threshold is None or found.threshold == wanted.threshold


def offer_present(offer: Offer, copy_text: str) -> bool:
    """The copy states the same offer: every part with the same numbers and threshold, and the deadline."""
    if offer.terms:
        found, _ = scan(copy_text)
        if not all(any(_same_term(t, f) for f in found) for t in offer.terms):
            return False
    elif not _words_present(offer.text, copy_text):
        return False
    needed = offer.deadline_marks - {"urgent"}
    return needed <= deadline_marks(copy_text)


def _words_present(offer_text: str, copy_text: str) -> bool:
    """An offer of no known kind: its numbers, and (in the same script) most of its words."""
    offer_l, copy_l = fold(offer_text).lower(), fold(copy_text).lower()
    if re.sub(r"\W+", " ", offer_l).strip() in re.sub(r"\W+", " ", copy_l):
        return True
    if any(n not in re.findall(r"\d+", copy_l) for n in re.findall(r"\d+", offer_l)):
        return False
    if bool(CJK.search(offer_l)) != bool(CJK.search(copy_l)):
        return True  # another script: the numbers are what can be checked
    words = [w[:5] for w in re.findall(r"[^\W\d_]{3,}", offer_l) if w not in STOPWORDS]
    copy_stems = {w[:5] for w in re.findall(r"[^\W\d_]{3,}", copy_l)}
    return not words or sum(w in copy_stems for w in words) * 2 >= len(words)
