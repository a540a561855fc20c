"""Clarifying questions asked by code, in the marketer's language, when a value is not in the data.

The wording lives in prompts/understand_messages.yaml; this module only picks and fills it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import prompts

MAX_LISTED = 12  # more than a dozen options is a list to read, not a question to answer
_FALLBACK = "en"


@lru_cache(maxsize=1)
def _messages() -> dict[str, Any]:
    messages: dict[str, Any] = prompts.load_yaml("understand_messages.yaml")
    return messages


def _in(language: str, table: dict[str, Any]) -> Any:
    return table.get(language, table[_FALLBACK])


def _listed(known: list[str], language: str) -> str:
    messages = _messages()
    shown = _in(language, messages["separator"]).join(known[:MAX_LISTED])
    if len(known) > MAX_LISTED:
        shown += _in(language, messages["more"]).format(count=len(known) - MAX_LISTED)
    return shown


def unknown_value_question(kind: str, surface: str, language: str, known: list[str]) -> str:
    """'I couldn't find a country called “Narnia” in your data. Which of these did you mean? …' in `language`.

    `known` is shown in the order given (put the closest first); an unsupported language falls back to English,
    an unknown kind is named as given.
    """
    messages = _messages()
    singular, plural = _in(language, messages["kinds"]).get(kind, [kind, kind])
    template = _in(language, messages["unknown_value" if known else "no_known_values"])
    text: str = template.format(
        kind=singular, kinds=plural, Kinds=plural[:1].upper() + plural[1:], surface=surface.strip(),
        values=_listed(known, language),
    )  # fmt: skip
    return text


def unknown_goods_question(surface: str, language: str, known: list[str]) -> str:
    """'I couldn't find “laptops” among your products. Your catalogue's categories are: … Which of these did you
    mean?' in `language` (English when unsupported); `known` is shown in the order given."""
    messages = _messages()
    template = _in(language, messages["unknown_goods" if known else "no_known_goods"])
    text: str = template.format(surface=surface.strip(), values=_listed(known, language))
    return text
