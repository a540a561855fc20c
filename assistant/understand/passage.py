"""A passage the marketer gives to be read (a review to classify, a sentence to judge), told apart from a
question about the data: "Is this positive: 'The seam ripped after one wash'" gives one; "how do customers feel
about dresses?" does not."""

from __future__ import annotations

import re

MIN_QUOTED_WORDS = 2
MIN_PASTED_WORDS = 3
_QUOTED = re.compile(r"[\"“«„「『]([^\"”»“」』]+)[\"”»“」』]|(?<!\w)'([^']+)'(?!\w)")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _enough(text: str, words: int) -> bool:
    return len(re.findall(r"\w+", text)) >= words or len(_CJK.findall(text)) >= 2 * words


def given_passage(text: str) -> str | None:
    """The quoted or pasted text of a request (after a colon or on its own lines), or None."""
    for m in _QUOTED.finditer(text):
        inner = (m.group(1) or m.group(2) or "").strip()
        if _enough(inner, MIN_QUOTED_WORDS):
            return inner
    head, sep, rest = _split(text)
    if sep and _enough(rest, MIN_PASTED_WORDS) and head.strip():
        return rest.strip()
    return None


def _split(text: str) -> tuple[str, str, str]:
    m = re.search(r"(?<!\d)[:：]|\n", text)
    return (text[: m.start()], m.group(0), text[m.end() :]) if m else (text, "", "")
