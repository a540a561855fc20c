"""Filler: one word said three times in a row, the same three words said three times or more, or a sentence or
phrase of four words or more said twice. Chinese and Japanese have no spaces: two characters count as a word."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from tools.copywriter.text import CJK, STOPWORDS, fold

_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|[。！？；]|\n+")


def _tokens(text: str) -> list[str]:
    """Lowercased words; a run of Chinese or Japanese characters counts two characters as a word."""
    out: list[str] = []
    for piece in re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+|[^\W_]+(?:['’][^\W_]+)*", fold(text).lower()):
        if CJK.match(piece):
            out.extend(piece[i : i + 2] for i in range(0, len(piece), 2))
        else:
            out.append(piece)
    return out


def _ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i : i + n]) == tuple(needle) for i in range(len(haystack) - n + 1))


def _phrase(tokens: Sequence[str]) -> str:
    return "".join(t if CJK.match(t) else " " + t for t in tokens).strip()


def _occurrences(tokens: Sequence[str], phrase: Sequence[str]) -> list[int]:
    """Where the phrase starts, without overlaps ('lovely and it' is not repeated inside 'and it is lovely')."""
    n, found, i = len(phrase), [], 0
    while i <= len(tokens) - n:
        if tuple(tokens[i : i + n]) == tuple(phrase):
            found.append(i)
            i += n
        else:
            i += 1
    return found


STUTTER = 3  # one word this many times in a row ("Navidad Navidad Navidad") is filler, not emphasis


def stutters(copy_text: str) -> list[tuple[str, int]]:
    """(word, times) for each word said STUTTER+ times in a row, whatever the punctuation between."""
    found: list[tuple[str, int]] = []
    tokens = [t for t in _tokens(copy_text) if not CJK.match(t)]
    i = 0
    while i < len(tokens):
        j = i
        while j + 1 < len(tokens) and tokens[j + 1] == tokens[i]:
            j += 1
        if j - i + 1 >= STUTTER:
            found.append((tokens[i], j - i + 1))
        i = j + 1
    return found


def collapse_stutters(copy_text: str) -> str:
    """Each word said STUTTER+ times in a row said once (the safe fix)."""
    return re.sub(rf"\b([^\W\d_]+)(?:[\s,;.!?¡¿…-]+\1\b){{{STUTTER - 1},}}", r"\1", copy_text, flags=re.I)


def repetition_problems(copy_text: str, allowed: Sequence[str] = ()) -> list[str]:
    """Filler: one word said 3+ times in a row, the same three words said 3+ times, or a sentence or phrase of 4+
    words said twice. An `allowed` phrase (the offer, a product name) may be said up to three times."""
    problems: list[str] = [f"repeats {word!r} {times} times in a row" for word, times in stutters(copy_text)]
    sentences = Counter(tuple(t) for s in _SENTENCE_END.split(copy_text) if len(t := _tokens(s)) >= 4)
    tokens = _tokens(copy_text)
    covered: set[int] = set()  # token positions inside a repeat already reported
    for sentence, count in sentences.items():
        if count >= 2:
            problems.append(f"repeats the sentence {_phrase(sentence)!r} {count} times")
            covered.update(p for i in _occurrences(tokens, sentence) for p in range(i, i + len(sentence)))
    exempt = [_tokens(a) for a in allowed if a]
    for n, least in ((3, 3), (4, 2)):
        grams = _ngrams(tokens, n)
        counts = Counter(grams)
        for i, gram in enumerate(grams):
            count = counts[gram]
            if count < least or covered.intersection(range(i, i + n)) or all(t in STOPWORDS for t in gram):
                continue
            if count <= 3 and any(_contains(e, gram) for e in exempt):
                continue
            length = n  # grow the phrase while it repeats as often
            while i + length < len(tokens) and len(_occurrences(tokens, tokens[i : i + length + 1])) >= count:
                length += 1
            phrase = tokens[i : i + length]
            problems.append(f"repeats {_phrase(phrase)!r} {count} times")
            covered.update(p for j in _occurrences(tokens, phrase) for p in range(j, j + length))
    return problems[:3]


def sentence_key(text: str) -> tuple[str, ...]:
    """A sentence's words, for telling whether it was said before."""
    return tuple(_tokens(text))
