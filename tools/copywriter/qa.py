"""QA of one copy variant, and the fixes that are safe to make without the model.

Checked: channel length limits, placeholder brackets, personal data, the stated offer (present, the same, in
any language), anything the marketer did not give (codes, URLs, deadlines, discounts, amounts, "free X"),
repetition, banned words, and a reply to the marketer in place of copy (an apology for a lack, a refusal).
Safe fixes: take out what the marketer did not give (a code, URL or deadline alone; a discount, amount or claim
with its sentence), drop placeholders, repeated sentences and a word said over and over, trim at a word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from assistant.core.privacy import contains_pii
from tools.copywriter.invented import Finding, find_invented
from tools.copywriter.offer import Offer, offer_present, parse_offer
from tools.copywriter.refusal import talks_to_the_marketer
from tools.copywriter.repetition import collapse_stutters, repetition_problems, sentence_key

# Field -> max characters, per channel.
LIMITS: dict[str, dict[str, int]] = {
    "email": {"subject": 60, "preheader": 90, "body": 900, "cta": 30},
    "sms": {"body": 160},
    "push": {"headline": 40, "body": 120},
    "ad": {"headline": 30, "body": 90},
    "social": {"body": 280},
}
PLACEHOLDER = re.compile(r"\[[^\]]{1,40}\]|\{[^}]{1,40}\}|<[^>]{1,40}>|\bX{2,}\b|lorem ipsum", re.I)
LABELS = {"offer": "offer", "amount": "amount", "code": "promo code", "URL": "URL", "deadline": "deadline",
          "claim": "claim"}  # fmt: skip


@dataclass
class Review:
    """What QA found in one variant; `findings` (per field) can be taken out, the rest is for the model."""

    issues: list[str] = field(default_factory=list)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    offer_missing: bool = False
    not_copy: bool = False  # a reply to the marketer ("Sorry, we have no products …"), not words for a customer
    severity: int = 0  # to choose between a draft and its retry: lower is better

    @property
    def ok(self) -> bool:
        return not self.issues


def marketer_text(offer: str | None, brand: dict[str, Any], *given: str) -> str:
    """Everything the marketer (or the brand voice) stated: what a draft may repeat."""
    return "\n".join([offer or "", *given, *map(str, brand.get("claims_allowed", [])), str(brand.get("name", ""))])


def review(
    variant: dict[str, str],
    channel: str,
    offer: Offer | None,
    brand: dict[str, Any],
    context: str = "",
    names: Sequence[str] = (),
) -> Review:
    """Every QA problem of one variant. `context` is what the marketer stated (marketer_text), `names` the
    products or themes (which may be repeated a little)."""
    result = Review()

    def problem(text: str, weight: int) -> None:
        result.issues.append(text)
        result.severity += weight

    for name, limit in LIMITS[channel].items():
        text = variant.get(name) or ""
        if not text.strip():
            problem(f"{name} is empty", 3)
        elif len(text) > limit:
            problem(f"{name} is {len(text)} characters (limit {limit})", 1)
    whole = "\n".join(str(v) for v in variant.values() if v)
    placeholder = PLACEHOLDER.search(whole)
    if placeholder:
        problem(f"placeholder {placeholder.group(0)!r}", 2)
    if contains_pii(whole):
        problem("contains personal data", 3)
    reply = talks_to_the_marketer(whole)
    if reply:
        result.not_copy = True
        problem(f"reads as a reply to the marketer, not copy ({reply!r}): write the message to the customer", 4)
    context = context or marketer_text(offer.text if offer else None, brand)
    for name, text in variant.items():
        found = find_invented(text or "", offer, context)
        if found:
            result.findings[name] = found
            for f in found:
                problem(f"{LABELS[f.what]} not given by the marketer: {f.text!r}", 3)
    if offer is not None and not offer_present(offer, whole):
        result.offer_missing = True
        meaning = offer.describe()
        hint = f" ({meaning})" if meaning.lower() != offer.text.lower() else ""
        problem(f"leaves out the offer {offer.text!r}{hint}: state it exactly", 3)
    allowed = [offer.text] if offer else []
    for name, text in variant.items():
        for repeat in repetition_problems(text or "", [*allowed, *names]):
            problem(f"{name} {repeat}", 2)
    for word in brand.get("words_to_avoid", []):
        if re.search(rf"\b{re.escape(word)}\b", whole, re.I):
            problem(f"uses the banned word {word!r}", 2)
    return result


def qa_issues(
    variant: dict[str, str],
    channel: str,
    offer: str | None,
    brand: dict[str, Any],
    context: str = "",
    names: Sequence[str] = (),
) -> list[str]:
    """The QA problems of one variant, for an offer as the marketer typed it (None: no offer)."""
    parsed = parse_offer(offer) if offer else None
    return review(variant, channel, parsed, brand, context or marketer_text(offer, brand), names).issues


# ---------------------------------------------------------------- safe fixes

_BOUNDARY = re.compile(r"(?:[.!?;:|](?=\s|$)|[。！？；：]|\s[–—](?=\s))\s*|\n+")


def _segments(text: str) -> list[tuple[int, int]]:
    """Sentence-like pieces (split after . ! ? ; : | and spaced dashes), covering the whole text."""
    cuts = [0, *(m.end() for m in _BOUNDARY.finditer(text)), len(text)]
    return [(a, b) for a, b in pairwise(cuts) if b > a]


def _tidy(text: str, capital: bool) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"([,;:])(?=[.!?])|([,;:])\s*$", "", text)
    text = re.sub(r"^[\s,;:.!?–—-]+", "", text).strip()
    if capital and text[:1].islower():
        text = text[0].upper() + text[1:]
    return text


def remove_findings(text: str, findings: Sequence[Finding]) -> str:
    """Take out codes, URLs and deadlines alone, and discounts, amounts and claims with their sentence."""
    segments = _segments(text)
    drop = {i for f in findings if f.removal == "sentence" for i, (a, b) in enumerate(segments) if a <= f.start < b}
    pieces = []
    for i, (a, b) in enumerate(segments):
        if i in drop:
            continue
        piece = text[a:b]
        for f in sorted((f for f in findings if f.removal == "phrase" and a <= f.start < b), key=lambda f: -f.start):
            piece = piece[: f.start - a] + piece[min(f.end, b) - a :]
        if re.search(r"\w", piece):
            pieces.append(piece if piece.endswith((" ", "\n")) or i == len(segments) - 1 else piece + " ")
    return _tidy("".join(pieces), capital=text[:1].isupper())


def drop_repeated_sentences(text: str) -> str:
    """A sentence said again, word for word, goes (the first stays)."""
    seen: set[tuple[str, ...]] = set()
    pieces = []
    for a, b in _segments(text):
        key = sentence_key(text[a:b])
        if len(key) >= 4 and key in seen:
            continue
        seen.add(key)
        pieces.append(text[a:b])
    return _tidy("".join(pieces), capital=text[:1].isupper())


def trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def safe_fix(variant: dict[str, str], channel: str, found: Review) -> tuple[dict[str, str], list[str]]:
    """The variant with the safe fixes made, and a note for each thing taken out (always shown)."""
    fixed: dict[str, str] = {}
    notes: list[str] = []
    for name, text in variant.items():
        findings = found.findings.get(name, [])
        if findings:
            text = remove_findings(text, findings)
            notes += [f"removed {LABELS[f.what]} not given by the marketer: {f.text!r}" for f in findings]
        text = PLACEHOLDER.sub("", text or "").replace("  ", " ").strip()
        text = drop_repeated_sentences(collapse_stutters(text))
        fixed[name] = trim(text, LIMITS[channel].get(name, len(text)))
    return fixed, notes
