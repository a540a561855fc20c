"""The channel a copy request names (copy_channel.yaml), decided by code.

A 1.5B router fills write_copy's `channel` with "email" for "un anuncio corto" ("a short ad"): the enum admits any
channel and email is the one its examples show most. The medium is a word of the request, so code reads it and
the model's choice gives way; a request naming no channel, or two, keeps the model's.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from assistant.understand.aliases import fold_words
from assistant.understand.scope import named_terms

COPY_TOOL = "write_copy"


@lru_cache(maxsize=1)
def _terms() -> tuple[dict[str, dict[str, tuple[str, ...]]], frozenset[str]]:
    """(channel -> language -> words, the weak words)."""
    text = resources.files("assistant.understand").joinpath("copy_channel.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    weak = frozenset(fold_words(w) for w in data.pop("weak"))
    terms = {
        channel: {lang: tuple(fold_words(t) for t in words) for lang, words in by.items()}
        for channel, by in data.items()
    }
    return terms, weak


def stated_channel(question: str, language: str) -> str | None:
    """The one channel the request names in its language or in English; None for none or several."""
    folded = fold_words(question)
    terms, weak = _terms()
    said = {
        channel: named_terms(folded, by_language.get(language, ()) + by_language["en"])
        for channel, by_language in terms.items()
    }
    strong = [channel for channel, words in said.items() if set(words) - weak]
    named = strong or [channel for channel, words in said.items() if words]
    return named[0] if len(named) == 1 else None


def settle_copy_channel(
    tool: str, args: dict[str, Any], question: str, language: str
) -> tuple[dict[str, Any], list[str]]:
    """(arguments, what code changed): write_copy's channel is the one the request names."""
    channel = stated_channel(question, language) if tool == COPY_TOOL else None
    if channel is None or args.get("channel") == channel:
        return args, []
    was = args.get("channel")
    note = f"channel {channel!r}" + (f" instead of {was!r}" if was else "") + ": the request names it"
    return {**args, "channel": channel}, [note]
