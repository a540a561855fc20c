"""The free-text inputs of a copy brief (audience, tone, a theme) as descriptions, never as carriers.

What these fields hold is repeated to the model and counts as "given by the marketer" in QA, so a URL, a code, an
email address or an instruction routed into them from a review would be written into the copy and pass QA. A
description of people or of a voice has no use for any of these: such a value is refused at the input.
"""

from __future__ import annotations

import re

from assistant.core.privacy import contains_pii

_URL = re.compile(r"\bhttps?://|\bwww\.|\b[a-z0-9-]+\.(?:com|net|org|io|shop|store|co|ly|me|xyz|info|biz)\b", re.I)
_CODE = re.compile(
    r"\b(?i:code)\b\s*:?\s*[\"'“]?[A-Z0-9][A-Z0-9_-]{2,15}\b|(?<![\w-])(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{5,15}(?![\w-])"
    r"|\b(?i:short\s?code|(?:reply|text)\s+\w+\s+to\s+\d{3,})"
)
_MARKUP = re.compile(r"[<>{}`|]|\[/?[a-z]+\]|&[a-z]+;", re.I)
_FENCE = re.compile(r"[<>`]")
# Words that address the model rather than describe an audience or a voice.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,30}\b(?:instructions?|rules?|prompts?|above|previous|brief)\b"
    r"|\b(?:system|assistant|developer)\s*(?:prompt|message|:)|\byou\s+(?:are\s+now|must|should|will)\b"
    r"|\b(?:new|updated)\s+instructions?\b|\b(?:instead|also)\s*,?\s+(?:write|say|add|include|mention|tell)\b"
    r"|\b(?:add|include|insert|mention|append)\s+(?:a|the|this|our)?\s*(?:link|url|code|discount|offer|phone)\b",
    re.I | re.S,
)


def smuggled(value: str, *, names_goods: bool = False) -> str | None:
    """Why a free-text brief field cannot be used as given (a URL, a code, markup, personal data, an
    instruction, several lines), or None when it is a plain description. `names_goods`: a product or a theme,
    where codes and odd characters are a catalogue's own ("SS24", "SET/3 PLATES | RED")."""
    if "\n" in value.strip() or "\r" in value:
        return "it spans several lines"
    checks = [(_URL, "it holds a web address"), (_INSTRUCTION, "it reads as an instruction, not a description")]
    if names_goods:
        checks.append((_FENCE, "it holds markup"))
    else:
        checks += [(_CODE, "it holds a code"), (_MARKUP, "it holds markup")]
    for pattern, reason in checks:
        if pattern.search(value):
            return reason
    if not names_goods and contains_pii(value):
        return "it holds personal data"
    return None
