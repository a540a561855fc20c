"""What code knows about a request before and after the model routes it: "the model chooses, code decides".

Before routing: the request's language, the data values it names (any language, aliases), its numbers with
comparators and its periods; these go into the routing prompt as "Understood in the request". After routing:
the model's arguments are made canonical, strict comparisons are marked, a follow-up keeps the previous
request's subject, and every value must be traceable to what the marketer wrote (assistant/understand/).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from langchain_core.messages import AnyMessage

import prompts
from assistant.agent.grounding import collect_numbers
from assistant.agent.state import StepRecord
from assistant.understand.aliases import KINDS, EntityResolver, Kind, Mention, fold
from assistant.understand.glossary import glosses
from assistant.understand.goods import unknown_goods
from assistant.understand.language import language_name, request_language
from assistant.understand.metric_request import MetricRequest, read_metric_request
from assistant.understand.passage import given_passage
from assistant.understand.provenance import (
    Evidence,
    Untraced,
    content_size,
    drop_untraceable,
    names_nothing,
    untraceable,
)
from assistant.understand.review_terms import Polarity, filter_polarity
from assistant.understand.scope import out_of_scope
from assistant.understand.slots import Slots, extract_slots
from assistant.understand.vocabulary import DATA_FIELDS, Vocabulary
from tools.copywriter.offer import parse_offer  # the copy tool's own reading of offers, in every language

# The data-value inputs a request's subject is made of: carried into a follow-up that does not name them anew.
SUBJECT_FIELDS: dict[str, str] = {
    "countries": "country",
    "country": "country",
    "segments": "segment",
    "segment": "segment",
    "category": "category",
    "bought_category": "category",
    "bought_product": "product",
    "product_ids": "product",
    "customer_id": "customer",
    "cluster": "cluster",
}
SUBJECT_CALL = "call"  # the subject's key for the previous turn's first call's inputs
# What a review request was about ('zipper'): kept in the subject for a review follow-up ("only the negative
# ones"), never carried into another tool's free text.
SUBJECT_TOPICS = ("topic", "query")
# The data-value inputs (vocabulary.DATA_FIELDS) whose values the entity resolver can spell the data's way.
RESOLVED_FIELDS: dict[str, Kind] = {name: kind for name, kind in DATA_FIELDS.items() if kind in KINDS}
CODE_SET = {"strict_bounds"}  # inputs code fills from the wording

# Words that mark a follow-up leaning on the previous request ("and those in France?", "只看差评").
_FOLLOW_UP = re.compile(
    r"^\s*(?:¿\s*)?(?:and|or|but|what about|how about|only|just|same|also|now|then|y|e|et|und|nur|solo|sólo|só|"
    r"apenas|seulement|juste|también|auch|aussi|também|lo mismo|igual|ahora|jetzt|dasselbe|das gleiche|genauso|"
    r"ebenso|pareil|maintenant|la même chose|de même|agora|o mesmo|a mesma coisa)\b"
    r"|\b(?:those|these|them|they|their|of them|ones|esos|esas|estos|estas|ellos|ellas|dessen|diese|davon|"
    r"ceux|celles|parmi eux|esses|essas|deles|delas)\b"
    r"|^\s*(?:那|其中|这些|他们|只看|那么|再|换成|换到|改成|同样|一样)",
    re.IGNORECASE,
)


# "customers in Atlantis": a proper name after a customer noun and a place preposition; when it resolves to no
# value of the data, the marketer is asked which country was meant instead of getting every customer.
# A name: capitalised words ('New South Wales'), case-sensitive after the first, so not 'Narnia last quarter'.
_NAME = r"(?:the\s+|la\s+|el\s+|le\s+|o\s+|a\s+)?([A-ZÀ-Þ][\w'’-]+(?:\s+(?-i:[A-ZÀ-Þ])[\w'’-]+){0,2})"
_PLACE = re.compile(
    r"\b(?:customers?|shoppers?|buyers?|clients?|clientes?|kunden|kundinnen|compradores|consumidores)\b"
    r"[^.?!,;]{0,30}?\b(?:in|from|en|aus|em|no|na|à|au|aux|dans|de)\s+"
    + _NAME
    # Sales "in" a place only: sales *from* a name may be a channel ('revenue from Instagram').
    + r"|\b(?:sales|revenue|orders|umsatz|umsätze|verkäufe|verkaufszahlen|absatz|bestellungen|ventas|ingresos"
    r"|facturación|pedidos|ventes|commandes|chiffre d'affaires|vendas|receita|faturamento)\b[^.?!,;]{0,30}?"
    r"\b(?:in|en|em|no|na|au|aux|dans)\s+"
    + _NAME
    + r"|在([\u4e00-\u9fff]{2,8}?)(?:有多少|的)(?:客户|顾客|用户)"
    # A Chinese name ending in 国 is a country's ('黄金国的客户'): the known ones resolve, the rest are asked about.
    + r"|(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{1,5}国)的(?:客户|顾客|用户|销售|销量|订单|收入)",
    re.IGNORECASE,
)


@dataclass
class Understanding:
    """Code's reading of one request (with the marketer's earlier turns for slots and mentions)."""

    language: str  # "en", "zh", "es", "de", "fr", "pt"
    mentions: list[Mention]
    slots: Slots
    follow_up: bool
    subject: dict[str, Any] = field(default_factory=dict)
    unknown_places: list[str] = field(default_factory=list)
    terms: list[tuple[str, str]] = field(default_factory=list)  # (term, English gloss), other languages only
    unknown_goods: list[str] = field(default_factory=list)  # kinds of goods the catalogue does not hold
    has_history: bool = False  # the conversation has earlier turns: a short request may be a follow-up
    review_filter: Polarity | None = None  # "only the negative ones" after a review answer (review_terms.py)
    metric_request: MetricRequest = field(default_factory=MetricRequest)  # metric_request.py

    def out_of_scope(self, question: str) -> bool:
        """Nothing a tool can serve: an outside topic, or nothing of the shop's world nor of its data named."""
        named = bool(self.mentions or self.slots.customer_ids or self.slots.product_ids)
        return out_of_scope(question, names_data_value=named, has_subject=self.has_history)

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    def mentioned(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for m in self.mentions:
            found.setdefault(m.kind, set()).add(m.value)
        return found

    def hint(self) -> str:
        """The compact line the routing prompt shows: resolved values and numbers with their comparators."""
        parts = [f"{m.kind} {m.value}" + (f" (from '{m.surface}')" if m.surface != m.value else "")
                 for m in self.mentions]  # fmt: skip
        for b in self.slots.bounds:
            word = {"gt": "more than", "ge": "at least", "lt": "less than", "le": "at most", "eq": "exactly"}[b.op]
            parts.append(f"{b.quantity or 'value'} {word} {b.value:g}")
        if self.slots.top_n:
            parts.append(f"top {self.slots.top_n}")
        for p in self.slots.periods:
            parts.append(f"period {p.start.isoformat()} to {p.end.isoformat()}" + (" (future)" if p.future else ""))
        parts += [f"customer id {c}" for c in self.slots.customer_ids]
        parts += [f"product id {p}" for p in self.slots.product_ids]
        parts += [f"'{term}' means {gloss}" for term, gloss in self.terms]
        return "; ".join(dict.fromkeys(parts))


@dataclass
class Understander:
    """Built once per agent from the workspace's vocabulary (the aliases table takes a moment to build)."""

    vocabulary: Vocabulary
    resolver: EntityResolver

    @classmethod
    def from_vocabulary(cls, vocabulary: Vocabulary) -> Understander:
        return cls(vocabulary=vocabulary, resolver=EntityResolver.for_vocabulary(vocabulary))

    @property
    def today(self) -> date:
        return self.vocabulary.last_order_date or date.today()

    def read(self, question: str, messages: list[AnyMessage]) -> Understanding:
        subject = previous_subject(messages)
        review_filter = filter_polarity(question, subject.get("tool"))
        follow_up = bool(subject) and (bool(_FOLLOW_UP.search(question)) or review_filter is not None)
        language = request_language(question, [str(m.content) for m in messages if m.type == "human"])
        slots = extract_slots(question, self.today, language)
        return Understanding(
            language=language,
            mentions=self.resolver.find_mentions(question),
            slots=slots,
            follow_up=follow_up,
            subject=subject if follow_up else {},  # a new request does not inherit the last one's filters
            unknown_places=self.unknown_places(question, slots),
            terms=glosses(question, language),
            unknown_goods=unknown_goods(question, self.resolver),
            has_history=bool(subject) or any(m.type == "human" for m in messages),
            review_filter=review_filter,
            metric_request=read_metric_request(question, future=any(p.future for p in slots.periods)),
        )

    def unknown_places(self, question: str, slots: Slots | None = None) -> list[str]:
        """Places the request names for its customers that are none of the data's values (nor a period);
        `slots`: the request's, when already read."""
        unknown = []
        slots = extract_slots(question, self.today) if slots is None else slots
        periods = [p.surface for p in slots.periods]  # "ordered in Nov 2011": the month is no place
        for match in _PLACE.finditer(question):
            latin = match.group(1) or match.group(2)
            surface = (latin or match.group(3) or match.group(4) or "").strip()
            if not surface or (latin and not surface[:1].isupper()):
                continue  # a lower-case word after "in" is not a place name ("in total", "in our shop")
            if any(self.resolver.resolve(kind, surface) for kind in ("country", "category", "segment")):
                continue
            if self.resolver.find_mentions(surface) or extract_slots(surface, self.today).periods:
                continue
            if any(surface in period for period in periods):
                continue
            unknown.append(surface)
        return unknown

    def enums(self) -> dict[str, list[Any]]:
        """The values a routing decision may use, by kind (vocabulary.DATA_FIELDS names the inputs)."""
        v = self.vocabulary
        enums: dict[str, list[Any]] = {
            "country": list(v.countries),
            "category": list(v.categories),
            "segment": list(v.segments),
        }
        if v.clusters:
            enums["cluster"] = [c.id for c in v.clusters]
        if v.metrics:
            enums["metric"] = list(v.metrics)
        return {k: vals for k, vals in enums.items() if vals}

    def known_values(self) -> dict[str, list[str]]:
        """For the routing prompt: the short lists worth reading (countries and categories)."""
        return {"countries": list(self.vocabulary.countries), "categories": list(self.vocabulary.categories)}

    def canonical(self, args: dict[str, Any]) -> dict[str, Any]:
        """Data values written another way ('Deutschland', 'Intimates') replaced by the data's spelling."""
        out = dict(args)
        for name, kind in RESOLVED_FIELDS.items():
            if name not in out or out[name] is None:
                continue
            value = out[name]
            if isinstance(value, list):
                out[name] = [self.resolver.resolve(kind, str(v)) or v for v in value]
            elif isinstance(value, str):
                out[name] = self.resolver.resolve(kind, value) or value
        return out


def previous_subject(messages: list[AnyMessage]) -> dict[str, Any]:
    """The subject stored with the latest answer of this conversation (see `subject_of`)."""
    for message in reversed(messages):
        if message.type == "ai":
            subject = message.additional_kwargs.get("subject")
            return dict(subject) if isinstance(subject, dict) else {}
    return {}


def subject_of(steps: list[StepRecord]) -> dict[str, Any]:
    """A turn's subject: its first tool and the data values its successful steps used, for the next turn."""
    ok = [s for s in steps if s["ok"]]
    if not ok:
        return {}
    # The first call's inputs too: a follow-up that changes one value of it ("and just for Norway?") is that call
    # again with the value changed (code_route.refine_call).
    subject: dict[str, Any] = {"tool": ok[0]["tool"], SUBJECT_CALL: dict(ok[0]["args"])}
    for step in ok:
        for name, value in step["args"].items():
            if name in (*SUBJECT_FIELDS, *SUBJECT_TOPICS) and value not in (None, [], "") and name not in subject:
                subject[name] = value
    return subject


def subject_text(subject: dict[str, Any]) -> str:
    if not subject:
        return ""
    values = {k: v for k, v in subject.items() if k not in ("tool", SUBJECT_CALL)}
    return f"{subject.get('tool')} {json.dumps(values, ensure_ascii=False)}"


def carry_subject(tool_fields: set[str], args: dict[str, Any], understanding: Understanding) -> dict[str, Any]:
    """A follow-up keeps the previous subject's values the request does not replace ('and in France?' replaces
    the country, keeps the segment)."""
    if not understanding.follow_up:
        return args
    named = {m.kind for m in understanding.mentions}
    out = dict(args)
    for name, value in understanding.subject.items():
        kind = SUBJECT_FIELDS.get(name)
        if kind is None or kind in named:
            continue
        target = _field_for(name, tool_fields)
        if target is None or out.get(target) not in (None, [], ""):
            continue
        out[target] = _shape(value, list_field=target in _LIST_FIELDS)
    return out


def _field_for(name: str, tool_fields: set[str]) -> str | None:
    """The tool's input that holds the same kind of value (segments -> segment, category -> bought_category)."""
    kind = SUBJECT_FIELDS[name]
    candidates = [f for f, k in SUBJECT_FIELDS.items() if k == kind and f in tool_fields]
    return name if name in tool_fields else (candidates[0] if candidates else None)


def _shape(value: Any, list_field: bool) -> Any:
    if list_field:
        return value if isinstance(value, list) else [value]
    return value[0] if isinstance(value, list) and value else value


_LIST_FIELDS = ("countries", "segments", "product_ids")
ID_FIELDS = ("customer_id", "product_id")  # take ids only: a name written there is a value of another input


def move_misplaced(tool_fields: set[str], args: dict[str, Any], resolver: EntityResolver) -> dict[str, Any]:
    """A segment, country or category the model wrote into an id input ("customer_id": "champion customers")
    goes to the tool's one input of that kind, when empty; an id input never keeps a name."""
    out = dict(args)
    for name in ID_FIELDS:
        value = out.get(name)
        if not isinstance(value, str) or any(ch.isdigit() for ch in value):
            continue
        found = {m.kind: m.value for m in resolver.find_mentions(value)}
        for kind, canonical in found.items():
            targets = [f for f, k in DATA_FIELDS.items() if k == kind and f in tool_fields]
            if len(targets) == 1 and out.get(targets[0]) in (None, "", []):
                out[targets[0]] = [canonical] if targets[0] in _LIST_FIELDS else canonical
                break
        del out[name]
    return out


_NO_OFFER = re.compile(r"(?<!\w)(?:no|not|without|ohne|kein\w*|sin|sans|sem|não|nao)(?!\w)|[无不没]", re.I)


GOODS_PHRASE_WORDS = 3  # content words of a goods phrase; a longer offer is a sentence the model copied


def offer_or_goods(tool: str, args: dict[str, Any], resolver: EntityResolver) -> tuple[dict[str, Any], str | None]:
    """An `offer` that states no offer terms (no discount, free shipping, gift...) but names goods ('Christmas
    items') is what the copy features; a negated one ('no discount') is no offer. Code moves or drops it, so the
    copy's QA does not demand words that are no offer."""
    offer = args.get("offer")
    if tool != "write_copy" or not isinstance(offer, str) or not offer.strip():
        return args, None
    if parse_offer(offer).terms:
        return args, None
    out = {k: v for k, v in args.items() if k != "offer"}
    goods = list(dict.fromkeys(m.value for m in resolver.find_mentions(offer) if m.kind == "category"))
    if goods:
        # A goods phrase ('summer dresses') is featured in the marketer's words; a sentence the model copied
        # ('rédige un courriel pour mettre en avant des sacs') by the goods it names, as the catalogue calls them.
        # Either replaces products that name nothing ('all').
        if all(names_nothing(str(p)) for p in out.get("products") or []):
            out["products"] = [offer] if content_size(offer) <= GOODS_PHRASE_WORDS else goods
        return out, f"offer {offer!r} names goods, not an offer: featured instead"
    if _NO_OFFER.search(offer):
        return out, f"offer {offer!r} says there is none"
    return args, None


def audience_not_goods(tool: str, args: dict[str, Any], resolver: EntityResolver) -> tuple[dict[str, Any], str | None]:
    """A copy `audience` that repeats what the copy features ('Thema: Deko-Artikel' written as the audience and
    the product) or is a category's name ('Candles & lighting') names no one: code leaves it out, so the copy is
    not addressed to goods."""
    audience = args.get("audience")
    if tool != "write_copy" or not isinstance(audience, str) or not audience.strip():
        return args, None
    featured = {fold(str(p)).strip() for p in args.get("products") or []}
    if fold(audience).strip() not in featured and resolver.resolve("category", audience) is None:
        return args, None
    out = {k: v for k, v in args.items() if k != "audience"}
    return out, f"audience {audience!r} left out: it names what the copy features, not who it is for"


# Tools that read a passage the marketer gives; asked about the data instead, the neighbour serves the request
# (a 1.5B router takes "how do people feel about jackets?" for classifying the words "jackets").
PASSAGE_TOOLS = {"classify_sentiment": "analyze_sentiment"}


def tool_for_request(tool: str, args: dict[str, Any], question: str) -> tuple[str, dict[str, Any], str | None]:
    """(tool, args, what code changed): a passage tool without a given passage becomes its neighbour, with no
    arguments (code fills what the request names)."""
    other = PASSAGE_TOOLS.get(tool)
    if other is None or given_passage(question) is not None:
        return tool, args, None
    return other, {}, f"{other} instead of {tool}: the request gives no text to classify"


def evidence_for(
    understanding: Understanding, question: str, messages: list[AnyMessage], steps: list[StepRecord],
    resolver: EntityResolver, today: date,
) -> Evidence:  # fmt: skip
    """What an argument may be traced to: the marketer's words (this turn and earlier), earlier results, and the
    previous request's subject."""
    said = [question, *(str(m.content) for m in messages if m.type == "human")]
    results = [json.dumps(s["result"], ensure_ascii=False, default=str) for s in steps if s["ok"]]
    subject_values = [json.dumps(v, ensure_ascii=False) for k, v in understanding.subject.items() if k != "tool"]
    mentioned: dict[str, set[str]] = {}
    for text in [*said, *subject_values]:
        for m in resolver.find_mentions(text):
            mentioned.setdefault(m.kind, set()).add(m.value)
    for name, value in understanding.subject.items():  # the subject's values were traced when it was made
        kind = SUBJECT_FIELDS.get(name)
        if kind:
            mentioned.setdefault(kind, set()).update(str(v) for v in (value if isinstance(value, list) else [value]))
    slots = extract_slots(" \n".join(said), today, understanding.language)
    glossed = [gloss for _, gloss in understanding.terms]  # 'Bewertungen' said is 'reviews' said
    numbers = collect_numbers([s["result"] for s in steps if s["ok"]] + list(understanding.subject.values()))
    # An offer is traced to the marketer's own words only: a gloss ('redacta' -> 'write copy') is not an offer.
    return Evidence(
        texts=[*said, *glossed, *results, *subject_values], marketer=said, slots=slots, mentioned=mentioned,
        numbers=numbers,
    )  # fmt: skip


def check_provenance(
    tool: str, args: dict[str, Any], evidence: Evidence, required: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], list[Untraced]]:
    """(the arguments without untraceable values, what was dropped). Code-only inputs (strict_bounds) were set
    by code from the wording, so they are not the model's to trace. A required input (a search's words) stays:
    without it the tool cannot run at all, and its wording is the model's to choose."""
    checked = {k: v for k, v in args.items() if k not in CODE_SET}
    untraced = [u for u in untraceable(tool, checked, evidence) if u.field not in required]
    if not untraced:
        return args, []
    return {**drop_untraceable(checked, untraced), **{k: v for k, v in args.items() if k in CODE_SET}}, untraced


def message(name: str, language: str, **values: str) -> str:
    """A fixed reply from prompts/agent_messages.yaml in the request's language (English when not written)."""
    texts: dict[str, str] = prompts.load_yaml("agent_messages.yaml")[name]
    return (texts.get(language) or texts["en"]).format(**values)


def dropped_note(untraced: list[Untraced], language: str) -> str:
    """The line an answer carries when values were left out: the marketer sees what was not applied."""
    if not untraced:
        return ""
    shown = ", ".join(f"{u.field} = {_shown_value(u.value)}" for u in untraced[:4])
    return message("not_applied", language, values=shown)


def _shown_value(value: Any) -> str:
    """A dropped value as the note shows it; one carrying an offer, code, URL or deadline is not repeated: it came
    from data (a planted review), and the note must not carry it to the marketer instead."""
    from tools.copywriter.invented import find_smuggled

    text = json.dumps(value, ensure_ascii=False)
    return "…" if find_smuggled(str(value), "") else text
