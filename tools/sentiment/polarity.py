"""Sentiment of a non-English text from a small per-language polarity lexicon (lexicons/<code>.json).

The trained model and VADER only know English words; for Portuguese, Spanish, German and French a word list
with negation handling gives a plain, traceable score: (positive hits - negative hits) / hits, where a
negation word flips the polarity of the next few words ("não funciona", "nicht gut").
"""

from __future__ import annotations

from tools.sentiment.language import lexicon
from tools.sentiment.text import words

NEGATION_REACH = 3  # words after a negation whose polarity it flips


def lexicon_score(text: str, code: str) -> float:
    """A score in [-1, 1] for `text` in language `code`; 0.0 when no polarity word is found."""
    lex = lexicon(code)
    tokens = words(text)
    positive = negative = 0
    flip_until = -1
    for i, token in enumerate(tokens):
        pair = f"{token} {tokens[i + 1]}" if i + 1 < len(tokens) else ""
        sign = 0
        if token in lex.positive or pair in lex.positive:
            sign = 1
        elif token in lex.negative or pair in lex.negative:
            sign = -1
        if token in lex.negations:
            flip_until = i + NEGATION_REACH
            if sign == 0:
                continue
        if sign and i <= flip_until and token not in lex.negations:
            sign = -sign
        if sign > 0:
            positive += 1
        elif sign < 0:
            negative += 1
    hits = positive + negative
    return round((positive - negative) / hits, 4) if hits else 0.0
