"""Goods the shop does not sell, decided by code: "sales of laptops" in a gift and clothing shop gets a question
listing the catalogue's categories, not a tool run over every product.

A request names a kind of goods after a cue ("reviews of X", "customers who bought X", "do we sell X", "X
sales", "推荐X") in en/es/de/fr/pt/zh. The phrase is unknown goods only when its head word is none of the data's
categories, departments or classes (in any alias), no word of a product name in the catalogue, and no word that
is never goods (the catalogue in general, review topics, periods, the shop's own terms). Conservative on purpose:
asking a marketer what they meant about goods the shop does sell is worse than letting a miss reach the tools.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from assistant.understand.aliases import EntityResolver, category_table, fold
from assistant.understand.scope import names_shop_world
from assistant.understand.vocabulary import Vocabulary

_MAX_WORDS = 3  # a longer run without a stop word is a clause, not a kind of goods
_CJK = re.compile(r"[\u3400-\u9fff]")
_TOKEN = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")  # a word or a number ('t-light', "mum's", '14')
_ROMANCE = frozenset({"es", "fr", "pt"})  # the head noun comes first: 'ventas de zapatillas de deporte'


@dataclass(frozen=True)
class _Terms:
    after: tuple[tuple[str, re.Pattern[str]], ...]  # (language, cue) with the phrase after it
    before: tuple[tuple[str, re.Pattern[str]], ...]  # (language, cue) with the phrase in group 'x'
    stop: dict[str, frozenset[str]]  # by language: the cue's language decides ('nos' is 'our' in French only)
    lead: dict[str, frozenset[str]]
    never: frozenset[str]  # in any language: a word that is never goods in one is no goods noun in another
    lead_zh: tuple[str, ...]
    never_zh: frozenset[str]
    clause_zh: frozenset[str]


@lru_cache(maxsize=1)
def _terms() -> _Terms:
    text = resources.files("assistant.understand").joinpath("goods_terms.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)

    def words(group: str) -> dict[str, frozenset[str]]:
        return {lang: frozenset(fold(str(w)) for w in ws) for lang, ws in data[group].items() if lang != "zh"}

    def cues(side: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return tuple(
            (lang, re.compile(cue, re.IGNORECASE))
            for lang, sides in data["cues"].items()
            for cue in sides.get(side, [])
        )

    lead_zh = sorted((str(w) for w in data["lead"]["zh"]), key=len, reverse=True)
    return _Terms(
        after=cues("after"),
        before=cues("before"),
        stop=words("stop"),
        lead=words("lead"),
        never=frozenset().union(*words("never").values()),
        lead_zh=tuple(lead_zh),
        never_zh=frozenset(str(w) for w in data["never"]["zh"]),
        clause_zh=frozenset(str(data["clause_zh"])),
    )


@lru_cache(maxsize=16)
def _product_words(vocabulary: Vocabulary) -> frozenset[str]:
    return frozenset(fold(w) for w in vocabulary.product_words)


def unknown_goods(text: str, resolver: EntityResolver) -> list[str]:
    """The kinds of goods `text` asks about that the workspace does not hold, as written ('car tyres'); [] when
    every kind it names is known, when it names none, or when the vocabulary lists no product names to check by.

    Every language's cues are read (a short request's language is a guess; the cue words are each language's
    own), each with its own language's stop words; Chinese cues wherever Han characters appear.
    """
    products = _product_words(resolver.vocabulary)
    if not products:
        return []
    terms = _terms()
    mentioned = {fold(w) for m in resolver.find_mentions(text) for w in _TOKEN.findall(m.surface)}
    found: list[str] = []
    for lang, surface in _surfaces(text, terms):
        if surface not in found and _unknown(surface, lang, resolver, products, mentioned, terms):
            found.append(surface)
    return found


def _surfaces(text: str, terms: _Terms) -> Iterator[tuple[str, str]]:
    """(language, goods noun phrase as written) for each phrase a cue points at, in order of appearance."""
    for lang, phrase, whole in _phrases(text, terms):
        surface = _head_phrase(phrase, lang, terms, whole) if lang != "zh" else _zh_phrase(phrase, terms)
        if surface:
            yield lang, surface


def named_goods(text: str, resolver: EntityResolver) -> list[str]:
    """The goods the request names that are no value of the data ('sales of lunch boxes', 'ventas de fiambreras'):
    a product filter code does not fill. In English, only words of the catalogue's product names count (other
    words after a cue are no goods: 'the negative reviews'); in another language any noun phrase after a cue, as
    the catalogue's English cannot tell. (unknown_goods: English goods the catalogue does not hold; Chinese goods
    of the catalogue are its categories' aliases, so values of the data.)"""
    products = _product_words(resolver.vocabulary)
    terms = _terms()
    found: list[str] = []
    for lang, surface in _surfaces(text, terms):
        if lang == "zh" or surface in found or names_shop_world(surface) or resolver.find_mentions(surface):
            continue
        words = [fold(t) for t in _TOKEN.findall(surface)]
        head = words[0] if lang in _ROMANCE else words[-1]
        if any(w in terms.never for w in words):
            continue
        # The catalogue's words are English: goods named in another language cannot be told known from not.
        if lang != "en" or _known_word(head, products, resolver):
            found.append(surface)
    return found


# Words of product names that are everyday words of a request too ("first order", "come back", "only").
_EVERYDAY_WORDS = (
    "first only down back come over more most each every time times last next with from have what which show "
    "list give tell make made total number count much many high highest large small best"
)
_EVERYDAY = frozenset(_EVERYDAY_WORDS.split())


def catalogue_words(folded: str, vocabulary: Vocabulary) -> list[str]:
    """Words of a folded text (4 letters or more) that are words of the catalogue's product names, in a plural or
    spelling of theirs: the text left of a request once every word code reads is taken out names goods."""
    products = _product_words(vocabulary)
    words = re.findall(r"[^\W\d_]{4,}", folded)
    return [w for w in words if w not in _EVERYDAY and _forms(w) & products]


def goods_categories(vocabulary: Vocabulary) -> list[str]:
    """The categories to offer in a goods question: the data's own, without the catch-alls ('Other')."""
    quiet = {fold(str(c)) for c in category_table().get("not_in_sentences", [])}
    return [c for c in vocabulary.categories if fold(c) not in quiet]


def _phrases(text: str, terms: _Terms) -> list[tuple[str, str, bool]]:
    """(language, the text a cue points at, whether all of it must be the phrase), in order of appearance."""
    chinese = bool(_CJK.search(text))
    hits: list[tuple[int, str, str, bool]] = []
    for lang, cue in terms.after:
        for m in cue.finditer(text):
            rest = re.split(r"[.?!,;:()\[\]\"“”«»？。，！、]", text[m.end() :], maxsplit=1)[0]
            hits.append((m.end(), lang, rest, False))
    for lang, cue in terms.before:
        if lang != "zh" or chinese:
            hits += [(m.start("x"), lang, m.group("x"), True) for m in cue.finditer(text)]
    return [(lang, phrase, whole) for _, lang, phrase, whole in sorted(hits)]


def _head_phrase(rest: str, lang: str, terms: _Terms, whole: bool = False) -> str | None:
    """The goods noun phrase at the start of `rest`: leading determiners dropped, cut at the first stop word
    (`whole`: the phrase sits between two cue words, so a stop word inside it means it is no noun phrase)."""
    tokens = _TOKEN.findall(rest)
    lead, stop = terms.lead[lang], terms.stop[lang]
    while tokens and fold(tokens[0]) in lead:
        tokens = tokens[1:]
    phrase: list[str] = []
    for token in tokens:
        if fold(token) in stop or token[:1].isdigit():
            if whole:
                return None
            break
        phrase.append(token)
        if len(phrase) > _MAX_WORDS:
            return None
    if not phrase:
        return None
    if lang == "de" and not phrase[-1][:1].isupper():
        return None  # a German noun is written with a capital; 'lange', 'oft' are not goods
    return " ".join(phrase)


def _zh_phrase(phrase: str, terms: _Terms) -> str | None:
    """A Chinese phrase without what precedes its last 的 and without leading 'our', 'which', 'all'."""
    phrase = phrase.rsplit("的", 1)[-1] if "的" in phrase[:-1] else phrase
    changed = True
    while changed:
        changed = False
        for lead in terms.lead_zh:
            if phrase.startswith(lead) and len(phrase) > len(lead):
                phrase, changed = phrase[len(lead) :], True
    return phrase if len(phrase) >= 2 else None


def _unknown(
    surface: str,
    lang: str,
    resolver: EntityResolver,
    products: frozenset[str],
    mentioned: set[str],
    terms: _Terms,
) -> bool:
    if names_shop_world(surface) or resolver.find_mentions(surface):
        return False
    if lang == "zh":
        return not (any(w in surface for w in terms.never_zh) or terms.clause_zh & set(surface))
    words = [fold(t) for t in _TOKEN.findall(surface)]
    if any(w in terms.never or w in terms.stop[lang] or w in mentioned or w[:1].isdigit() for w in words):
        return False
    if any(resolver.resolve(kind, surface) for kind in ("category", "segment", "country")):
        return False
    head = words[0] if lang in _ROMANCE else words[-1]
    if len(head) < 3 or resolver.resolve("category", head) or _near_category(head, resolver):
        return False
    return not _known_word(head, products, resolver)


def _near_category(head: str, resolver: EntityResolver) -> bool:
    """A word close to a category alias and starting like it: a diminutive or variant ('blusinhas', 'Kleidchen')."""
    close = difflib.get_close_matches(head, resolver.alias_keys("category"), n=5, cutoff=0.6)
    return any(head[:4] == key[:4] for key in close)


def _forms(word: str) -> set[str]:
    """A word with its plural undone or added, British and American spellings ('lanterns', 'boxes', 'knives')."""
    forms = {word, word + "s", word + "es", word.replace("ise", "ize"), word.replace("ize", "ise")}
    if word.endswith("s"):
        forms.add(word[:-1])
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("ves"):
        forms |= {word[:-3] + "f", word[:-3] + "fe"}
    return forms


def _known_word(head: str, products: frozenset[str], resolver: EntityResolver) -> bool:
    """A product-name word, two of them run together ('tealights', 'cakestands'), or a compound holding one of the
    data's categories in any alias ('Kerzenhalter', 'Laptoptaschen')."""
    if _forms(head) & products:
        return True
    parts = [(head[:i], head[i:]) for i in range(3, len(head) - 2)]
    if any(a in products and _forms(b) & products for a, b in parts):
        return True
    return any(
        resolver.resolve("category", a) or resolver.resolve("category", b)
        for a, b in parts
        if len(a) >= 4 and len(b) >= 4
    )
