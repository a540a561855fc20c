"""Argument provenance: every value the routing model put into a tool call must trace back to what was said.

The small routing model fills arguments from a JSON schema and sometimes invents them (a segment nobody named,
a date range nobody gave). Before a tool runs, `untraceable` lists the arguments that neither the marketer's
words, the slots read from them, the entities the resolver found, nor earlier tool results account for;
`drop_untraceable` removes them, so the tool runs on its defaults instead of on a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel, Field

from assistant.understand.slots import Slots, Unit, extract_slots, numbers_in


class Check(StrEnum):
    NUMBER = "number"  # a stated number, or one derived from it (70% -> 0.7, 6 months -> 180 days, > 10 -> 11)
    STATED = "stated"  # a stated number as it is (a cluster id is not derived from anything)
    DATE = "date"  # a stated date or a boundary of a stated period, ±1 day
    COUNTRY = "country"  # a country the entity resolver found
    SEGMENT = "segment"  # a segment the resolver found, or its enum word in the texts
    CATEGORY = "category"  # a category the resolver found, or its own (not generic) words in the texts
    ID = "id"  # verbatim in the texts
    PRODUCT = "product"  # an id verbatim, or a name most of whose content words are in the texts
    TEXT = "text"  # at least half of its content words are in the texts
    OFFER = "offer"  # TEXT, and every number in it stated
    FILE = "file"  # true only if the marketer asked for a file
    NONE = "none"  # a behaviour option: choosing it is the model's job


# The policy: how each argument is traced. Fields not listed fall back by name (dates) or by value type.
POLICY: dict[str, Check] = {
    "countries": Check.COUNTRY, "country": Check.COUNTRY,
    "segments": Check.SEGMENT, "segment": Check.SEGMENT,
    "category": Check.CATEGORY, "bought_category": Check.CATEGORY,
    "cluster": Check.STATED,
    "customer_id": Check.ID, "product_id": Check.ID, "product_ids": Check.PRODUCT,
    "query": Check.TEXT, "interest": Check.TEXT, "topic": Check.TEXT, "bought_product": Check.TEXT,
    "audience": Check.TEXT, "text": Check.TEXT, "products": Check.TEXT,
    "offer": Check.OFFER,
    "export": Check.FILE,
    "exclude_purchased": Check.NONE, "include_subscribed": Check.NONE,
    "group_by": Check.NONE, "then_by": Check.NONE, "sort": Check.NONE, "mode": Check.NONE, "metric": Check.NONE,
    "granularity": Check.NONE, "channel": Check.NONE, "tone": Check.NONE, "segment_by": Check.NONE,
    "sentiment": Check.NONE,
    "language": Check.NONE,  # set by code from the request (language.target_language), never the model's guess
    # How many rows or drafts to show is presentation, not a claim about the data: a model's 5 or 10 is harmless.
    "k": Check.NONE, "limit": Check.NONE, "n_variants": Check.NONE, "top_n": Check.NONE, "call_list": Check.NONE,
    "top_segments": Check.NONE, "max_depth": Check.NONE, "min_segment_size": Check.NONE,
}  # fmt: skip
# Per-tool exceptions to POLICY, keyed (tool, field).
TOOL_POLICY: dict[tuple[str, str], Check] = {}
_DATE_FIELD = re.compile(r"since|until|_from$|_to$|^as_of$|_date$")


class Evidence(BaseModel):
    """What an argument may be traced to."""

    texts: list[str]  # the question, the marketer's earlier turns, the tool results so far
    # The marketer's own words alone (question, earlier turns): an offer is traced to these only, never to a tool
    # result, so a review that says "41% off plus free shipping" cannot become the copy's offer.
    marketer: list[str] = Field(default_factory=list)
    slots: Slots  # read from the question and earlier turns (not from tool results)
    mentioned: dict[str, set[str]] = Field(default_factory=dict)  # resolver's canonical values by kind
    numbers: set[float] = Field(default_factory=set)  # numbers in earlier tool results

    @classmethod
    def build(
        cls,
        turns: list[str],
        results: list[str],
        today: date,
        mentioned: dict[str, set[str]] | None = None,
    ) -> Evidence:
        """Slots from the marketer's turns, numbers from the tool results."""
        numbers = {n for r in results for n in numbers_in(r)}
        slots = extract_slots("\n".join(turns), today)
        return cls(
            texts=[*turns, *results], marketer=list(turns), slots=slots, mentioned=mentioned or {}, numbers=numbers
        )


class Untraced(BaseModel):
    field: str
    value: Any
    reason: str
    check: Check = Check.TEXT


# Values a small model invents by filling a constrained schema (every optional enum, an export nobody asked for):
# asking again brings the same kind of guess and costs a second routing decode, so they are dropped at once.
# A number, date, text or offer may be a stated one put in the wrong place: the model is asked once.
DROPPED_AT_ONCE = frozenset({Check.COUNTRY, Check.SEGMENT, Check.CATEGORY, Check.FILE})


def worth_asking(untraced: Iterable[Untraced]) -> bool:
    """Whether the model should be asked once more about these values (else they are simply dropped)."""
    return any(u.check not in DROPPED_AT_ONCE for u in untraced)


def classify(tool: str, field: str, value: Any) -> Check:
    """The check for one argument: TOOL_POLICY, POLICY, then date-like names, then the value's type."""
    if (tool, field) in TOOL_POLICY:
        return TOOL_POLICY[tool, field]
    if field in POLICY:
        return POLICY[field]
    if _DATE_FIELD.search(field) or isinstance(value, date):
        return Check.DATE
    sample = value[0] if isinstance(value, list) and value else value
    if isinstance(sample, bool | Enum):
        return Check.NONE  # an unknown switch or enum option
    if isinstance(sample, int | float):
        return Check.NUMBER
    return Check.TEXT  # unknown text is traced like free text: conservative


def untraceable(tool: str, args: dict[str, Any], evidence: Evidence) -> list[Untraced]:
    """The arguments (list items one by one) that nothing said or found accounts for."""
    facts = _Facts(evidence)
    found: list[Untraced] = []
    for field, value in args.items():
        if value is None:
            continue
        check = classify(tool, field, value)
        for item in value if isinstance(value, list) else [value]:
            reason = _CHECKS[check](facts, field, item)
            if reason:
                found.append(Untraced(field=field, value=item, reason=reason, check=check))
    return found


def drop_untraceable(args: dict[str, Any], untraced: Iterable[Untraced]) -> dict[str, Any]:
    """`args` without the untraced values; a list keeps its traced items (and goes when none is left)."""
    bad: dict[str, list[Any]] = defaultdict(list)
    for u in untraced:
        bad[u.field].append(u.value)
    kept = dict(args)
    for field, values in bad.items():
        if field not in kept:
            continue
        current = kept[field]
        if isinstance(current, list):
            rest = [v for v in current if v not in values]
            if rest:
                kept[field] = rest
                continue
        del kept[field]
    return kept


# ---------------------------------------------------------------- words


_STOP_TEXT = (
    # English
    "a an the and or of in on at to for from with by about as is are was were be been do does did have has had"
    " it its this that these those which who whom what when where why how me my we our us you your they their"
    " them he she his her i not no than then so if but all any some more most less very can could would should"
    " will show give list find tell get want need please see"
    # Spanish
    " el la los las un una unos unas y o de del en con por para que qué cual cuál quien quién como cómo es son"
    " al lo se su sus mi mis me nos más menos muy sin sobre este esta estos estas ese esa muestra muéstrame dame"
    # German
    " der die das den dem des ein eine einen einem einer und oder von im in mit für auf an zu ist sind war wie"
    " was wer welche welcher welches nicht kein keine mehr weniger sehr zeig zeige mir uns bitte"
    # French
    " le la les un une des et ou de du en dans avec pour par sur que qui quoi quel quelle quels quelles est sont"
    " au aux ce cette ces mon ma mes nos notre plus moins très montre montrez moi"
    # Portuguese
    " o a os as um uma uns umas e ou de do da dos das em no na nos nas com por para que qual quem como é são"
    " ao à seu sua seus suas meu minha mais menos muito mostre mostra"
)  # fmt: skip
_STOPWORDS = frozenset(_STOP_TEXT.split())
# Words that name the kind of thing, not a category of it: "Products" is no category.
_GENERIC_TEXT = (
    "product products item items category categories catalogue catalog sale sales customer customers order orders"
    " review reviews thing things stuff goods article articles merchandise range line collection department class"
    " producto productos artículo artículos categoría categorías cliente clientes pedido pedidos ventas"
    " produkt produkte artikel kategorie kategorien kunde kunden bestellung bestellungen"
    " produit produits catégorie catégories commande commandes"
    " produto produtos categoria categorias encomenda vendas"
)  # fmt: skip
_GENERIC = frozenset(_GENERIC_TEXT.split()) | frozenset("产品商品类别品类分类类目客户订单销售")
_CJK_STOP = frozenset("的了是在和与及或吗呢吧啊么我你他她它们这那个些有也都就要给把被从对请哪什怎")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")


def _words(text: str) -> list[str]:
    return [w for w in _WORD_RE.findall(_CJK_RE.sub(" ", _fold(text))) if len(w) > 1 or w.isdigit()]


_STOP = frozenset(_fold(w) for w in _STOPWORDS)
_GENERIC_FOLDED = frozenset(_fold(w) for w in _GENERIC)


def _content(text: str, generic: bool = False) -> tuple[list[str], list[str]]:
    """Content words (no stopwords; no generic words if asked) and CJK characters (no particles) of a text."""
    drop = _STOP | _GENERIC_FOLDED if generic else _STOP
    words = [w for w in _words(text) if w not in drop]
    chars = [c for c in _CJK_RE.findall(text) if c not in _CJK_STOP and not (generic and c in _GENERIC)]
    return words, chars


def names_nothing(text: str) -> bool:
    """Whether a text is only stopwords and words for the kind of thing ('all', 'the products', 'items')."""
    words, chars = _content(text, generic=True)
    return not words and not chars


def content_size(text: str) -> int:
    """How many content words a text has (two CJK characters count as one word)."""
    words, chars = _content(text)
    return len(words) + (len(chars) + 1) // 2


class _Facts:
    """The evidence, indexed once per call."""

    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.slots = evidence.slots
        self.text = "\n".join(evidence.texts)
        self.folded = _fold(self.text)
        # A value the resolver found is said in the data's spelling too: 'Kleider' said is 'Dresses' said.
        self.words = set(_words(self.text)) | {w for vs in evidence.mentioned.values() for v in vs for w in _words(v)}
        self.by_prefix: dict[str, set[str]] = defaultdict(set)
        for w in self.words:
            self.by_prefix[w[:4]].add(w)
        self.chars = set(_CJK_RE.findall(self.text))
        self.stated = _stated(evidence)
        self.derived = self.stated | _derived(evidence.slots)
        self.dates = _date_candidates(evidence)
        self.points = _date_candidates(evidence, ends_only=True) | {self.slots.today}
        self.mentioned = {k: {_fold(v) for v in vs} for k, vs in evidence.mentioned.items()}
        self._marketer: _Facts | None = None

    @property
    def marketer(self) -> _Facts:
        """The same index over the marketer's words only (no tool results, no numbers found in them)."""
        if self._marketer is None:
            own = self.evidence.model_copy(update={"texts": self.evidence.marketer, "numbers": set()})
            self._marketer = _Facts(own)
        return self._marketer

    def said(self, word: str) -> bool:
        """The word, or the same word with another ending (zipper/zippers, broke/broken), is in the texts."""
        if word in self.words or word + "s" in self.words or (word.endswith("s") and word[:-1] in self.words):
            return True
        if len(word) < 4:
            return False
        return any(_same_stem(word, w) for w in self.by_prefix.get(word[:4], ()))

    def share_said(self, words: list[str], chars: list[str]) -> float:
        total = len(words) + len(chars)
        hits = sum(self.said(w) for w in words) + sum(c in self.chars for c in chars)
        return hits / total if total else 0.0


def _same_stem(a: str, b: str) -> bool:
    common = len(next((a[:i] for i in range(min(len(a), len(b)), 0, -1) if a[:i] == b[:i]), ""))
    return common >= 4 and max(len(a), len(b)) - common <= 3


# ---------------------------------------------------------------- numbers and dates


def _key(value: float) -> float:
    return round(float(value), 6)


def _stated(evidence: Evidence) -> set[float]:
    s = evidence.slots
    values = [*s.numbers, *s.percentages, *(m.amount for m in s.money), *(b.value for b in s.bounds)]
    values += [*evidence.numbers, *([s.top_n] if s.top_n else [])]
    return {_key(v) for v in values}


def _derived(slots: Slots, unit: Unit | None = None) -> set[float]:
    """Numbers a stated one becomes in a documented way; lengths of time only in `unit` when the field names one
    (recency_days_min may be 30 for "a month", never 1)."""
    out: set[float] = set()
    for pct in slots.percentages:
        out |= {pct / 100, (pct - 1) / 100, (pct + 1) / 100}  # 70 % -> 0.7; "above 70 %" -> 0.71
    for b in slots.bounds:
        out |= {b.value - 1, b.value + 1}  # "more than 10" -> 11 for a whole number; 9 for "fewer than 10"
        if b.quantity == "probability" and b.value > 1:
            out |= {b.value / 100, (b.value + 1) / 100, (b.value - 1) / 100}
    for d in slots.durations:
        for form_unit, forms in _duration_forms(d.value, d.unit).items():
            if unit is None or form_unit == unit:
                out |= forms
    for p in slots.periods:
        days = (p.end - p.start).days + 1  # next quarter -> 91 days, 13 weeks, 3 months
        lengths = {"day": float(days), "week": float(round(days / 7)), "month": float(round(days / 30.44))}
        out |= {v for u, v in lengths.items() if unit is None or u == unit}
    return {_key(v) for v in out}


def _duration_forms(n: float, unit: Unit) -> dict[str, set[float]]:
    """A length in other units (by unit), with the slack of 30- or 31-day months and 365- or 366-day years."""
    days_per = {"day": (1, 1), "week": (7, 7), "month": (30, 31), "quarter": (90, 92), "year": (365, 366)}[unit]
    low, high = int(n * days_per[0]) - 1, int(n * days_per[1]) + 1
    out: dict[str, set[float]] = defaultdict(set)
    out["day"] = {float(d) for d in range(max(low, 0), high + 1)}
    months = {"month": 1, "quarter": 3, "year": 12}.get(unit)
    if months:
        out["month"].add(n * months)
        out["week"].add(round(n * months * 30.44 / 7))
    if unit == "week":
        out["week"].add(n)
    if unit == "day":
        for per, per_unit in ((7, "week"), (30, "month"), (365, "year")):
            if n >= per and abs(n / per - round(n / per)) < 0.1:  # 14 days -> 2 weeks, 90 days -> 3 months
                out[per_unit].add(round(n / per))
    if unit in ("quarter", "year"):
        out[unit].add(n)
    return out


def _field_unit(field: str) -> Unit | None:
    """The unit of time a field's name gives its number ('recency_days_max' -> day, 'horizon_months' -> month)."""
    units: tuple[Unit, ...] = ("day", "week", "month", "quarter", "year")
    return next((u for u in units if re.search(rf"(?:^|_){u}s?(?:_|$)", field)), None)


def _date_candidates(evidence: Evidence, ends_only: bool = False) -> set[date]:
    s = evidence.slots
    anchors = list(s.dates)
    for p in s.periods:
        anchors += [p.end] if ends_only else [p.start, p.end]
        if p.start <= s.today < p.end:
            anchors.append(s.today)  # "in 2011" on data ending 2011-12-09 may end on the last order date
    near = {a + timedelta(days=k) for a in anchors for k in (-1, 0, 1)}
    for iso in re.findall(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)", "\n".join(evidence.texts)):
        parsed = _as_date(iso)
        if parsed:
            near.add(parsed)
    return near


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# ---------------------------------------------------------------- checks: a reason, or None when traced


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # a small model may send "10"; pydantic coerces it the same way
    except (TypeError, ValueError):
        return None


def _number(facts: _Facts, field: str, value: Any) -> str | None:
    number = _as_number(value)
    if number is None:
        return f"{value!r} is not a number"
    unit = _field_unit(field)
    candidates = facts.derived
    if unit:
        # "6 months" gives a field in days 180 (and 182), never 6.
        other = {_key(d.value) for d in facts.slots.durations if d.unit != unit}
        candidates = (facts.stated - other) | _derived(facts.slots, unit)
    if "probab" in field or field.endswith("_rate"):
        candidates = candidates | {_key(n / 100) for n in facts.stated if 1 < n <= 100}
    if _key(number) in candidates:
        return None
    return f"{value} is not a stated number nor derived from one"


def _stated_number(facts: _Facts, field: str, value: Any) -> str | None:
    number = _as_number(value)
    if number is not None and _key(number) in facts.stated:
        return None
    return f"{value!r} was not stated"


def _date(facts: _Facts, field: str, value: Any) -> str | None:
    day = _as_date(value)
    if day is None:
        return f"{value!r} is not a date"
    if field == "as_of":
        if day in facts.points:
            return None  # as_of = the data's last date is the default, only spelled out
        if day in facts.dates:
            # "last 90 days" starts 90 days back: scoring customers as of then answers another question.
            return f"{day} starts a stated period; as_of is a point in time (a stated date or a period's end)"
    elif day in facts.dates:
        return None
    if day > facts.slots.today + timedelta(days=1):
        return f"{day} is after the data's last date {facts.slots.today} and no stated date or period gives it"
    return f"{day} is not a stated date nor a boundary of a stated period"


def _mentioned(kind: str) -> Callable[[_Facts, str, Any], str | None]:
    def check(facts: _Facts, field: str, value: Any) -> str | None:
        if _fold(_plain(value)) in facts.mentioned.get(kind, set()):
            return None
        return f"{kind} {_plain(value)!r} was not mentioned"

    return check


def _segment(facts: _Facts, field: str, value: Any) -> str | None:
    name = _plain(value)
    key = re.sub(r"[^a-z0-9]+", "_", _fold(name).replace("'", "")).strip("_")
    mentioned = {re.sub(r"[^a-z0-9]+", "_", v.replace("'", "")).strip("_") for v in facts.mentioned.get("segment", ())}
    if key in mentioned:
        return None
    parts = [re.escape(p) for p in key.split("_") if p]
    if parts:
        parts[-1] = parts[-1].removesuffix("s") + "s?"  # champion / champions
        pattern = r"(?<![a-z0-9])" + r"[\s_-]*".join(parts) + r"(?![a-z0-9])"
        if re.search(pattern, facts.folded.replace("'", "").replace("\u2019", "")):
            return None
    return f"segment {name!r} was not named"


def _category(facts: _Facts, field: str, value: Any) -> str | None:
    name = _plain(value)
    if _fold(name) in facts.mentioned.get("category", set()):
        return None
    words, chars = _content(name, generic=True)
    if not words and not chars:
        return f"category {name!r} is only generic words"
    if facts.share_said(words, chars) == 1.0:
        return None
    return f"category {name!r} was not mentioned"


def _identifier(facts: _Facts, field: str, value: Any) -> str | None:
    ident = _plain(value)
    if isinstance(value, float) and value.is_integer():
        ident = str(int(value))
    pattern = r"(?<![0-9A-Za-z])" + re.escape(ident) + r"(?![0-9A-Za-z])"
    if ident and re.search(pattern, facts.text, re.IGNORECASE):
        return None
    return f"id {ident!r} does not appear in the conversation"


def _product(facts: _Facts, field: str, value: Any) -> str | None:
    name = _plain(value)
    if re.fullmatch(r"[A-Za-z]{0,3}\d+[A-Za-z]{0,3}", name.strip()):
        return _identifier(facts, field, value)
    words, chars = _content(name)
    if (words or chars) and facts.share_said(words, chars) > 0.5:  # most of the name's words
        return None
    return f"product {name!r}: most of its words were not said"


def _text(facts: _Facts, field: str, value: Any) -> str | None:
    words, chars = _content(_plain(value))
    if (words or chars) and facts.share_said(words, chars) >= 0.5:
        return None
    return f"{field} {_plain(value)!r}: fewer than half of its words were said"


def _offer(facts: _Facts, field: str, value: Any) -> str | None:
    """Offers are the marketer's: traced to their words only (DESIGN.md), never to data a tool returned."""
    from tools.copywriter.offer import parse_offer  # the copy tool's reading of offers, in every language

    facts = facts.marketer

    terms = [(t.kind, t.values, t.threshold) for t in parse_offer(_plain(value)).terms]
    if terms:
        # "7折" for a marketer's "七折", "30% off" for "七折": the same offer, whatever the notation.
        said = {(t.kind, t.values, t.threshold) for t in parse_offer(facts.text).terms}
        if all(t in said for t in terms):
            return None
    unstated = [n for n in numbers_in(_plain(value)) if _key(n) not in facts.stated]
    if unstated:
        return f"offer states {', '.join(f'{n:g}' for n in unstated)}, which nobody said"
    return _text(facts, field, value)


def _file(facts: _Facts, field: str, value: Any) -> str | None:
    # The marketer's own words decide: tool results echo "export" and ".csv" without anyone asking.
    if value is True and not facts.slots.wants_file:
        return "no file was asked for"
    return None


def _plain(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


_CHECKS: dict[Check, Callable[[_Facts, str, Any], str | None]] = {
    Check.NUMBER: _number,
    Check.STATED: _stated_number,
    Check.DATE: _date,
    Check.COUNTRY: _mentioned("country"),
    Check.SEGMENT: _segment,
    Check.CATEGORY: _category,
    Check.ID: _identifier,
    Check.PRODUCT: _product,
    Check.TEXT: _text,
    Check.OFFER: _offer,
    Check.FILE: _file,
    Check.NONE: lambda facts, field, value: None,
}
