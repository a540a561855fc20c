"""Offer terms in text, in every supported language: 30% off, 七折, -20 %, 2 for 1, 2x1, 买一送一, 第二件半价,
满100减20, free shipping over £50, envío gratis, kostenloser Versand, livraison gratuite, frete grátis, free returns.

`scan(text)` finds every term, each with the spending threshold nearest to it. A term's `key()` is what must be
the same for two renderings to be the same offer, whatever the language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, TypeVar

from tools.copywriter.text import (
    CN_COUNT,
    CN_DIGITS,
    CN_NUM,
    COUNT,
    CURRENCIES,
    CURRENCY_SIGNS,
    MONEY,
    NUM,
    fmt,
    fold,
    to_money,
    to_number,
)

OfferKind = Literal["percent_off", "amount_off", "bogo", "n_for_m", "free_shipping", "free_returns", "gift", "other"]


@dataclass(frozen=True)
class OfferTerm:
    """One part of an offer: `values` are the percent or amount off; (buy, get, percent off what you get) for
    bogo; (items, items paid) or (items, price) for n_for_m. `bare` marks a number without discount words."""

    kind: OfferKind
    values: tuple[float, ...] = ()
    currency: str | None = None
    threshold: float | None = None
    text: str = ""
    start: int = 0
    end: int = 0
    bare: bool = False

    def key(self) -> tuple[object, ...]:
        """What must be the same for two renderings to be the same offer (2 for 1 is buy one get one free)."""
        if self.kind == "bogo" and len(self.values) == 3 and self.values[2] == 100:
            return ("multibuy", self.values[0] + self.values[1], self.values[0])
        if self.kind == "n_for_m" and self.currency is None:
            return ("multibuy", *self.values)
        if self.kind in ("free_shipping", "free_returns", "gift"):
            return (self.kind,)
        if self.kind == "other":
            return ("other", self.text.lower())
        return (self.kind, *self.values)

    def describe(self) -> str:
        money = CURRENCY_SIGNS.get(self.currency or "", "")
        v = self.values
        if self.kind == "percent_off":
            text = f"{fmt(v[0])}% off"
        elif self.kind == "amount_off":
            text = f"{money}{fmt(v[0])} off"
        elif self.kind == "bogo":
            words = {1: "one", 2: "two", 3: "three"}
            buy, get = words.get(int(v[0]), fmt(v[0])), words.get(int(v[1]), fmt(v[1]))
            rest = "free" if v[2] == 100 else "half price" if v[2] == 50 else f"{fmt(v[2])}% off"
            text = f"buy {buy} get {get} {rest}"
        elif self.kind == "n_for_m":
            text = f"{fmt(v[0])} for {money}{fmt(v[1])}" if self.currency else f"{fmt(v[0])} for {fmt(v[1])}"
        elif self.kind == "free_shipping":
            text = "free shipping"
        elif self.kind == "free_returns":
            text = "free returns"
        elif self.kind == "gift":
            text = "a free gift"
        else:
            text = self.text
        if self.threshold is not None:
            text += f" on orders over {money}{fmt(self.threshold)}"
        return text


def _count(raw: str | None, default: float = 1) -> float:
    if not raw:
        return default
    raw = raw.strip().lower()
    if raw in ("another", "otro", "otra", "outro", "outra", "un autre", "noch eins", "ein weiteres"):
        return 1
    raw = re.sub(r"^(?:a|the)\s+second(?:\s+one)?$", "one", raw)
    return to_number(raw) or default


def _zhe(raw: str) -> float:
    """'七' -> 70, '八五' -> 85, '7.5' -> 75, '85' -> 85: the percent of the price paid."""
    if all(ch in CN_DIGITS for ch in raw):
        digits = [CN_DIGITS[ch] for ch in raw]
        return float(digits[0] * 10 + (digits[1] if len(digits) > 1 else 0))
    value = float(raw)
    return value * 10 if value < 10 else value


def _bogo_rest(m: re.Match[str]) -> float:
    groups = m.groupdict()
    if groups.get("p"):
        return to_number(groups["p"]) or 100
    if groups.get("half"):
        return 50
    return 100


Builder = Callable[[re.Match[str]], OfferTerm | None]


def _bogo(m: re.Match[str]) -> OfferTerm:
    g = m.groupdict()
    return OfferTerm("bogo", (_count(g.get("b")), _count(g.get("g")), _bogo_rest(m)))


def _second(m: re.Match[str]) -> OfferTerm:
    g = m.groupdict()
    rest = 100 - _zhe(g["z"]) if g.get("z") else _bogo_rest(m)
    return OfferTerm("bogo", (1, 1, rest))


def _n_for_m(m: re.Match[str]) -> OfferTerm | None:
    n, paid = _count(m.group("n"), 0), _count(m.group("m"), 0)
    return OfferTerm("n_for_m", (n, paid)) if n > paid > 0 else None


def _n_for_price(m: re.Match[str]) -> OfferTerm | None:
    value, currency = to_money(m.group("money"))
    n = _count(m.group("n"), 0)
    return OfferTerm("n_for_m", (n, value), currency) if value and n >= 2 else None


def _percent(m: re.Match[str]) -> OfferTerm | None:
    value = to_number(m.group("v"))
    return OfferTerm("percent_off", (value,)) if value and 0 < value <= 100 else None


def _bare_percent(m: re.Match[str]) -> OfferTerm | None:
    value = to_number(m.group("v"))
    return OfferTerm("percent_off", (value,), bare=True) if value is not None else None


def _amount(m: re.Match[str]) -> OfferTerm | None:
    if m.groupdict().get("m"):
        value, currency = to_money(m.group("m"))
    else:
        value, currency = to_number(m.group("v")), CURRENCIES.get((m.groupdict().get("c") or "").lower())
    return OfferTerm("amount_off", (value,), currency) if value else None


def _bare_money(m: re.Match[str]) -> OfferTerm | None:
    value, currency = to_money(m.group(0))
    return OfferTerm("amount_off", (value,), currency, bare=True) if value is not None else None


def _manjian(m: re.Match[str]) -> OfferTerm | None:
    value, threshold = to_number(m.group("v")), to_number(m.group("t"))
    currency = CURRENCIES.get(m.group("c") or "")
    return OfferTerm("amount_off", (value,), currency, threshold) if value else None


def _kind(kind: OfferKind) -> Builder:
    def build(m: re.Match[str]) -> OfferTerm:
        threshold = to_number(m.group("t")) if "t" in m.groupdict() and m.group("t") else None
        return OfferTerm(kind, threshold=threshold)

    return build


def _zhe_term(m: re.Match[str]) -> OfferTerm | None:
    paid = _zhe(m.group("z"))
    return OfferTerm("percent_off", (round(100 - paid, 2),)) if 0 < paid < 100 else None


_FREE_SHIPPING = (
    r"\bfree\s+(?:standard\s+|uk\s+|next[- ]day\s+|express\s+|home\s+|worldwide\s+)?(?:shipping|delivery|postage|"
    r"p\s?&\s?p)\b|\bships?\s+(?:for\s+)?free\b|\bdelivered\s+free\b|\b(?:shipping|delivery)\s+is\s+(?:always\s+)?free\b"
    r"|包邮|免运费|免邮费?|免费(?:配送|送货|快递|邮寄)"
    r"|\benv[íi]os?\s+(?:gratis|gratuitos?)\b|\bgastos\s+de\s+env[íi]o\s+gratis\b|\benv[íi]o\s+sin\s+coste\b"
    r"|\bkostenlose[rn]?\s+(?:versand|lieferung)\b|\bversandkostenfrei\b|\bgratis[- ]?versand\b"
    r"|\bversand\s+(?:ist\s+)?(?:gratis|kostenlos)\b|\blivraison\s+(?:gratuite|offerte)\b"
    r"|\bfrais\s+de\s+port\s+(?:offerts|gratuits)\b|\bfrete\s+gr[áa]tis\b|\b(?:envio|entrega)\s+gr[áa]tis\b"
    r"|\bspedizione\s+gratuita\b"
)
_FREE_RETURNS = (
    r"\bfree\s+returns?\b|\breturns\s+are\s+(?:always\s+)?free\b|免费退(?:货|换货?)|退(?:货|换)免费"
    r"|\bdevoluci(?:ones|ón)\s+(?:gratis|gratuitas?)\b|\bkostenlose[rn]?\s+(?:rücksendung(?:en)?|retouren?|rückgabe)\b"
    r"|\b(?:rücksendung|retoure)\s+(?:ist\s+)?(?:gratis|kostenlos)\b|\bretours?\s+(?:gratuits?|offerts?)\b"
    r"|\bdevolu[çc](?:ão|ões)\s+(?:gr[áa]tis|gratuitas?)\b|\breso\s+gratuito\b"
)
_GIFT = (
    r"\bfree\s+gifts?\b|\bcomplimentary\s+gifts?\b|\bgift\s+with\s+(?:every\s+|each\s+|your\s+|any\s+)?(?:purchase|order)\b"
    r"|\bfree\s+(?!(?:standard|uk|next|express|home|shipping|delivery|postage|returns?)\b)[a-z-]+(?:\s+[a-z-]+)?\s+with"
    r"\s+(?:every|each|your|any)\s+(?:order|purchase)\b"
    r"|赠品|免费赠送|(?:送|赠)(?:好礼|礼品)|\bregalo\s+(?:gratis|con\s+tu\s+compra)\b|\bgratis[- ]?geschenk\b"
    r"|\bkostenloses\s+geschenk\b|\bgeschenk\s+gratis\b|\bcadeau\s+(?:offert|gratuit)\b|\bbrinde\b|\bpresente\s+gr[áa]tis\b"
)
_THRESHOLD_WORDS = (
    r"over|above|when\s+you\s+spend|if\s+you\s+spend|spend|orders?\s+(?:of|over|above)|minimum(?:\s+spend|\s+order)?"
    r"(?:\s+of)?|at\s+least|más\s+de|superiores\s+a|a\s+partir\s+de|ab(?:\s+einem\s+bestellwert\s+von)?|über"
    r"|à\s+partir\s+de|dès|au-delà\s+de|plus\s+de|acima\s+de|em\s+compras\s+(?:acima\s+)?de|por\s+compras\s+de"
)
_OFF_WORDS = (
    r"(?:off\b|de\s+descuento\b|de\s+dto\b|de\s+desconto\b|de\s+réduction\b|de\s+remise\b|rabatt\b|nachlass\b"
    r"|günstiger\b|sconto\b|discount\b|折扣|优惠)"
)

# (pattern, builder); on overlaps the earliest, then the longest, then the first listed wins.
_TERM_PATTERNS: list[tuple[str, Builder]] = [
    (
        rf"满\s*(?P<t>{NUM}|{CN_NUM})\s*(?:元|块)?\s*[,，]?\s*(?:立|再|就)?减\s*(?P<v>{NUM}|{CN_NUM})\s*(?P<c>元|块)?",
        _manjian,
    ),
    (
        rf"满\s*(?P<t>{NUM}|{CN_NUM})\s*(?:元|块)?\s*(?:即可|就|即)?(?:包邮|免运费|免邮|免费配送|免费送货)",
        _kind("free_shipping"),
    ),
    (rf"满\s*(?P<t>{NUM}|{CN_NUM})\s*(?:元|块)?\s*(?:即|就)?(?:送|赠)(?:好礼|礼品|赠品)?", _kind("gift")),
    (
        r"第\s*(?:二|2)\s*件\s*(?:(?P<half>半价)|(?P<z>\d(?:\.\d)?|\d{2}|[一二三四五六七八九]{1,2})\s*折"
        r"|(?P<free>免费|0\s*元))",
        _second,
    ),
    (rf"买\s*(?P<b>{CN_COUNT})\s*(?:件)?\s*[,，]?\s*(?:送|赠)\s*(?P<g>{CN_COUNT})", _bogo),
    (rf"买\s*(?P<n>{CN_COUNT})\s*(?:件)?\s*付\s*(?P<m>{CN_COUNT})", _n_for_m),
    (r"(?<![\d.])(?P<z>\d(?:\.\d)?|\d{2}|[一二三四五六七八九]{1,2})\s*折(?![叠合])", _zhe_term),
    (
        r"(?<!件)半价|\bhalf[- ]price\b|\b(?:a\s+)?mitad\s+de\s+precio\b|\b(?:à\s+)?moitié\s+prix\b"
        r"|\bzum\s+halben\s+preis\b|\bhalber\s+preis\b|\b(?:pela\s+)?metade\s+do\s+preço\b",
        lambda m: OfferTerm("percent_off", (50,)),
    ),
    (
        rf"\bbuy\s+(?P<b>{COUNT})\s*,?\s*(?:and\s+)?get\s+(?P<g>{COUNT}|another|(?:a|the)\s+second(?:\s+one)?)\s+"
        rf"(?:(?:one|item|pair)\s+)?(?:(?P<free>(?:for\s+)?free)|(?P<half>(?:at\s+)?half[- ]price)"
        rf"|(?P<p>{NUM})\s?%\s*off)",
        _bogo,
    ),
    (r"\bbogof?\b", lambda m: OfferTerm("bogo", (1, 1, 100))),
    (
        rf"\b(?:get\s+)?(?:a|the|your)\s+second\s+(?:one|item|pair|piece\s+)?\s*(?:(?P<free>(?:for\s+)?free)"
        rf"|(?P<half>(?:at\s+)?half[- ]price)|(?P<p>{NUM})\s?%\s*off)",
        _second,
    ),
    (r"(?<![\d+])1\s*\+\s*1\s*(?:free|gratis|gratuit|grátis|offert|免费)", lambda m: OfferTerm("bogo", (1, 1, 100))),
    (
        rf"\bcompra\s+(?P<b>{COUNT})\s*,?\s*(?:y\s+)?(?:ll[eé]vate|lleva|recibe|obt[eé]n)\s+(?P<g>{COUNT}|otro|otra)\s*"
        rf"(?:(?P<free>gratis|de\s+regalo)|(?P<half>a\s+mitad\s+de\s+precio|al\s+50\s?%))",
        _bogo,
    ),
    (r"\b(?:la\s+)?segunda\s+unidad\s+(?:(?P<free>gratis)|(?P<half>a\s+mitad\s+de\s+precio|al\s+50\s?%))", _second),
    (
        rf"\bkauf(?:e|en)?\s+(?P<b>{COUNT})\s*,?\s*(?:und\s+)?(?:erhalte|bekomme|erhalten\s+sie|bekommen\s+sie|nimm)\s+"
        rf"(?P<g>{COUNT}|noch\s+eins|ein\s+weiteres)\s+(?P<free>gratis|kostenlos|geschenkt|dazu)",
        _bogo,
    ),
    (
        r"\b(?:der|das|die)?\s*zweite\s+(?:artikel\s+|stück\s+|teil\s+)?(?:(?P<free>gratis|kostenlos|geschenkt)"
        r"|(?P<half>zum\s+halben\s+preis|(?:für|zu|mit)\s+50\s?%))",
        _second,
    ),
    (rf"\b(?P<b>{COUNT})\s+achet[ée]e?s?\s*[,=]?\s*(?P<g>{COUNT})\s+offerte?s?", _bogo),
    (
        r"\ble\s+(?:2e|2ème|deuxième|second)\s+(?:article\s+|produit\s+)?(?:(?P<free>offert|gratuit)"
        r"|(?P<half>à\s+moitié\s+prix|à\s*-\s*50\s?%))",
        _second,
    ),
    (
        rf"\bcompre\s+(?P<b>{COUNT})\s*,?\s*(?:e\s+)?(?:leve|ganhe|receba)\s+(?P<g>{COUNT}|outro|outra|mais\s+(?:um|uma))\s+"
        r"(?P<free>grátis|de\s+graça|de\s+brinde)",
        _bogo,
    ),
    (
        r"\bsegunda\s+unidade\s+(?:(?P<free>grátis|de\s+graça)|(?P<half>pela\s+metade\s+do\s+preço|com\s+50\s?%))",
        _second,
    ),
    (rf"\bcompre\s+(?P<m>{COUNT})\s*,?\s*(?:e\s+)?leve\s+(?P<n>{COUNT})\b", _n_for_m),
    (
        rf"\b(?:leve|lleva|nimm|prenez)\s+(?P<n>{COUNT})\s*,?\s*(?:e\s+|y\s+|und\s+)?(?:pague|paga|zahl|payez)\s+(?P<m>{COUNT})\b",
        _n_for_m,
    ),
    (
        rf"\b(?P<n>{COUNT})\s*-?\s*(?:for|pour|por|für|pelo\s+preço\s+de|al\s+precio\s+de|pour\s+le\s+prix\s+d['e]\s*|zum\s+preis\s+von"
        rf"|for\s+the\s+price\s+of)\s*-?\s*(?P<m>{COUNT})\b",
        _n_for_m,
    ),
    (
        rf"\b(?P<n>[2-9]|two|three|four|five|dos|tres|deux|trois|zwei|drei|dois|três)\s+(?:for|pour|por|für)\s+(?P<money>{MONEY})",
        _n_for_price,
    ),
    (r"(?<![\w.,])(?P<n>[2-5])\s?[x×]\s?(?P<m>[1-4])(?!\w|[.,]\d)", _n_for_m),
    (_FREE_SHIPPING, _kind("free_shipping")),
    (_FREE_RETURNS, _kind("free_returns")),
    (_GIFT, _kind("gift")),
    (rf"(?<![\w%])[-−–]\s?(?P<v>{NUM})\s?%", _percent),
    (
        rf"(?P<v>{NUM})\s?(?:%|percent\b|per\s+cent\b|prozent\b|por\s+ciento\b|pour\s+cent\b|por\s+cento\b)\s*{_OFF_WORDS}",
        _percent,
    ),
    (
        rf"(?P<lead>\b(?:save|take|get|enjoy|extra|an\s+extra|up\s+to|ahorra|ahorre|descuento\s+del?|rabatt\s+von|spare|sparen\s+sie"
        rf"|économisez|réduction\s+de|remise\s+de|jusqu['’]à|hasta(?:\s+un|\s+el)?|até|bis\s+zu|economize|desconto\s+de"
        rf"|sconto\s+del)\s+|(?:减|降|省|优惠|立减|享|低至)\s*)(?P<v>{NUM})\s?%",
        _percent,
    ),
    (rf"(?P<m>{MONEY})\s*{_OFF_WORDS}", _amount),
    (
        rf"(?P<lead>\b(?:save|take|get|extra|an\s+extra|ahorra|spare|sparen\s+sie|économisez|economize)\s+"
        rf"|(?<![\w%])[-−]\s?)(?P<m>{MONEY})(?:\s*{_OFF_WORDS})?",
        _amount,
    ),
    (rf"\b(?P<v>\d+)\s+{_OFF_WORDS}", _amount),
    (rf"(?:立减|直减|减|省)\s*(?P<v>{NUM}|{CN_NUM})\s*(?P<c>元|块)?(?!\s*[%折\d])", _amount),
    (rf"(?P<v>{NUM})\s?(?:%|percent\b|per\s+cent\b)", _bare_percent),
    (MONEY, _bare_money),
]
_TERMS = [(re.compile(p, re.I), build) for p, build in _TERM_PATTERNS]
_THRESHOLDS = [
    re.compile(rf"\b(?:{_THRESHOLD_WORDS})\s+(?P<m>{MONEY})", re.I),
    re.compile(rf"(?P<m>{MONEY})\s*\+", re.I),
    re.compile(
        r"\b(?:when\s+you\s+spend|if\s+you\s+spend|spend|orders?\s+(?:of|over|above))\s+(?P<v>\d+)\b(?![.,]\d)", re.I
    ),
    re.compile(rf"满\s*(?P<v>{NUM}|{CN_NUM})\s*(?P<c>元|块)?"),
]


@dataclass(frozen=True)
class Threshold:
    """A spending condition: 'over £50', '满100'."""

    value: float
    currency: str | None
    text: str
    start: int
    end: int


T = TypeVar("T")


def _non_overlapping(candidates: Iterable[tuple[int, int, int, T]]) -> list[T]:
    """(start, end, priority, item): the earliest, then the longest, then the first listed; no overlaps."""
    chosen: list[T] = []
    taken_until = -1
    for start, end, _priority, item in sorted(candidates, key=lambda c: (c[0], c[0] - c[1], c[2])):
        if start >= taken_until:
            chosen.append(item)
            taken_until = end
    return chosen


@lru_cache(maxsize=512)
def scan(text: str) -> tuple[tuple[OfferTerm, ...], tuple[Threshold, ...]]:
    """Every offer term in a text, each with the spending threshold nearest to it; and the thresholds."""
    folded = fold(text)
    thresholds: list[Threshold] = []
    matches = ((m.start(), m.end(), i, m) for i, rx in enumerate(_THRESHOLDS) for m in rx.finditer(folded))
    for m in _non_overlapping(matches):
        if m.groupdict().get("m"):
            value, currency = to_money(m.group("m"))
        else:
            value, currency = to_number(m.group("v")), CURRENCIES.get(m.groupdict().get("c") or "")
        if value is not None:
            thresholds.append(Threshold(value, currency, text[m.start() : m.end()], m.start(), m.end()))
    candidates: list[tuple[int, int, int, OfferTerm]] = []
    for priority, (rx, build) in enumerate(_TERMS):
        for m in rx.finditer(folded):
            term = build(m)
            if term is not None:
                start = m.end("lead") if m.groupdict().get("lead") else m.start()  # "save 20%" -> "20%"
                placed = replace(term, text=text[start : m.end()], start=start, end=m.end())
                candidates.append((start, m.end(), priority, placed))
    terms = [
        t
        for t in _non_overlapping(candidates)
        # a bare amount inside a threshold ("over £50") is that threshold, not an amount off
        if not (t.bare and any(th.start <= t.start and t.end <= th.end for th in thresholds))
    ]
    for th in thresholds:
        if any(t.start <= th.start and th.end <= t.end for t in terms):
            continue  # inside a term that carries it (满100减20, 满99包邮)
        near = [i for i, t in enumerate(terms) if not t.bare and t.threshold is None and t.kind != "n_for_m"]
        if near:
            best = min(near, key=lambda i: min(abs(terms[i].start - th.end), abs(th.start - terms[i].end)))
            terms[best] = replace(terms[best], threshold=th.value, currency=terms[best].currency or th.currency)
    return tuple(terms), tuple(thresholds)
