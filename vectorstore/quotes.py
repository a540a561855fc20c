"""The span of a document to quote for a query: the sentence sharing most query terms, verbatim."""

from __future__ import annotations

import re

from vectorstore.lexical import tokenize

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
MAX_QUOTE_CHARS = 240
_FULL_ENOUGH = 80


def quote_span(text: str, query: str, max_chars: int = MAX_QUOTE_CHARS) -> str:
    """An exact substring of `text`: its best-matching sentence (the first one when none matches)."""
    sentences = [m.group().strip() for m in _SENTENCE.finditer(text)]
    sentences = [s for s in sentences if any(ch.isalnum() for ch in s)]
    if not sentences:
        return text.strip()[:max_chars]
    wanted = set(tokenize(query))
    # Most query terms first; among equals the fuller sentence (a bare title says little), capped so that
    # length never outweighs a match; max() keeps the earliest of exact ties.
    best = max(sentences, key=lambda s: (len(wanted & set(tokenize(s))), min(len(s), _FULL_ENOUGH)))
    if len(best) <= max_chars:
        return best
    cut = best.rfind(" ", 0, max_chars)
    return best[: cut if cut > 0 else max_chars]
