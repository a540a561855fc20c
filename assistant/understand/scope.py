"""Out of scope, decided by code: a request about an outside topic (share prices, sports, weather, travel,
trivia) that names nothing of the shop's own data gets the honest "what I can do" reply with no tool.

Two tests: `outside_topics` (the request names an outside topic and no shop term) and `out_of_scope`, the
positive one (the request names nothing of the shop's world in any language: no customer, order, product,
review, segment, campaign or forecast word, no "we/our", no data value, and is no follow-up). The model may still
choose `decline` for requests these miss; code only takes the clear cases away from it, because a 1.5B router
forces them into a tool (a sales forecast for "Tesla's share price").
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

from assistant.understand.aliases import fold_words
from assistant.understand.glossary import glosses_in_any_language

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _data() -> dict[str, dict[str, list[str]]]:
    """scope_terms.yaml: group -> language -> terms."""
    text = resources.files("assistant.understand").joinpath("scope_terms.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, list[str]]] = yaml.safe_load(text)
    return data


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, tuple[str, ...]]:
    return {
        group: tuple(fold_words(t) for terms in by_language.values() for t in terms)
        for group, by_language in _data().items()
    }


@lru_cache(maxsize=1)
def _english_world() -> tuple[str, ...]:
    return tuple(fold_words(t) for t in _data()["world"]["en"])


def is_english_shop_word(term: str) -> bool:
    """Whether a (folded) term is a word of the shop's world in English too ('feedback', 'newsletter')."""
    return bool(named_terms(term, _english_world()))


def _terms() -> tuple[tuple[str, ...], tuple[str, ...]]:
    lexicon = _lexicon()
    return lexicon["outside"], lexicon["domain"]


def asks_for_copy(text: str) -> bool:
    """Whether the request asks for something written (an email, an SMS, an ad...), in any of its languages."""
    return bool(named_terms(fold_words(text), _lexicon()["copy"]))


def named_terms(text: str, terms: tuple[str, ...]) -> list[str]:
    """The terms `text` (folded) names: whole words, CJK as substrings; 'stem*' begins a word, '*stem*' is in one."""
    words = " " + " ".join(_WORD.findall(text)) + " "
    found = []
    for t in terms:
        if _CJK.search(t):
            hit = t in text
        elif t.startswith("*") and t.endswith("*"):
            hit = any(t[1:-1] in w for w in words.split())
        elif t.endswith("*"):
            hit = f" {' '.join(_WORD.findall(t[:-1]))}" in words
        else:
            hit = f" {' '.join(_WORD.findall(t))} " in words
        if hit:
            found.append(t)
    return found


def blank_terms(folded: str, terms: tuple[str, ...]) -> str:
    """`folded` with the words of `terms` blanked out (as named_terms finds them; 'stem*' with the rest of its
    word)."""
    for term in sorted(named_terms(folded, terms), key=len, reverse=True):
        if _CJK.search(term):
            folded = folded.replace(term, " ")
        elif term.startswith("*") and term.endswith("*"):
            folded = re.sub(rf"\w*{re.escape(term[1:-1])}\w*", " ", folded)
        else:
            stem = r"\W+".join(re.escape(w) for w in re.findall(r"\w+", term.rstrip("*")))
            end = r"\w*" if term.endswith("*") else r"\b"
            folded = re.sub(rf"\b{stem}{end}", " ", folded)
    return folded


def shop_terms() -> tuple[str, ...]:
    """The shop's domain and world words in every language (folded): customers, orders, our shop, last month…"""
    lexicon = _lexicon()
    return tuple(t for group in ("domain", "world", "world_time") for t in lexicon[group])


def outside_topics(text: str) -> list[str]:
    """The outside topics a request names when it names none of the shop's data; [] when it is in scope."""
    folded = fold_words(text)
    outside, domain = _terms()
    if named_terms(folded, domain):
        return []
    return named_terms(folded, outside)


SHORT_WORDS = 6  # a request this short may lean on the conversation ('make it shorter', 'and the negative ones?')
_MIN_WORDS = 3  # fewer words than this ('Paris?') is too little to decline: the model asks what is meant
_MIN_CJK = 4


def _length(text: str) -> int:
    """Words, counting each CJK character as a third of one (a Chinese request of 6 characters ~ 2 words)."""
    return len(_WORD.findall(_CJK.sub(" ", text))) + len(_CJK.findall(text)) // 3


def names_shop_world(text: str) -> bool:
    """Whether the request names anything of the shop's world (customers, orders, products, reviews, segments,
    campaigns, forecasts, the shop itself, 'we'/'our'...) in any of its six languages. A term of the shop's
    working vocabulary (glossary.yaml: 'Stornoquote', 'taux de réachat') names it too."""
    lexicon = _lexicon()
    folded = fold_words(text)
    named = any(named_terms(folded, lexicon[group]) for group in ("domain", "world", "world_time"))
    return named or asks_for_copy(text) or bool(glosses_in_any_language(text))


def out_of_scope(text: str, names_data_value: bool, has_subject: bool = False) -> bool:
    """Whether a request is about something other than the shop, so that code declines it without a tool.

    True when `outside_topics(text)` names an outside topic (share prices, sports, weather...), or when the
    request names nothing of the shop's world (`names_shop_world`) and the caller found no data value in it
    (`names_data_value`: a country, category, segment, customer or product id) - unless it is talk with the
    assistant (greetings, thanks, 'what can you do'), too short to judge, a short request that points back
    ('make it better'), or, when the conversation has a previous subject (`has_subject`), a short turn
    ('and the negative ones?', 'only those'), which is a follow-up.
    """
    if outside_topics(text):
        return True
    if names_data_value or names_shop_world(text):
        return False
    folded = fold_words(text)
    words = _length(folded)
    cjk = len(_CJK.findall(folded))
    if words < _MIN_WORDS and cjk < _MIN_CJK:
        return False
    lexicon = _lexicon()
    if words <= SHORT_WORDS and (has_subject or named_terms(folded, lexicon["deixis"])):
        return False
    return not (words <= 2 * SHORT_WORDS and named_terms(folded, lexicon["conversation"]))
