"""Text helpers for sentiment: review text, sentence spans with offsets, an English check, length caps."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longest text the classifier reads; beyond this only the start is scored (and the result says so).
MAX_SCORED_CHARS = 20_000

# A sentence: up to a terminal mark (or a line break), so offsets map back into the original text.
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")  # letters of any alphabet, accents kept

# Very common English function words: any real English text of a few words contains some of them.
_ENGLISH_MARKERS = frozenset(
    """
    the a an and or but is are was were be been it its this that these those i me my we our you your he
    she they them his her their to of in on at for with from by as not no so very too if than then have
    has had do does did will would can could should just also love like great good bad
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Span:
    """A sentence of a text: `text == source[start:end]`."""

    start: int
    end: int
    text: str


def review_text(title: object, body: object) -> str:
    """What the classifier reads for one review: the title (if any) then the body (None/NaN = missing)."""
    parts = [p.strip() for p in (title, body) if isinstance(p, str) and p.strip()]
    if len(parts) == 2 and parts[0][-1] not in ".!?":
        parts[0] += "."
    return " ".join(parts)


def sentences(text: str, min_words: int = 2, max_chars: int = 240) -> list[Span]:
    """Sentence spans of `text` with exact offsets; very short or very long ones are left out."""
    spans = []
    for match in _SENTENCE.finditer(text):
        raw = match.group(0)
        stripped = raw.strip()
        if not stripped or len(stripped) > max_chars or len(stripped.split()) < min_words:
            continue
        start = match.start() + (len(raw) - len(raw.lstrip()))
        spans.append(Span(start=start, end=start + len(stripped), text=stripped))
    return spans


# A clause: a stretch of a sentence between commas, semicolons, colons, dashes or "but". Aspects are
# judged per clause so "love the colour, but the fabric is thin" counts colour as praise, fabric as not.
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:()]|\s-+\s|\bbut\b|\bhowever\b|\bthough\b|\balthough\b)\s*", re.IGNORECASE)


_LEADING_JOINER = re.compile(r"\s*(?:and|or|so|yet)\s+", re.IGNORECASE)


def clauses(sentence: Span, min_chars: int = 12) -> list[Span]:
    """Clauses of a sentence span, with offsets into the same source text; short ones are left out."""
    out = []
    cursor = 0
    text = sentence.text
    for cut in [*_CLAUSE_BREAK.finditer(text), None]:
        end = cut.start() if cut else len(text)
        piece = text[cursor:end]
        lead = _LEADING_JOINER.match(piece)
        if lead:
            cursor, piece = cursor + lead.end(), piece[lead.end() :]
        stripped = piece.strip()
        if len(stripped) >= min_chars:
            offset = cursor + (len(piece) - len(piece.lstrip()))
            out.append(Span(start=sentence.start + offset, end=sentence.start + offset + len(stripped), text=stripped))
        if cut:
            cursor = cut.end()
    return out


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def looks_english(text: str) -> bool:
    """True when the text reads as English: enough common English words among its words.

    The classifier and lexicons only know English; other languages get a clear 'not scored' result.
    """
    tokens = words(text[:2000])
    letters = sum(ch.isalpha() for ch in text[:2000])
    ascii_letters = sum(ch.isascii() and ch.isalpha() for ch in text[:2000])
    if letters == 0 or ascii_letters / letters < 0.8:
        return False
    if len(tokens) <= 3:
        return True  # too short to tell; short English phrases ("Perfect fit!") have no function words
    return sum(t in _ENGLISH_MARKERS for t in tokens) / len(tokens) >= 0.12
