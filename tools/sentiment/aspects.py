"""Aspects of a product that reviews talk about (fit, size, fabric, …) and where a sentence mentions them.

A keyword lexicon, not a model: every mention can be traced to the words that triggered it, and the
counts a marketer sees are plain counts of sentences that name the aspect.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tools.sentiment.language import ENGLISH, LANGUAGES, lexicon

# Aspect -> words and phrases that name it (lower case; matched as whole words). "cheap" is quality,
# not price: in reviews "looks cheap" is about how a thing is made.
ASPECT_TERMS: dict[str, tuple[str, ...]] = {
    "fit": ("fit", "fits", "fitted", "fitting", "tight", "loose", "snug", "baggy", "boxy", "roomy", "clingy"),
    "size": (
        "size", "sizes", "sized", "sizing", "runs small", "runs large", "runs big", "true to size", "tts",
        "size up", "size down", "petite", "too small", "too big", "too large",
    ),
    "fabric": (
        "fabric", "material", "materials", "cotton", "linen", "silk", "wool", "polyester", "rayon", "knit",
        "lining", "lined", "itchy", "scratchy", "sheer", "see through", "see-through", "stretchy", "stretch",
    ),
    "quality": (
        "quality", "well made", "made well", "cheap", "cheaply", "stitching", "seams", "seam", "durable",
        "flimsy", "pilling", "pilled", "hole", "holes", "ripped", "tore", "shrank", "shrunk", "fell apart",
    ),
    "colour": ("color", "colors", "colour", "colours", "shade", "faded", "vibrant", "hue"),
    "comfort": ("comfortable", "comfy", "comfort", "uncomfortable", "cozy", "cosy", "soft"),
    "price": ("price", "priced", "pricey", "expensive", "overpriced", "value", "worth", "sale", "money", "cost"),
    "length": ("length", "long", "short", "hem", "hemline", "cropped", "inseam"),
    "style": ("style", "stylish", "design", "cut", "flattering", "unflattering", "pattern", "print", "neckline"),
    "returns": ("return", "returned", "returning", "send back", "sent back", "sending back", "exchange"),
    "delivery": ("shipping", "shipped", "delivery", "delivered", "arrived", "package", "packaging"),
}  # fmt: skip

ASPECTS: tuple[str, ...] = tuple(ASPECT_TERMS)

# What people type for an aspect -> its canonical name.
ASPECT_ALIASES: dict[str, str] = {
    "color": "colour",
    "material": "fabric",
    "materials": "fabric",
    "sizing": "size",
    "comfortable": "comfort",
    "cost": "price",
    "value": "price",
    "shipping": "delivery",
    "return": "returns",
}


def aspect_terms(language: str = ENGLISH) -> dict[str, tuple[str, ...]]:
    """Each aspect's words in `language` plus the English ones (shops' reviews mix in English words)."""
    if language == ENGLISH:
        return ASPECT_TERMS
    extra = lexicon(language).aspects
    return {aspect: terms + tuple(extra.get(aspect, ())) for aspect, terms in ASPECT_TERMS.items()}


@lru_cache(maxsize=8)
def _patterns(language: str) -> dict[str, re.Pattern[str]]:
    return {
        aspect: re.compile(r"\b(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")\b")
        for aspect, terms in aspect_terms(language).items()
    }


def aspects_in(sentence: str, language: str = ENGLISH) -> list[str]:
    """The aspects a sentence mentions, in ASPECTS order (`language`: the reviews' language code)."""
    lowered = sentence.lower()
    return [aspect for aspect, pattern in _patterns(language).items() if pattern.search(lowered)]


def canonical_aspect(name: str) -> str | None:
    """The aspect a word names ('color' -> 'colour', 'Passform' -> 'fit', 'calidad' -> 'quality'), or None if it
    is not an aspect. The other languages' lexicons name the aspects too: a German marketer asks about the
    'Passform' of English reviews."""
    key = name.strip().lower()
    key = ASPECT_ALIASES.get(key, key)
    return key if key in ASPECT_TERMS else _foreign_aspects().get(key)


@lru_cache(maxsize=1)
def _foreign_aspects() -> dict[str, str]:
    """Each lexicon's aspect word -> its aspect; a word two aspects share ('billig': quality, price) names none."""
    named: dict[str, set[str]] = {}
    for code in LANGUAGES:
        for aspect, terms in lexicon(code).aspects.items():
            for term in terms:
                named.setdefault(term.lower(), set()).add(aspect)
    return {
        term: next(iter(aspects))
        for term, aspects in named.items()
        if len(aspects) == 1 and aspects <= set(ASPECT_TERMS)
    }
