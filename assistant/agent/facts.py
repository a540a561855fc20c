"""A turn's named facts: ids across the turn, the facts the narrating model reads, and its {fN} references
rendered as value-plus-label phrases (also while streaming), so a figure always names what it measures.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from assistant.agent.brief import brief
from assistant.agent.fact_phrases import Phrasing
from assistant.agent.grounding import NUMBER
from assistant.agent.routing import RESULT_CHARS
from assistant.agent.state import StepRecord
from assistant.core.privacy import mask_pii
from tools.base import Tool
from tools.facts import Fact, facts_from_result, format_value

PROMPT_FACTS = 24  # facts the narrating model reads per turn, shared between the turn's steps
UNKNOWN = "…"  # what an id that names no fact shows while streaming (its sentence is removed afterwards)

# {f3}, and what a small model writes instead: {{f3}}, {f3 (no closing brace), [f3], (f3), a bare f3.
_REF = re.compile(
    r"\{\{?\s*[fF](?P<brace>\d+)\s*\}?\}?|\[\s*[fF](?P<bracket>\d+)\s*\]|\(\s*[fF](?P<paren>\d+)\s*\)"
    r"|(?<![\w{\[(])f(?P<bare>\d{1,2})\b(?![}\])])"
)
# What may still become a reference when more text arrives: "{", "{f", "{{f1}", "[f1", "(", a bare "f1".
_PARTIAL = re.compile(r"(?:\{\{?\s*(?:[fF]\d*\s*)?|\{\{\s*[fF]\d+\s*\}|\[\s*(?:[fF]\d*\s*)?|\(\s*(?:[fF]\d*\s*)?"
                      r"|(?<![\w{\[(])f\d*)$")  # fmt: skip
_WORD = re.compile(r"[ \t]+([\w%'-]+)")


def ref_ids(text: str) -> list[str]:
    """The fact numbers a text refers to, in every form a reference takes, in order."""
    return [next(g for g in m.groups() if g) for m in _REF.finditer(text)]


def without_refs(text: str) -> str:
    """The text with its fact references blanked (to judge its language, say)."""
    return _REF.sub(" ", text)


def is_ref(token: str) -> bool:
    """Whether `token` ('{f2}', '{{f2}}') is one fact reference and nothing else."""
    return bool(_REF.fullmatch(token.strip()))


_GLUE = {"of", "the", "in", "for", "a", "an", "at", "to", "with", "on", "by", "from", "and", "all"}


def step_facts(tool: Tool[Any], result: BaseModel, earlier: list[StepRecord]) -> list[dict[str, Any]]:
    """A step's facts as plain dicts for the state, numbered after the facts of the turn's earlier steps.

    A tool whose result is the answer itself (`narrate=False`: a copy draft) states no facts to cite."""
    if not tool.narrate:
        return []
    start = sum(len(s.get("facts", [])) for s in earlier)
    facts = facts_from_result(tool.name, result)
    return [
        f.model_copy(update={"id": f"f{start + i}", "label": mask_pii(f.label)}).model_dump(mode="json")
        for i, f in enumerate(facts, start=1)
    ]


def _by_step(steps: list[StepRecord]) -> list[list[Fact]]:
    """Each step's facts, numbered f1, f2, … in step order (whatever ids were stored)."""
    out: list[list[Fact]] = []
    n = 0
    for step in steps:
        facts = []
        for raw in step.get("facts", []) if step["ok"] else []:
            n += 1
            facts.append(Fact.model_validate(raw).model_copy(update={"id": f"f{n}"}))
        out.append(facts)
    return out


def turn_facts(steps: list[StepRecord]) -> list[Fact]:
    """Every fact of the turn, ids unique across it (f1, f2, … in step order)."""
    return [f for facts in _by_step(steps) for f in facts]


def facts_prompt(facts: list[Fact]) -> str:
    """One line per fact, as the narrating model reads it: "[f3] customers in Germany (champions) = 95"."""
    lines = []
    for f in facts:
        mark = f" ({f.kind.upper()})" if f.kind != "actual" else ""
        lines.append(f"[{f.id}] {f.label} = {format_value(f)}{mark}")
    return "\n".join(lines)


def _tolerance(token: str) -> tuple[float, float, bool]:
    percent = token.strip().endswith("%")
    core = token.replace("%", "").replace(",", "").strip()
    decimals = len(core.split(".")[1]) if "." in core else 0
    return float(core), 0.5 * 10 ** (-decimals) + 1e-9, percent


def _cite(text: str, facts: list[Fact]) -> str:
    """A result brief with its numbers replaced, so the narrating model copies fact ids, never digits.

    In a sentence, a number becomes the id of the fact showing it (of several, the one whose label shares most
    words with the line). In a table row, where a cell's value may equal another column's fact, every figure
    becomes "…": the facts list carries the rows' figures with their labels, the row keeps its names. A share or
    decimal no fact holds becomes "…" too (a whole number may be part of a name or an id)."""
    numeric = [f for f in facts if isinstance(f.value, int | float)]
    out = []
    for line in text.splitlines():
        words = set(re.findall(r"[a-z]{3,}", line.lower()))
        row = line.lstrip().startswith("|")

        def cite(m: re.Match[str], line: str = line, words: set[str] = words, row: bool = row) -> str:
            token = m.group(0)
            start, end = m.span()
            if (start and line[start - 1] == "-") or (line[end : end + 1] == "-" and line[end + 1 : end + 2].isdigit()):
                return token  # part of a date
            value, tolerance, percent = _tolerance(token)
            if not percent and "." not in token and abs(value) <= 10:
                return token  # a counting word or a rank
            if row:
                return "…"
            matches = [
                f
                for f in numeric
                if (f.unit == "percent") == percent
                and abs((100 * float(f.value) if percent else float(f.value)) - value) <= tolerance
            ]
            if not matches:
                # A share or a measure no fact holds: grounding removes it, so shown it only invites such a
                # sentence. A whole number may be part of a name or an id ("PACK OF 72 …", "review 12659").
                return "…" if percent or "." in token else token
            best = max(matches, key=lambda f: len(words & set(re.findall(r"[a-z]{3,}", f.label.lower()))))
            return "{" + best.id + "}"

        out.append(NUMBER.sub(cite, line))
    return "\n".join(out)


def cite_numbers(text: str, facts: list[Fact]) -> str:
    """Narration text with a free number replaced by a fact's reference when that is the only reading: exactly
    one fact has the value, and the sentence names no entity (country, segment...) that fact's label lacks but
    another fact's label has. Anything else stays a free number, which grounding then removes."""
    numeric = [f for f in facts if isinstance(f.value, int | float)]
    label_words = [set(re.findall(r"\w{3,}", f.label.lower())) for f in numeric]
    known_words = set().union(*label_words) if label_words else set()
    out = []
    for sentence in re.split(r"(?<=[.!?。！？])(\s+)", text):
        named = {w.lower() for w in re.findall(r"\b[A-Z][\w'-]{2,}", sentence)} & known_words

        def cite(m: re.Match[str], sentence: str = sentence, named: set[str] = named) -> str:
            token = m.group(0)
            start, end = m.span()
            if (start and sentence[start - 1] in "-{fF") or sentence[end : end + 1] in ("-", "}"):
                return token  # a date part or an existing reference
            value, tolerance, percent = _tolerance(token)
            if not percent and "." not in token and abs(value) <= 10:
                return token
            hits = [
                i for i, f in enumerate(numeric)
                if (f.unit == "percent") == percent
                and abs((100 * float(f.value) if percent else float(f.value)) - value) <= tolerance
            ]  # fmt: skip
            if len(hits) != 1 or not named <= label_words[hits[0]] or numeric[hits[0]].kind != "actual":
                return token  # a forecast is only ever cited by its id, never read into a free figure
            # "95 orders" is not the fact "95 customers": the noun after the number must fit the fact.
            after = re.match(r"\s*%?\s*([a-z]{3,})", sentence[end:].lower())
            if after and after.group(1) in known_words - label_words[hits[0]]:
                return token
            return "{" + numeric[hits[0]].id + "}"

        out.append(NUMBER.sub(cite, sentence))
    return "".join(out)


def narration_data(steps: list[StepRecord]) -> str:
    """The turn's results as the narrating model reads them: per step its facts, then a brief of what the
    marketer sees with the numbers replaced by fact ids; masked."""
    per_step = _by_step(steps)
    shown = max(6, PROMPT_FACTS // max(1, sum(1 for facts in per_step if facts)))
    parts = []
    for step, facts in zip(steps, per_step, strict=True):
        if not step["ok"]:
            parts.append(f"[{step['tool']}] error: {step['error']}")
            continue
        lines = [f"[{step['tool']} {json.dumps(step['args'], ensure_ascii=False)}]"]
        if facts:
            lines += ["Facts:", facts_prompt(facts[:shown])]
        details = _cite(brief(step["markdown"], RESULT_CHARS), facts)
        if details:
            lines += ["Shown to the marketer:", details]
        parts.append("\n".join(lines))
    return mask_pii("\n\n".join(parts))


_UNIT_WORDS = {"percent": ("%", " %", " percent"), "days": (" days", " day", " días", " Tage", " jours", " dias", "天")}


def _consumed(text: str, at: int, fact: Fact, final: bool, phrasing: Phrasing) -> int | None:
    """How many characters after a reference repeat its unit or the start of its label ("{f2}%",
    "{f1} customers in …"), to drop them; None while streaming when the next words could still repeat them."""
    start, rest = at, text[at:]
    for unit in _UNIT_WORDS.get(fact.unit, ()):
        if not final and len(rest) < len(unit) and unit.startswith(rest):
            return None
        if rest.startswith(unit) and not rest[len(unit) : len(unit) + 1].isalnum():
            at += len(unit)
            break
    head = phrasing.head(fact)
    ends = [at]  # where each repeated word ends
    words: list[str] = []
    for word in re.findall(r"[\w%'-]+", head):
        m = _WORD.match(text, ends[-1])
        if m is None:
            if not final and not text[ends[-1] :].strip(" \t"):
                return None
            break
        if not final and m.end() == len(text) and word.lower().startswith(m.group(1).lower()):
            return None  # the word may still be growing
        if m.group(1).lower() != word.lower():
            break
        ends.append(m.end())
        words.append(word.lower())
    while words and words[-1] in _GLUE:  # "{f2} of them": keep "of them", or it would read "… them"
        words.pop()
        ends.pop()
    return ends[-1] - start


def _render(
    text: str, facts: dict[str, Fact], start: int, final: bool, phrasing: Phrasing
) -> tuple[str, int, list[str]]:
    """Render references in text[start:]: (rendered text, where rendering stopped, unknown references).

    Not final (streaming): stop before anything the next piece could still change — a partial reference, or
    a reference whose following words may repeat its label."""
    out: list[str] = []
    unknown: list[str] = []
    pos = start
    hold = len(text)
    for m in _REF.finditer(text, start):
        if m.start() < pos:
            continue
        if not final and m.end() == len(text):
            hold = m.start()  # "{f1" may become "{f12}", and what follows may repeat the label
            break
        number = m.group("brace") or m.group("bracket") or m.group("paren") or m.group("bare")
        fact = facts.get(f"f{int(number)}")
        if fact is None:
            if m.group("bare"):
                continue  # a bare "f9" that names no fact is just text
            out.append(text[pos : m.start()] + UNKNOWN)
            unknown.append(m.group(0))
            pos = m.end()
            continue
        skip = _consumed(text, m.end(), fact, final, phrasing)
        if skip is None:
            out.append(text[pos : m.start()])
            return "".join(out), m.start(), unknown
        out.append(text[pos : m.start()] + phrasing.phrase(fact))
        pos = m.end() + skip
    end = len(text)
    if not final:
        partial = _PARTIAL.search(text, pos)
        end = min(hold, partial.start() if partial else end)
    out.append(text[pos:end])
    return "".join(out), end, unknown


def render_fact_refs(text: str, facts: list[Fact], language: str = "en") -> tuple[str, list[str]]:
    """Replace every fact reference ({f3}, [f3], {{f3}}, (f3)) with the fact's phrase in the narration's
    language: value, what it measures, its row (fact_phrases.py).

    Returns the text and the references that name no fact (shown as "…"; narration drops their sentences)."""
    phrasing = Phrasing.for_turn(facts, language)
    rendered, _, unknown = _render(text, {f.id: f for f in facts}, 0, True, phrasing)
    return rendered, unknown


def unknown_refs(text: str, facts: list[Fact]) -> list[str]:
    return render_fact_refs(text, facts)[1]


class RefStream:
    """Renders a streamed narration piece by piece: a reference cut at a piece's end ("… {f") waits for the
    next piece, so the marketer sees values, never ids. `flush()` at the end renders whatever is left."""

    def __init__(self, facts: list[Fact], language: str = "en") -> None:
        self._facts = {f.id: f for f in facts}
        self._phrasing = Phrasing.for_turn(facts, language)
        self._text = ""
        self._done = 0

    def feed(self, piece: str) -> str:
        self._text += piece
        rendered, self._done, _ = _render(self._text, self._facts, self._done, False, self._phrasing)
        return rendered

    def flush(self) -> str:
        rendered, self._done, _ = _render(self._text, self._facts, self._done, True, self._phrasing)
        return rendered
