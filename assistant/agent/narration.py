"""Narration: the short streamed comment under the tool results, cut at whole sentences and checked for grounding.

Over tool results the model cites figures as fact ids ({f3}); the ids are rendered as value-plus-label phrases
as they stream, and any other number (bar counting words and the marketer's own) is removed with its sentence.
Only checked sentences stream: each is held until it ends and passes the checks the final answer gets, so an
invented URL, code, offer or figure never reaches a front door, not even for a moment (`CheckedStream`).
Written in the marketer's language (`state["language"]`, an English name such as "Spanish")."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.config import get_stream_writer

import prompts
from assistant.agent.events import Token
from assistant.agent.facts import (
    RefStream,
    cite_numbers,
    is_ref,
    narration_data,
    ref_ids,
    render_fact_refs,
    turn_facts,
    unknown_refs,
    without_refs,
)
from assistant.agent.grounding import REMOVAL_NOTE, GroundingReport, check_answer, remove_unsupported
from assistant.agent.memory import history_text
from assistant.agent.state import AgentDeps, AgentState
from assistant.agent.understanding import message
from assistant.understand.aliases import fold
from assistant.understand.glossary import glosses
from assistant.understand.language import detect_language
from tools.facts import Fact

NARRATION_TOKENS = 110  # two sentences plus a few fact ids ("{f12}" is ~3 tokens)
NARRATION_SENTENCES = 2  # the prompt asks for two; a small model often writes a third (~2 s on 2 cores)

_SENTENCE_END = re.compile(r"[.!?][\"')\]*_”’]*(?=\s)")
_NOT_AN_END = re.compile(r"(?:(?:^|\n)\s*\d+|\b(?:e\.g|i\.e|vs|approx|incl|etc|no))\.$", re.IGNORECASE)


def sentences_end(text: str, count: int) -> int | None:
    """Where the `count`-th sentence of `text` ends (just after its mark), or None while fewer have ended.

    An end is a mark followed by whitespace, so "4.35" or "20.6%" never end one; "1." opening a list item
    and abbreviations such as "e.g." do not either."""
    seen = 0
    for match in _SENTENCE_END.finditer(text):
        if _NOT_AN_END.search(text[: match.start() + 1]):
            continue
        seen += 1
        if seen == count:
            return match.end()
    return None


def whole_sentences(text: str) -> str:
    """Drop a trailing fragment when the token cap cut the narration mid-sentence."""
    if not text or text[-1] in ".!?)\"'”:*" or "\n" in text[-3:]:
        return text
    cut = max(text.rfind(". "), text.rfind("! "), text.rfind("? "), text.rfind(".\n"))
    return text[: cut + 1] if cut > 0 else text


_LIST_MARK = re.compile(r"^\s*(?:[-*•]\s+|\d+[.)]\s+|#+\s*|>\s*)")
COPIED_CHARS = 25  # a narration line this long found verbatim in the results above it is a copy of them


def plain_prose(text: str, shown: str) -> str:
    """The narration as sentences: list marks, headings and bold removed, lines joined, and lines copied from
    the results shown above dropped. A small model often restates the results as markdown, which reads as
    a second, unchecked copy of the table (and in English, whatever the marketer's language)."""
    results = shown.replace("**", "")
    kept = []
    for line in text.splitlines():
        bare = _LIST_MARK.sub("", line).replace("**", "").strip()
        if bare and not (len(bare) >= COPIED_CHARS and bare in results):
            kept.append(bare)
    return " ".join(kept)


MIN_WORDS_TO_JUDGE = 5  # shorter text says too little to tell its language


def reads_in(text: str, code: str) -> bool:
    """Whether the narration reads as the language `code` (fact ids aside); short text is given the benefit."""
    words = without_refs(text)
    if len(re.findall(r"\w+", words)) < MIN_WORDS_TO_JUDGE and not re.search(r"[\u3400-\u9fff]{4}", words):
        return True
    return detect_language(words) == code


def in_language(deps: AgentDeps, raw: str, code: str, language: str) -> tuple[str, list[str]]:
    """The narration in the request's language: a small model often answers in English whatever it is asked,
    so code checks, and an English draft is translated once (keeping its fact ids; else the draft stays)."""
    if code == "en" or not raw or reads_in(raw, code):
        return raw, []
    messages = [
        SystemMessage(prompts.render("rewrite_language_system.j2", language=language)),
        HumanMessage(prompts.render("rewrite_language_user.j2", text=raw, language=language)),
    ]
    rewritten = whole_sentences(deps.llm.text("respond", messages, max_tokens=NARRATION_TOKENS + 40).strip())
    # The translation may leave a fact out, never cite one the draft did not (that would be a new claim).
    cited, drafted = set(ref_ids(rewritten)), set(ref_ids(raw))
    if rewritten and cited <= drafted and (cited or not drafted) and reads_in(rewritten, code):
        return rewritten, [f"narration translated into {language}"]
    return raw, [f"narration not in {language}; translation failed"]


_BRACED = re.compile(r"\{+[^{}\n]{0,40}\}+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")


def has_slot(text: str) -> bool:
    """Whether the text holds a braced template slot other than a fact reference."""
    return any(not is_ref(m.group(0)) for m in _BRACED.finditer(text))


def without_placeholders(text: str) -> str:
    """The sentences that hold an unfilled template slot ('Comment : {data}', '{0} avis') left out: a small model
    sometimes imitates a template instead of writing prose. Fact references ({f1}) are not slots."""
    if not has_slot(text):
        return text
    kept = [part for part in _SENTENCE_SPLIT.split(text) if part and not has_slot(part)]
    return "".join(p if p.endswith(("。", "！", "？")) else p + " " for p in kept).strip()


SUMMARY_FACTS = 2  # facts the code-written summary line states


def code_summary(facts: list[Fact], code: str, question: str = "") -> str:
    """The line code writes when the model's narration is gone or reads in another language: the facts that
    best match what the question asks about ("repeat rate in France" states the repeat rate, not the customer
    count that comes first), rendered in the marketer's language, after a fixed phrase (agent_messages.yaml)."""
    if not facts:
        return message("results_above_plain", code)
    chosen = relevant_facts(facts, question, code)[:SUMMARY_FACTS]
    rendered, _ = render_fact_refs("; ".join(f"{{{f.id}}}" for f in chosen), facts, code)
    return message("results_above", code, facts=rendered)


_WORD = re.compile(r"[^\W\d_]{3,}")


def relevant_facts(facts: list[Fact], question: str, code: str) -> list[Fact]:
    """The facts ordered by how many of the question's words (and English glosses of its terms) their measure
    names, ties in the result's own order (most important first)."""
    asked = fold(question) + " " + " ".join(gloss for _, gloss in glosses(question, code))
    words = {w.removesuffix("s") for w in _WORD.findall(asked)}

    def score(fact: Fact) -> int:
        named = {w.removesuffix("s") for w in _WORD.findall(fold(fact.head or fact.label))}
        return len(words & named)

    return sorted(facts, key=score, reverse=True)  # stable: equal scores keep their order


_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _known_dates(text: str, evidence: list[Any]) -> str:
    """The text with the ISO dates the results contain blanked out: a date is not a figure to cite."""
    data = json.dumps(evidence, default=str)
    return _ISO_DATE.sub(lambda m: "(date)" if m.group(0) in data else m.group(0), text)


_LABEL_WITH_DIGITS = re.compile(r"(?=.*\d)(?=.*[^\d\s.,])")


def without_row_labels(text: str, facts: list[Fact]) -> str:
    """The text with the results' row labels that hold digits ('25-34', '2011-12', 'Q4 2011') blanked out: naming
    a row is no figure. Only whole labels of three characters or more with a non-digit in them ('65+'), so a bare
    '3' stays a number to check."""
    labels = {f.key for f in facts if len(f.key) >= 3 and _LABEL_WITH_DIGITS.match(f.key)}
    for label in sorted(labels, key=len, reverse=True):
        end = r"(?![\w]|[.,]\d)" if label[-1].isalnum() else r"(?![.,]?\d)"
        text = re.sub(rf"(?<![\w.,]){re.escape(label)}{end}", "(label)", text)
    return text


_CJK_END = re.compile(r"[。！？]")


class CheckedStream:
    """The streamed narration, released a whole sentence at a time and only when `check` passes it.

    `check(sentence)` returns the sentence as it may be shown (figures turned into fact references) or None to hold
    it back for good; `render` turns references into values. A sentence whose quotation is still open waits for
    the one that closes it, so a quotation is checked whole. `flush()` checks what is left when the stream ends."""

    def __init__(self, check: Callable[[str], str | None], render: Callable[[str], str]) -> None:
        self._check = check
        self._render = render
        self._text = ""
        self._done = 0

    def feed(self, piece: str) -> str:
        self._text += piece
        out = []
        while (end := self._next_end()) is not None:
            out.append(self._release(self._text[self._done : end]))
            self._done = end
        return "".join(out)

    def flush(self) -> str:
        rest, self._done = self._text[self._done :], len(self._text)
        return self._release(rest) if rest.strip() else ""

    def _next_end(self) -> int | None:
        pending = self._text[self._done :]
        for end in _sentence_ends(pending):
            if _quotes_closed(pending[:end]):
                return self._done + end
        return None

    def _release(self, sentence: str) -> str:
        checked = self._check(sentence)
        return self._render(checked) if checked else ""


def _sentence_ends(text: str) -> list[int]:
    ends = {m.end() for m in _CJK_END.finditer(text)}
    count = 1
    while (end := sentences_end(text, count)) is not None:
        ends.add(end)
        count += 1
    return sorted(ends)


def _quotes_closed(text: str) -> bool:
    return text.count('"') % 2 == 0 and text.count("“") <= text.count("”")


def _grounded(
    raw: str, facts: list[Fact], evidence: list[Any], question: str, over_results: bool
) -> tuple[str, GroundingReport]:
    """The narration with figures that are facts' values turned into their references, and what grounding finds
    wrong in it. Over tool results a figure must be a fact reference (the ISO dates the results hold aside); with
    no tool run (a direct answer), it must at least occur in the conversation."""
    if over_results:
        # A small model writes digits despite the prompt: a figure that is a fact's value becomes that fact's
        # reference (rendered with its label, so it cannot stay attached to another claim).
        raw = cite_numbers(raw, facts)
    checked = without_row_labels(_known_dates(raw, evidence), facts) if over_results else raw
    report = check_answer(checked, evidence, question=question, numbers_from_results=not over_results)
    report.unknown_refs = unknown_refs(raw, facts)
    return raw, report


def narrate(deps: AgentDeps, state: AgentState, system: str, user_template: str) -> dict[str, Any]:
    """Stream the narration as checked sentences; return the state update: the answer (results shown, then
    narration), flags."""
    write = get_stream_writer()
    steps = state.get("steps", [])
    facts = turn_facts(steps)
    history = history_text(state.get("messages", [])[:-1], deps.memory_tokens)
    results = narration_data(steps)  # facts and briefs; empty for a direct answer
    language = state.get("language") or "English"
    code = state.get("language_code") or "en"
    question = state["question"]
    user = prompts.render(user_template, history=history, results=results, question=question, language=language)
    evidence = [s["result"] for s in steps if s["ok"]] + [s["markdown"] for s in steps] + [history]
    over_results = bool(steps)

    def streamable(sentence: str) -> str | None:
        """A finished sentence as it may be shown while streaming: only if the final answer would keep it."""
        if has_slot(sentence):
            return None
        cited, report = _grounded(sentence, facts, evidence, question, over_results)
        return cited if report.ok else None

    pieces = []
    messages = [SystemMessage(system), HumanMessage(user)]
    two_sentences = lambda text: sentences_end(text, NARRATION_SENTENCES)  # noqa: E731
    refs = RefStream(facts, code)  # what the marketer sees: ids rendered as values with their labels
    stream = CheckedStream(streamable, refs.feed)
    for piece in deps.llm.stream("respond", messages, max_tokens=NARRATION_TOKENS, until=two_sentences):
        pieces.append(piece)
        if text := stream.feed(piece):
            write(Token(text=text))
    if text := stream.flush() + refs.flush():
        write(Token(text=text))
    raw = whole_sentences("".join(pieces).strip())
    shown = [s["markdown"] for s in steps if s["ok"] and s["markdown"]]
    if steps:
        raw = plain_prose(raw, "\n".join(shown))
    raw, language_flags = in_language(deps, raw, code, language)
    raw = without_placeholders(raw)
    raw, report = _grounded(raw, facts, evidence, question, over_results)
    flags = [*state.get("flags", []), *language_flags]
    if not report.ok:
        raw = remove_unsupported(raw, report)
        flags.append(f"grounding: removed unsupported {report.problems}")
    narration, _ = render_fact_refs(raw, facts, code)
    prose = REMOVAL_NOTE.sub("", narration).strip()
    if any(s["ok"] for s in steps) and (not prose or (code != "en" and not reads_in(prose, code))):
        flags.append("narration empty or not in the request's language: code wrote the summary line")
        note = REMOVAL_NOTE.search(narration)
        narration = code_summary(facts, code, question) + (f"\n\n{note.group(0).strip()}" if note else "")
    shown += [f"**{s['tool']} failed:** {s['error']}" for s in steps if not s["ok"]]
    answer = "\n\n".join([*shown, narration]).strip()
    return {"answer": answer, "flags": flags}
