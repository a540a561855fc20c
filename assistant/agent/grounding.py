"""Grounding: every number the answer states must appear in a tool result (or the question); every quote
must be a span of retrieved data; every product id must exist. Violations are removed and flagged.

A narration over tool results states figures only as fact references ({f3}, rendered with their labels by
assistant/agent/facts.py): there, any other number is unsupported unless it is a counting word (up to 10) or
the marketer typed it, so a figure copied from another row, or another claim, cannot survive.

URLs, promo and SMS short codes, deadlines and concrete offers the marketer did not type are removed too: a
review planted with "free shipping at https://…, ends Friday" must not reach the marketer as the assistant's word.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tools.copywriter.invented import find_smuggled

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?%)?")
# Every quoted span, paired left to right (a short one such as a search query must still consume its closing
# mark, or the next match would pair that closing mark with the following opening one).
_QUOTED = re.compile(r"[\"“]([^\"”\n]+)[\"”]")
MIN_QUOTE_CHARS = 20  # shorter quoted text is a term or a query, not a quotation to check


def quotations(text: str) -> list[str]:
    """The quotations in an answer worth checking against the data: quoted spans of 20+ characters."""
    return [q for q in _QUOTED.findall(text) if len(q) >= MIN_QUOTE_CHARS]


@dataclass
class GroundingReport:
    unsupported_numbers: list[str] = field(default_factory=list)
    unsupported_quotes: list[str] = field(default_factory=list)
    unknown_refs: list[str] = field(default_factory=list)  # fact references that name no fact of the turn
    invented: list[str] = field(default_factory=list)  # URLs, codes, deadlines, offers the marketer never typed

    @property
    def ok(self) -> bool:
        return not (self.unsupported_numbers or self.unsupported_quotes or self.unknown_refs or self.invented)

    @property
    def problems(self) -> list[str]:
        return [*self.unsupported_numbers, *self.unsupported_quotes, *self.unknown_refs, *self.invented]


def _to_float(token: str) -> tuple[float, int, bool]:
    """(value, decimals shown, is percent)."""
    percent = token.strip().endswith("%")
    core = token.replace("%", "").replace(",", "").strip()
    decimals = len(core.split(".")[1]) if "." in core else 0
    return float(core), decimals, percent


def collect_numbers(values: Iterable[Any]) -> set[float]:
    """Every number inside nested results (dicts, lists, strings with numbers in them)."""
    found: set[float] = set()

    def walk(v: Any) -> None:
        if isinstance(v, bool) or v is None:
            return
        if isinstance(v, int | float):
            if math.isfinite(float(v)):
                found.add(float(v))
        elif isinstance(v, str):
            for token in NUMBER.findall(v):
                found.add(_to_float(token)[0])
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list | tuple | set):
            for x in v:
                walk(x)
        else:
            walk(str(v))

    for value in values:
        walk(value)
    return found


def _supported(token: str, allowed: set[float]) -> bool:
    value, decimals, percent = _to_float(token)
    if not percent and decimals == 0 and abs(value) <= 10:
        return True  # counting words ("3 products", "top 5") carry no claim about the data
    # Rounding to the decimals shown is fine; rounding to "about 4,400" for 4,372 is not.
    tolerance = 0.5 * 10 ** (-decimals) + 1e-9
    return any(abs(a - value) <= tolerance or (percent and abs(a * 100 - value) <= tolerance) for a in allowed)


def check_answer(
    text: str, results: Iterable[Any], question: str = "", *, numbers_from_results: bool = True
) -> GroundingReport:
    """Numbers and quotes of `text` that the results (or the question) do not support.

    `numbers_from_results=False` (a narration citing facts): a free number is supported only by the question
    or as a counting word; quotes are still checked against the results."""
    results = list(results)
    allowed = collect_numbers([*results, question] if numbers_from_results else [question])
    data_text = json.dumps(results, default=str, ensure_ascii=False).lower()
    report = GroundingReport()
    for token in NUMBER.findall(text):
        if not _supported(token, allowed):
            report.unsupported_numbers.append(token.strip())
    for quote in quotations(text):
        if _normalise(quote.strip(" .…,;:!?")) not in _normalise(data_text):  # "…blue." quotes "…blue"
            report.unsupported_quotes.append(quote)
    # Only the marketer's words allow these: tool results are where a planted one would come from.
    report.invented = [f.text for f in find_smuggled(text, question) if f.text]
    return report


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def _sentences(text: str) -> list[str]:
    """Sentences, split after . ! ? followed by space (so 87.5% and 1,234.50 stay whole); lines kept."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        parts = re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))(\s+)", line)  # also after a quote's closing mark
        # re.split with a group keeps the separators: glue each back onto its sentence.
        for i in range(0, len(parts), 2):
            out.append(parts[i] + (parts[i + 1] if i + 1 < len(parts) else ""))
    return out


# The note `remove_unsupported` ends a narration with (narration.py tells it from the prose).
REMOVAL_NOTE = re.compile(r"\s*_\(Removed \d+ statements? that did not match the data\.\)_\s*$")


def remove_unsupported(text: str, report: GroundingReport) -> str:
    """Drop the sentences that carry an unsupported number, quote or fact reference, and say so."""
    if report.ok:
        return text
    bad_numbers = set(report.unsupported_numbers)
    bad_quote_starts = [q[:MIN_QUOTE_CHARS] for q in report.unsupported_quotes]
    kept, removed = [], 0
    for sentence in _sentences(text):
        tokens = {t.strip() for t in NUMBER.findall(sentence)}
        # The sentence a bad quotation starts in goes (a quotation may itself contain sentence ends).
        if (
            tokens & bad_numbers
            or any(start in sentence for start in bad_quote_starts)
            or any(ref in sentence for ref in report.unknown_refs)
            or any(planted in sentence for planted in report.invented)
        ):
            removed += 1
            continue
        kept.append(sentence)
    cleaned = "".join(kept).strip()
    note = f"_(Removed {removed} statement{'s' if removed != 1 else ''} that did not match the data.)_"
    return f"{cleaned}\n\n{note}" if cleaned else note
