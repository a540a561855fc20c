"""What a draft says that the marketer never typed: promo codes, URLs, deadlines and dates, discounts, amounts
and "free X" claims. Each finding carries its span, so that it can be taken out of the draft."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tools.copywriter.deadlines import deadline_marks, deadline_matches, sets_deadline
from tools.copywriter.offer import Offer, currency_ok
from tools.copywriter.terms import scan
from tools.copywriter.text import CN_NUM, NUM, fold, to_number

FindingKind = Literal["offer", "amount", "code", "URL", "deadline", "claim"]


@dataclass(frozen=True)
class Finding:
    """Something a draft says that the marketer never typed; `span` is where, in the text checked."""

    what: FindingKind
    text: str
    start: int
    end: int

    @property
    def removal(self) -> Literal["phrase", "sentence"]:
        """Codes, URLs and deadlines come out alone; a discount, amount or claim takes its sentence with it."""
        return "phrase" if self.what in ("code", "URL", "deadline") else "sentence"


_CODE_LEAD = (
    r"(?i:(?:\b(?:use|with|enter|apply|using|redeem|quote)\s+(?:the\s+|our\s+)?)?(?:\b(?:promo|discount|voucher|coupon|"
    r"offer)\s+)?\bcode\b\s*:?\s*|\b(?:c[óo]digo(?:\s+promocional|\s+de\s+descuento)?|gutscheincode|rabattcode|code\s+promo"
    r"|cupom|cup[óo]n)\s*:?\s*|(?:优惠码|折扣码|兑换码|优惠券码)\s*:?\s*)"
)
_CODES = [
    re.compile(rf"{_CODE_LEAD}(?P<code>[A-Z0-9][A-Z0-9_-]{{2,15}})\b"),
    re.compile(r"(?<![\w-])(?P<code>(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4,15})(?![\w-])"),
]
_URL = re.compile(
    r"(?:\b(?:at|visit|on|via|go\s+to|en|auf|sur|em|unter)\s+)?(?P<url>\bhttps?://[^\s<>()]+|\bwww\.[^\s<>()]+"
    r"|(?<![@\w.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|co\.uk|org\.uk|uk|net|org|shop|store|io|de|fr|es|it|cn"
    r"|com\.br|br|eu|pt)\b(?:/[^\s<>()]*)?)",
    re.I,
)
# SMS keywords and short codes: "Reply STOP to 60123", "text JOIN to 88022", "SMS YES an 12345".
_SHORT_CODE = re.compile(
    r"\b(?:reply|text|txt|send|sms|texting|envía|envia|manda|responde|schick|sende|antworte|envoyez|envoie|r[ée]pondez"
    r"|responda|回复|发送)\s+(?:the\s+word\s+|with\s+)?[\"'“‘]?(?P<word>[A-Za-z]{2,12})[\"'”’]?\s+"
    r"(?:to|at|on|al|an|au|para|para\s+o|到|至)\s+(?P<code>\d{3,8})\b"
    r"|\bshort\s?code\s*:?\s*(?P<code2>\d{3,8})\b",
    re.I,
)
_NOT_CLAIM = (
    r"to|from|of|and|or|as|time|spirit|spirited|range|flowing|form|style|rein|will|hand|hands|speech|fall|yourself|up"
    r"|the|a|an|in|on|with|for|at|by|is|are|it|your"
)
_FREE_ANY = re.compile(
    rf"(?<![-\w])(?<!feel\s)(?<!set\s)(?<!break\s)free\s+(?!(?:{_NOT_CLAIM})\b)(?P<noun>[a-z][\w-]*)|\bfor\s+free\b"
    r"|\bfree\s+of\s+charge\b|\bat\s+no\s+(?:extra\s+)?cost\b|\bgratis\b|\bkostenlos\b|\bgratuit(?:e|s|es)?\b|\bgr[áa]tis\b"
    r"|免费",
    re.I,
)
_DISCOUNT_WORDS = re.compile(
    r"\b(?:sale|discounts?|discounted|clearance|special\s+offers?|promo(?:tion)?s?|markdowns?|rebajas|descuentos?"
    r"|ofertas?|promoci[óo]n|rabatt|angebote?|schlussverkauf|soldes|r[ée]ductions?|promo[çc][ãa]o|desconto"
    r"|liquida[çc][ãa]o)\b|促销|打折|特价|优惠|折扣|大减价",
    re.I,
)


@dataclass(frozen=True)
class _Allowed:
    text: str  # lowercased
    keys: tuple[tuple[object, ...], ...]
    percents: frozenset[float]
    amounts: tuple[tuple[float, str | None], ...]
    marks: frozenset[str]
    free: bool  # the marketer offered something free (shipping, returns, a gift, an item)


@lru_cache(maxsize=64)
def _allowed(marketer_text: str) -> _Allowed:
    terms, thresholds = scan(marketer_text)
    folded = fold(marketer_text)
    percents = {p for t in terms if t.kind == "percent_off" for p in (t.values[0], 100 - t.values[0])}
    amounts: list[tuple[float, str | None]] = [(th.value, th.currency) for th in thresholds]
    for t in terms:
        if t.kind in ("amount_off", "n_for_m") and t.values:
            amounts.append((t.values[-1], t.currency))
        if t.threshold is not None:
            amounts.append((t.threshold, t.currency))
    for raw in re.findall(rf"{NUM}|{CN_NUM}", folded):  # a number typed without a currency may be written with one
        value = to_number(raw)
        if value is not None:
            amounts.append((value, None))
    free_kinds = {"free_shipping", "free_returns", "gift"}
    free = any(t.kind in free_kinds or t.key()[0] == "multibuy" for t in terms) or bool(_FREE_ANY.search(folded))
    return _Allowed(
        text=folded.lower(),
        keys=tuple(t.key() for t in terms if not t.bare),
        percents=frozenset(percents | {t.values[0] for t in terms if t.bare and t.kind == "percent_off"}),
        amounts=tuple(amounts),
        marks=frozenset(deadline_marks(marketer_text)),
        free=free,
    )


def _amount_allowed(value: float, currency: str | None, allowed: _Allowed) -> bool:
    return any(v == value and currency_ok(currency, c) for v, c in allowed.amounts)


def find_invented(copy_text: str, offer: Offer | None, marketer_text: str) -> list[Finding]:
    """What the copy says that the marketer never typed, with where it is (for removal)."""
    allowed = _allowed(marketer_text + "\n" + (offer.text if offer else ""))
    folded = fold(copy_text)
    found: list[Finding] = []

    def add(what: FindingKind, start: int, end: int) -> None:
        if not any(f.start < end and start < f.end for f in found):
            found.append(Finding(what, copy_text[start:end].strip(), start, end))

    for rx in _CODES:
        for m in rx.finditer(folded):
            if m.group("code").lower() not in allowed.text:
                add("code", m.start(), m.end())
    for m in _URL.finditer(folded):
        url = m.group("url").rstrip(".,;:!?")
        if url.lower() not in allowed.text:
            add("URL", m.start(), m.start("url") + len(url))
    for m in _SHORT_CODE.finditer(folded):
        code = m.group("code") or m.group("code2")
        if code not in allowed.text:
            add("code", m.start(), m.end())
    terms, thresholds = scan(copy_text)
    offers = [t for t in terms if not t.bare]
    for m, marks in deadline_matches(copy_text, strict=False):
        extra = marks - allowed.marks
        if not extra or (extra == {"urgent"} and allowed.marks):
            continue
        # A deadline phrase (until Sunday, today only, a date), or any time word next to an offer (20% off this
        # weekend): a deadline the marketer did not set.
        if sets_deadline(m, marks) or any(_next_to(folded, t.start, t.end, m.start(), m.end()) for t in offers):
            add("deadline", m.start(), m.end())
    for t in terms:
        if t.bare and t.kind == "percent_off":
            ok = t.values[0] in allowed.percents
        elif t.bare:
            ok = _amount_allowed(t.values[0], t.currency, allowed)
        else:
            ok = t.key() in allowed.keys  # its threshold is checked with the other thresholds, below
            if ok and t.kind == "amount_off":
                ok = _amount_allowed(t.values[0], t.currency, allowed)
        if not ok:
            add("claim" if t.kind in ("free_shipping", "free_returns", "gift") else "offer", t.start, t.end)
    for th in thresholds:
        if not _amount_allowed(th.value, th.currency, allowed):
            add("amount", th.start, th.end)
    for m in _FREE_ANY.finditer(folded):
        if any(t.start < m.end() and m.start() < t.end for t in terms):
            continue  # part of an offer term, checked above
        noun = (m.group("noun") or "").lower()
        ok = (noun[:5] in allowed.text) if noun else allowed.free
        if not ok:
            add("claim", m.start(), m.end())
    if offer is None:
        for m in _DISCOUNT_WORDS.finditer(folded):
            if m.group(0).lower() not in allowed.text:
                add("offer", m.start(), m.end())
    return sorted(found, key=lambda f: f.start)


def find_smuggled(text: str, marketer_text: str) -> list[Finding]:
    """In text that comments on data (a narration), what only an advertiser would write and the marketer never
    typed: URLs, promo and short codes, deadlines ("ends Friday", "today only"), and concrete offers ("free
    shipping", "20% off", "2 for 1"). Advice that names a discount or a sale stays, and so does a bare date (a
    narration may say when something happened)."""
    found = find_invented(text, None, marketer_text)
    return [f for f in found if _smuggled(f)]


def _smuggled(finding: Finding) -> bool:
    if finding.what == "offer":
        return any(not t.bare for t in scan(finding.text)[0])
    if finding.what == "deadline":
        return any(
            m.group("lead") or m.group("post") or m.group("urgent") or "midnight" in marks
            for m, marks in deadline_matches(finding.text, strict=True)
        )
    return True


def _next_to(text: str, start: int, end: int, other_start: int, other_end: int) -> bool:
    """Two spans in the same sentence with at most a few words between them."""
    gap = text[end:other_start] if end <= other_start else text[other_end:start]
    return len(gap) <= 20 and not re.search(r"[.!?;。！？；\n]", gap)


def invented_terms(copy_text: str, offer: Offer | None, marketer_text: str) -> list[str]:
    """Promo codes, URLs, deadlines and dates, discounts, amounts and 'free X' claims the marketer did not type."""
    return [f.text for f in find_invented(copy_text, offer, marketer_text)]
