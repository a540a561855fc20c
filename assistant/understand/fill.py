"""Complete a routed tool call from what code read in the request: "the model chooses, code decides".

The router picks the tool; where the request itself states an argument, code sets it:

- a stated bound ("more than 10 orders", "under 200 pounds") fills its input when the model left it out, moves
  the number when the model put it on the wrong side (monetary_min for "less than 200"), and is made exact:
  whole-number bounds become N+1 / N-1, other strict ones are named in `strict_bounds`;
- a data value the request names (a resolved country, category or segment; a customer or product id) fills the
  tool's one input of that kind when the model left it empty;
- an argument equal to what the tool does without it (its declared default, or `as_of` = the data's last date
  for tools that read "no as_of" as that date) is dropped: a no-op nobody needs to trace.

Only unambiguous readings act: one bound per side of a quantity, one value of a kind for a single-valued input,
no ambiguous number (`slots.ambiguous`); a bound with no quantity, or a quantity no input holds, is ignored.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from assistant.understand.aliases import Mention
from assistant.understand.slots import Bound, Period, Quantity, Slots
from assistant.understand.vocabulary import DATA_FIELDS


@dataclass(frozen=True)
class Range:
    """The inputs that bound one quantity: `low` holds "at least", `high` "at most" (either may be missing)."""

    low: str | None
    high: str | None
    whole: bool = False  # whole numbers: "more than 10" is exactly "at least 11"
    percent: bool = False  # a probability 0-1: a stated 70 (%) is 0.7


# The inputs each bounded quantity may go to, in order of preference: a tool takes the first whose inputs it has,
# unless the model already put the stated number into a later one (past spend vs predicted spend).
RANGES: dict[Quantity, tuple[Range, ...]] = {
    "orders": (Range("frequency_min", "frequency_max", whole=True),),
    "spend": (Range("monetary_min", "monetary_max"), Range("expected_spend_min", None)),
    "days": (Range("recency_days_min", "recency_days_max", whole=True),),
    "probability": (
        Range("churn_probability_min", "churn_probability_max", percent=True),
        Range("min_probability", None, percent=True),
    ),
    "rating": (Range("min_rating", "max_rating", whole=True),),
}
TARGET_GROUPS = "TARGET_GROUPS"  # an input model's groups of which exactly one names the target
STRICT_FIELD = "strict_bounds"  # names the bounds that exclude their value (code-only; tools/segments/spec.py)

# Which inputs take a value of each kind the entity resolver finds (vocabulary.DATA_FIELDS owns the list).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(name for name, k in DATA_FIELDS.items() if k == kind) for kind in ("country", "category", "segment")
}
# Ids read by slots, and the inputs that take them (bought_product takes an id or a name).
ID_FIELDS: dict[Literal["customer_ids", "product_ids"], tuple[str, ...]] = {
    "customer_ids": ("customer_id",),
    "product_ids": ("product_ids", "product_id", "bought_product"),
}
# Inputs that name a product by its words: a category word inside them is part of the name, not a filter.
NAME_FIELDS = ("bought_product", "product_ids", "products")
# Inputs that break a result down: a kind the request groups by is not also a filter ("compare Germany and
# France"), and a bound may then be about the groups ("countries with revenue over 10k"), so none is filled.
GROUP_FIELDS = ("group_by", "then_by", "segment_by")
# Values whose words are the tool's own question: "churn risk" names segment at_risk, but predict_churn asks it.
TOPIC_VALUES: dict[str, dict[str, frozenset[str]]] = {
    "predict_churn": {"segment": frozenset({"at_risk", "lost"})},
}
# Segment names that also describe time: beside a stated period they describe the period's customers ("new
# customers in February" first ordered then; "customers lost since June"), not the RFM segment as of today.
PERIOD_WORDS: dict[str, frozenset[str]] = {"segment": frozenset({"new", "lost"})}
# Inputs whose None the tool reads as the data's last order date (meta last_order_at), checked in the tools:
# tools/segments/query.py resolve_as_of (customer_overview plans through it). The prediction tools read None as
# the last *completed* order of a known customer, which may be earlier, so their as_of is not listed.
LAST_DATE_DEFAULTS: dict[str, tuple[str, ...]] = {
    "segment_query": ("as_of",),
    "customer_overview": ("as_of",),
}


def fill_from_request(
    tool: str,
    fields: Mapping[str, FieldInfo] | type[BaseModel],
    args: dict[str, Any],
    slots: Slots,
    mentions: list[Mention],
    last_date: date | None,
    text: str = "",
) -> tuple[dict[str, Any], list[str]]:
    """(the arguments completed from the request, short notes of what code changed).

    `fields` are the tool input's fields (or its model); `slots` and `mentions` are read from the request;
    `last_date` is the data's last order date as the tools read it (Vocabulary.last_order_date); `text` the
    request itself, for the few readings slots do not carry (a negated period). Dropping an
    argument equal to its declared default is not noted: the tool receives the very same input."""
    info = fields.model_fields if isinstance(fields, type) else dict(fields)
    notes: list[str] = []
    out = _drop_defaults(tool, info, args, last_date, notes)
    _ungroup_one_named_value(tool, info, out, mentions, text, notes)
    _drop_unasked_breakdown(tool, out, mentions, text, notes)
    grouped = _grouped_kinds(info, out)
    _fill_bounds(info, out, slots, bool(grouped), notes)
    _fill_first_order(info, out, slots, mentions, text, notes)
    _drop_unsaid_lapse(out, text, notes)
    if not (FIRST_FROM in out and FIRST_FROM not in args):
        _fill_recency(info, out, slots, text, notes)
    _fill_mentions(tool, info, out, mentions, grouped, bool(slots.periods), notes)
    _fill_period(info, out, slots, text, notes)
    _fill_ids(info, out, slots, notes)
    _one_target(getattr(fields, TARGET_GROUPS, ()) if isinstance(fields, type) else (), out, slots, notes)
    return out, notes


# ---------------------------------------------------------------- no-op arguments


def _drop_defaults(
    tool: str, info: Mapping[str, FieldInfo], args: dict[str, Any], last_date: date | None, notes: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in args.items():
        field = info.get(name)
        if field is not None and not field.is_required():
            if _equals(field, value, field.get_default(call_default_factory=True)):
                continue  # the same input the tool builds without it
            if last_date is not None and name in LAST_DATE_DEFAULTS.get(tool, ()) and _equals(field, value, last_date):
                notes.append(f"{name} {last_date.isoformat()} dropped: the data's last date is the default")
                continue
            if last_date is not None and name == "as_of" and _after(value, last_date):
                # Nothing is known after the data ends: a later as_of is a horizon the model misplaced.
                notes.append(f"as_of {value} dropped: after the data's last date {last_date.isoformat()}")
                continue
        out[name] = value
    return out


def _after(value: Any, last_date: date) -> bool:
    try:
        return date.fromisoformat(str(value)[:10]) > last_date
    except ValueError:
        return False


def _equals(field: FieldInfo, value: Any, target: Any) -> bool:
    """Whether `value`, validated as the field would validate it, is `target` ("2011-12-09" is that date)."""
    if value is None or target is None:
        return value is None and target is None
    if isinstance(target, bool) != isinstance(value, bool):
        return False  # 0 is not False: a number sent for a switch is the model's error, not a default
    try:
        return bool(_adapter(field).validate_python(value) == target)
    except ValidationError:
        return False


def _adapter(field: FieldInfo) -> TypeAdapter[Any]:
    """The field's type with its constraints (ge, le, max_length...), to check one value as the tool would."""
    kind: Any = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    return TypeAdapter(kind)


def _valid(field: FieldInfo, value: Any) -> bool:
    try:
        _adapter(field).validate_python(value)
    except ValidationError:
        return False
    return True


def _grouped_kinds(info: Mapping[str, FieldInfo], args: dict[str, Any]) -> set[str]:
    """What the call breaks its result down by ("country", "segment", ...), its declared default aside."""
    kinds = set()
    for name in GROUP_FIELDS:
        if name in info and args.get(name) is not None:
            value = args[name]
            kinds.add(str(getattr(value, "value", value)))
    return kinds - {"none"}


# Words that ask for a breakdown by a kind, in the languages the assistant answers in: with one of them the
# request may well compare its one named value with the others ("Spain against the other countries").
KIND_NOUNS: dict[str, re.Pattern[str]] = {
    "country": re.compile(
        r"countr|\bmarkets?\b|\bnations?\b|\bpa[ií]s(?:es)?\b|\bländer|\bland\b|\bpays\b|国家|各国|市场",
        re.IGNORECASE,
    ),
    "category": re.compile(r"categor|department|departamento|abteilung|\brayons?\b|类别|品类|部门", re.IGNORECASE),
    "segment": re.compile(r"segment|分群|细分", re.IGNORECASE),
    "cluster": re.compile(r"cluster|clúster|聚类|簇", re.IGNORECASE),
    "month": re.compile(
        r"month|\bmes(?:es)?\b|mensual|\bmonat|\bmois\b|mensuel|\bmês\b|mensal|月|trend|tendenc|tendanc|tendênc"
        r"|over time|evolv|evoluc|evoluç|évolution|verlauf|entwick|趋势",
        re.IGNORECASE,
    ),
}
# Tools a small router gives a breakdown nobody asked for ("How many customers ordered in the last 60 days?" as a
# table by country): without a word for the kind, or two values of it named, the breakdown goes.
UNASKED_BREAKDOWN_TOOLS = frozenset({"segment_query", "predict_clv"})


def _ungroup_one_named_value(
    tool: str, info: Mapping[str, FieldInfo], out: dict[str, Any], mentions: list[Mention], text: str,
    notes: list[str],
) -> None:  # fmt: skip
    """ "How many customers in Spain?" routed as a breakdown by country (one row of which answers it): with exactly
    one value of the grouped kind named, no word asking for that breakdown and the filter input empty, the value
    is the filter and the breakdown goes. Several values named, or "countries", leave the model's breakdown."""
    for name in GROUP_FIELDS:
        if name not in info or out.get(name) is None:
            continue
        kind = str(getattr(out[name], "value", out[name]))
        targets = [f for f in KIND_FIELDS.get(kind, ()) if f in info]
        named = [m for m in mentions if m.kind == kind]
        rest = text
        for m in named:  # "Países Bajos", "Pays-Bas" name a country; they do not ask for a breakdown
            rest = rest.replace(m.surface, " ")
        if len(targets) != 1 or not _unset(out.get(targets[0])) or KIND_NOUNS[kind].search(rest):
            continue
        values = list(dict.fromkeys(m.value for m in named))
        if len(values) != 1 or values[0] in TOPIC_VALUES.get(tool, {}).get(kind, frozenset()):
            continue
        value: Any = values if _is_list(info[targets[0]]) else values[0]
        if not _valid(info[targets[0]], value):
            continue
        out[targets[0]] = value
        out.pop(name)  # the tool's default: no breakdown
        notes.append(f"{name} {kind} -> {targets[0]} = {values[0]!r}: the request names one {kind}")


def _drop_unasked_breakdown(
    tool: str, out: dict[str, Any], mentions: list[Mention], text: str, notes: list[str]
) -> None:
    if tool not in UNASKED_BREAKDOWN_TOOLS or out.get("group_by") is None or not text:
        return
    kind = str(getattr(out["group_by"], "value", out["group_by"]))
    words = KIND_NOUNS.get(kind)
    if words is None or words.search(text) or len({m.value for m in mentions if m.kind == kind}) >= 2:
        return
    out.pop("group_by")
    notes.append(f"group_by {kind!r} left out: the request asks for no breakdown by {kind}")


# ---------------------------------------------------------------- bounds


def _fill_bounds(
    info: Mapping[str, FieldInfo], out: dict[str, Any], slots: Slots, grouped: bool, notes: list[str]
) -> None:
    by_quantity: dict[Quantity, list[Bound]] = {}
    for bound in slots.bounds:
        if bound.quantity is None or any(a in bound.surface for a in slots.ambiguous):
            continue  # no quantity: the number may bound anything; an ambiguous number fills nothing
        by_quantity.setdefault(bound.quantity, []).append(bound)
    for quantity, bounds in by_quantity.items():
        lows = [b for b in bounds if b.op in ("gt", "ge", "eq")]
        highs = [b for b in bounds if b.op in ("lt", "le", "eq")]
        if len(lows) > 1 or len(highs) > 1:
            continue  # two limits on one side: which one holds?
        found = _range_for(quantity, info, out, bounds)
        if found is None:
            continue
        # The stated number in another quantity's input ("al menos 5 pedidos" as monetary_min 5) is this bound's:
        # it leaves that input and fills this quantity's, breakdown or not.
        moved = _take_misplaced(quantity, found, bounds, by_quantity, info, out, notes)
        for bound in bounds:
            sides = ("low", "high") if bound.op == "eq" else ("low",) if bound in lows else ("high",)
            for side in sides:
                _apply(found, side, bound, info, out, grouped and not moved, alone=len(bounds) == 1, notes=notes)


def bounded_tool(slots: Slots, tool_fields: Mapping[str, Collection[str]], text: str = "") -> str | None:
    """The one tool whose inputs hold every filter the request states, or None (none stated, or several tools
    could hold them): a bound on a quantity ("customers with 5 to 10 orders": only segment_query filters
    customers by their orders), the period of a first order ("first ordered in September 2011") and, alone, a
    recent period of customers ("customers who bought in the last 90 days")."""
    needs: list[set[str]] = [
        {f for r in RANGES.get(b.quantity, ()) for f in (r.low, r.high) if f}
        for b in slots.bounds
        if b.quantity and not any(a in b.surface for a in slots.ambiguous)
    ]
    if text and _first_order_period(slots, text) is not None:
        needs.append({FIRST_FROM})
    elif text and not needs and _CUSTOMERS.search(text) and _recent_span(slots, text) is not None:
        needs.append({RECENCY_HIGH})  # "customers who ordered in the last 90 days": days since their last order
    if not needs:
        return None
    holders = [tool for tool, fields in tool_fields.items() if all(need & set(fields) for need in needs)]
    return holders[0] if len(holders) == 1 else None


def _take_misplaced(
    quantity: Quantity, r: Range, bounds: list[Bound], by_quantity: Mapping[Quantity, list[Bound]],
    info: Mapping[str, FieldInfo], out: dict[str, Any], notes: list[str],
) -> bool:  # fmt: skip
    """Take out of other quantities' inputs the numbers that are this quantity's bounds and no other's; True when
    one was taken (the bound is then surely the request's filter)."""
    if any(_said(out.get(f), b, r) for b in bounds for f in (r.low, r.high) if f):
        return False  # the model used the number where it belongs
    taken = False
    for other, ranges in RANGES.items():
        if other == quantity:
            continue
        theirs = by_quantity.get(other, [])
        for o in ranges:
            for field_name in (o.low, o.high):
                if not field_name or field_name not in info or field_name not in out:
                    continue
                value = out[field_name]
                if any(_said(value, b, r) for b in bounds) and not any(_said(value, b, o) for b in theirs):
                    del out[field_name]
                    _unstrict(out, field_name)
                    notes.append(f"{field_name} {value} left out: the request states it of {quantity}")
                    taken = True
    return taken


def _range_for(
    quantity: Quantity, info: Mapping[str, FieldInfo], out: dict[str, Any], bounds: list[Bound]
) -> Range | None:
    usable = [r for r in RANGES.get(quantity, ()) if all(f is None or f in info for f in (r.low, r.high))]
    for r in usable:  # the model's own choice among the candidates, when it used the stated number there
        if any(_said(out.get(f), b, r) for b in bounds for f in (r.low, r.high) if f):
            return r
    return usable[0] if usable else None


def _apply(
    r: Range, side: str, bound: Bound, info: Mapping[str, FieldInfo], out: dict[str, Any],
    grouped: bool, alone: bool, notes: list[str],
) -> None:  # fmt: skip
    target, other = (r.low, r.high) if side == "low" else (r.high, r.low)
    if target is None:
        return
    exact = _exact(r, bound, side, STRICT_FIELD in info)
    if exact is None:
        return  # a strict bound the tool cannot express ("more than 0.7" with only an inclusive input)
    value, strict = exact
    current = out.get(target)
    if current is not None:
        named = {str(getattr(n, "value", n)) for n in out.get(STRICT_FIELD) or []}
        if not _said(current, bound, r) or (current == value and (not strict or target in named)):
            return  # the model's own number (or already exact): not this reading to correct
        note = f"{target} {current} -> {value}" + (" (strict)" if strict else "") + f" from '{bound.surface}'"
    elif other and bound.op != "eq" and alone and _said(out.get(other), bound, r):
        note = f"{other} {out[other]} moved to {target} = {value}" + (" (strict)" if strict else "")
        note += f": '{bound.surface}'"
        out.pop(other)
        _unstrict(out, other)
    elif grouped:
        return  # with a breakdown, the bound may be about the groups
    else:
        note = f"{target} = {value}" + (" (strict)" if strict else "") + f" from '{bound.surface}'"
    if not _valid(info[target], value):
        return  # outside what the input accepts ("more than 5 stars"): the tool's own check explains it
    out[target] = value
    if strict:
        out[STRICT_FIELD] = sorted({*(out.get(STRICT_FIELD) or []), target})
    else:
        _unstrict(out, target)
    notes.append(note)


def _exact(r: Range, bound: Bound, side: str, can_name_strict: bool) -> tuple[float | int, bool] | None:
    """(the input's value, whether it must be named strict) for a bound on one side; None: not expressible."""
    said = _scaled(bound.value, r)
    if r.whole:
        if bound.op == "eq" and not float(said).is_integer():
            return None
        if side == "low":
            return (math.floor(said) + 1 if bound.op == "gt" else math.ceil(said)), False
        return (math.ceil(said) - 1 if bound.op == "lt" else math.floor(said)), False
    strict = bound.op in ("gt", "lt")
    if strict and not can_name_strict:
        return None
    return (int(said) if float(said).is_integer() and not r.percent else said), strict


def _scaled(value: float, r: Range) -> float:
    return value / 100 if r.percent and value > 1 else value


def _said(value: Any, bound: Bound, r: Range) -> bool:
    """Whether an argument holds the bound's number as stated (70 or 0.7 for 70 %)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return any(abs(float(value) - v) < 1e-9 for v in (bound.value, _scaled(bound.value, r)))


def _unstrict(out: dict[str, Any], name: str) -> None:
    strict = [s for s in out.get(STRICT_FIELD) or [] if str(getattr(s, "value", s)) != name]
    if strict:
        out[STRICT_FIELD] = strict
    else:
        out.pop(STRICT_FIELD, None)


# ---------------------------------------------------------------- recency from a period

RECENCY_LOW, RECENCY_HIGH = "recency_days_min", "recency_days_max"
# A period said with a negation ("not ordered in the last 60 days") means the opposite bound; left to the model.
_NEGATION = re.compile(
    r"(?<![^\W\d_])(?:not|no|never|without|haven't|hasn't|didn't|don't|sin|nunca|nicht|kein\w*|nie|pas|jamais|"
    r"sans|aucun\w*|não|nao|sem)(?![^\W\d_])|n't|[没未不]",
    re.IGNORECASE,
)
_DAYS_PER = {"day": 1, "week": 7}
# Customers who stopped ordering, said without a negation ("inactive since June", "沉睡客户").
_LAPSE = re.compile(
    r"inactiv|inaktiv|inativ|dormant|dormid|lapsed|lapsing|stopped|\bquit\b|gone quiet|aufgehört|ruhend|arr[eê]t|"
    r"dejaron|dejado|pararam|parou|沉睡|休眠|流失|不活跃",
    re.IGNORECASE,
)
LAPSE_FIELD = "not_ordered_since"


def _drop_unsaid_lapse(out: dict[str, Any], text: str, notes: list[str]) -> None:
    """'Has not ordered since' needs the request to say so: a date the model derived from a stated period ('first
    ordered in September 2011' as not_ordered_since 2011-09-01) turns buyers into lapsed customers."""
    if out.get(LAPSE_FIELD) is None or not text or _NEGATION.search(text) or _LAPSE.search(text):
        return
    notes.append(f"{LAPSE_FIELD} {out.pop(LAPSE_FIELD)} left out: the request says nobody stopped ordering")


def _fill_recency(
    info: Mapping[str, FieldInfo], out: dict[str, Any], slots: Slots, text: str, notes: list[str]
) -> None:
    """'Ordered in the last 30 days' is at most 30 days since the last order: recency_days_max, where a small
    model writes recency_days_min. Only one period up to the data's last date, no days bound, no negation nor
    lapse ('inactive since September' bounds the other side)."""
    if RECENCY_HIGH not in info:
        return
    recent = _recent_span(slots, text)
    if recent is None:
        return
    span, surface = recent
    if out.get(RECENCY_HIGH) == span:
        return
    if out.get(RECENCY_LOW) == span:
        del out[RECENCY_LOW]  # the number on the wrong side
    elif out.get(RECENCY_HIGH) is not None or out.get(RECENCY_LOW) is not None:
        return  # the model used another number: not ours to overrule
    out[RECENCY_HIGH] = span
    notes.append(f"{RECENCY_HIGH}={span} from '{surface}'")


def _recent_span(slots: Slots, text: str) -> tuple[int, str] | None:
    """The days of the one recent period a request states ('in the last 30 days', 'since October') with its
    words, or None: not with a days bound, a negation or a lapse word, nor beside another period."""
    if any(b.quantity == "days" for b in slots.bounds) or _NEGATION.search(text) or _LAPSE.search(text):
        return None
    recent = [p for p in slots.periods if p.end == slots.today and not p.future and not p.year_assumed]
    if len(recent) != 1 or len(slots.periods) != 1:
        return None
    days = [int(d.value * _DAYS_PER[d.unit]) for d in slots.durations if d.unit in _DAYS_PER]
    span = days[0] if len(days) == 1 else (recent[0].end - recent[0].start).days + 1
    return span, recent[0].surface


# The request counts or lists customers (not revenue, orders or products): a recent period is then their last order.
_CUSTOMERS = re.compile(
    r"\b(?:how many|number of|count of|list(?: the| all)?|which|show(?: me)?(?: the| all)?)\s+(?:\w+\s+)?customers\b"
    r"|\bcustomers\s*,?\s+(?:who|that|with)\b"
    r"|\b(?:cu[aá]ntos|quantos|n[uú]mero de|lista(?:r)?(?: (?:os|las|los))?|quais|qu[eé])\s+clientes\b"
    r"|\bclientes\s*,?\s+(?:que|con|com)\b"
    r"|\b(?:combien de|nombre de|liste(?:r)?(?: (?:les|des))?|quels|quelles)\s+client(?:s|e|es)?\b"
    r"|\bclient(?:s|e|es)?\s*,?\s+(?:qui|ayant|avec)\b"
    r"|\b(?:wie viele|anzahl(?: der)?|liste(?: der| alle)?|welche)\s+kund(?:en|innen)\b"
    r"|\bkund(?:en|innen)\s*,?\s+(?:die|mit)\b"
    r"|(?:的|多少|列出)(?:客户|顾客)|(?:客户|顾客)(?:有多少|数)",
    re.IGNORECASE,
)


FIRST_FROM, FIRST_TO = "first_order_from", "first_order_to"
# "First ordered / first purchase / new customers since" in the languages answered: the period is when they first
# ordered, not the date to score them as of (a small model writes as_of = the month's first day).
_FIRST_ORDER = re.compile(
    r"\bfirst\W+(?:\w+\W+){0,2}?(?:order|ordered|purchase|purchased|bought|buy|shopped)|for the first time"
    r"|primer[oa]?\s+(?:pedido|compra)|por primera vez|primeir[oa]\s+(?:pedido|compra|encomenda)|pela primeira vez"
    r"|premi[eè]re?\s+(?:commande|achat)|pour la premi[eè]re fois"
    r"|erste[nrms]?\s+(?:Bestellung|Kauf|Einkauf)|erstmals|zum ersten Mal|首次|首单|首笔|第一次(?:下单|购买|买)",
    re.IGNORECASE,
)


def _fill_first_order(
    info: Mapping[str, FieldInfo], out: dict[str, Any], slots: Slots, mentions: list[Mention], text: str,
    notes: list[str],
) -> None:  # fmt: skip
    """'Customers who first ordered in October 2011' or 'new customers from November 2011' (PERIOD_WORDS):
    first_order_from/to are that one past period. Not when the model already set either bound, nor with a
    negation ('did not first order ...' is the model's to read)."""
    if FIRST_FROM not in info or FIRST_TO not in info:
        return
    new = any(m.kind == "segment" and m.value == "new" for m in mentions)
    period = _first_order_period(slots, text, new)
    if period is None or not _unset(out.get(FIRST_FROM)) or not _unset(out.get(FIRST_TO)):
        return
    out[FIRST_FROM], out[FIRST_TO] = period.start, min(period.end, slots.today)
    if str(out.get("as_of"))[:10] in (period.start.isoformat(), period.end.isoformat()):
        del out["as_of"]  # the period, misplaced as the scoring date
    for name in (RECENCY_LOW, RECENCY_HIGH):
        if name in out and not any(b.quantity == "days" for b in slots.bounds):
            del out[name]  # the period's length, misplaced as days since the last order
    if new and "segments" in out:
        # 'New' beside the period describes who first ordered in it, not today's RFM segment 'new'.
        kept = [v for v in _as_list(out.pop("segments")) if v != "new"]
        if kept:
            out["segments"] = kept
    notes.append(f"{FIRST_FROM}..{FIRST_TO} = {period.start}..{out[FIRST_TO]} from '{period.surface}'")


def _first_order_period(slots: Slots, text: str, new: bool = False) -> Period | None:
    """The one past period the request gives for a first order (or for 'new' customers), unless negated."""
    if _NEGATION.search(text) or not (new or _FIRST_ORDER.search(text)):
        return None
    past = [p for p in slots.periods if not p.future]
    return past[0] if len(past) == 1 and len(slots.periods) == 1 else None


# ---------------------------------------------------------------- a period of the data

# A tool's period inputs: (start, end), both inclusive.
PERIOD_FIELDS = (("date_from", "date_to"), ("since", "until"))


def _fill_period(info: Mapping[str, FieldInfo], out: dict[str, Any], slots: Slots, text: str, notes: list[str]) -> None:
    """The one past period the request states ("in 2011", "last quarter") as the tool's period inputs, when the
    model set neither bound. Not a future period (a forecast horizon), one whose year was assumed ('in March':
    the model reads which), nor beside a negation ('not in 2010')."""
    period = slots.periods[0] if len(slots.periods) == 1 else None
    if period is None or period.future or period.year_assumed or _NEGATION.search(text):
        return
    for start, end in PERIOD_FIELDS:
        if start in info and end in info and _unset(out.get(start)) and _unset(out.get(end)):
            out[start], out[end] = period.start, period.end  # as said: the data's last day needs no clipping
            notes.append(f"{start}/{end} {period.start.isoformat()}..{period.end.isoformat()}: the request's period")


# ---------------------------------------------------------------- data values and ids


def _fill_mentions(
    tool: str, info: Mapping[str, FieldInfo], out: dict[str, Any], mentions: list[Mention], grouped: set[str],
    periods: bool, notes: list[str],
) -> None:  # fmt: skip
    names = " ".join(str(v).casefold() for f in NAME_FIELDS for v in _as_list(out.get(f)))
    topic = {k: set(v) for k, v in TOPIC_VALUES.get(tool, {}).items()}
    if periods:
        for kind, words in PERIOD_WORDS.items():
            topic.setdefault(kind, set()).update(words)
    for kind, candidates in KIND_FIELDS.items():
        targets = [f for f in candidates if f in info]
        if len(targets) != 1 or kind in grouped or not _unset(out.get(targets[0])):
            continue
        values = list(
            dict.fromkeys(
                m.value
                for m in mentions
                if m.kind == kind and m.value not in topic.get(kind, set()) and m.surface.casefold() not in names
            )
        )
        if len(values) != 1:
            continue  # none, or several (a comparison or a list: the model's call to make)
        target = targets[0]
        value: Any = values if _is_list(info[target]) else values[0]
        if _valid(info[target], value):
            out[target] = value
            notes.append(f"{target} = {value!r}: the request names it")


def _one_target(groups: tuple[tuple[str, ...], ...], out: dict[str, Any], slots: Slots, notes: list[str]) -> None:
    """'Recommendations for customer 17609' with an interest the model added as well: the id the request states
    is the target, the other groups go (without a stated id, the model is asked again, by the tool's error).
    `groups`: the input model's TARGET_GROUPS (tools/recommend/tool.py), one of which names the target."""
    if not groups:
        return
    given = [g for g in groups if any(not _unset(out.get(name)) for name in g)]
    stated = {str(i) for i in [*slots.customer_ids, *slots.product_ids]}
    by_id = [g for g in given if any(str(v) in stated for name in g for v in _as_list(out.get(name)))]
    if len(given) < 2 or len(by_id) != 1:
        return
    for group in given:
        if group != by_id[0]:
            for name in group:
                if out.pop(name, None) is not None:
                    notes.append(f"{name} dropped: the request names {by_id[0][0]} {out[by_id[0][0]]!r}")


def _fill_ids(info: Mapping[str, FieldInfo], out: dict[str, Any], slots: Slots, notes: list[str]) -> None:
    for slot, candidates in ID_FIELDS.items():
        ids: list[str] = getattr(slots, slot)
        targets = [f for f in candidates if f in info]
        if not ids or len(targets) != 1 or not _unset(out.get(targets[0])):
            continue
        target = targets[0]
        many = _is_list(info[target])
        if len(ids) > 1 and not many:
            continue
        value: Any = list(ids) if many else ids[0]
        if _valid(info[target], value):
            out[target] = value
            notes.append(f"{target} = {value!r}: the request names it")


def _is_list(field: FieldInfo) -> bool:
    annotation = field.annotation
    options = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, type(int | None)) else ()
    return any(typing.get_origin(t) is list for t in (annotation, *options))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _unset(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())
