"""Narration: the short streamed comment under the tool results, cut at whole sentences and checked for grounding."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.config import get_stream_writer

import prompts
from assistant.agent.events import Token
from assistant.agent.grounding import check_answer, remove_unsupported
from assistant.agent.memory import history_text
from assistant.agent.routing import results_text
from assistant.agent.state import AgentDeps, AgentState

NARRATION_TOKENS = 90
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


def narrate(deps: AgentDeps, state: AgentState, system: str, user_template: str) -> dict[str, Any]:
    """Stream the narration as tokens; return the state update: the answer (results shown, then narration), flags."""
    write = get_stream_writer()
    steps = state.get("steps", [])
    history = history_text(state.get("messages", [])[:-1], deps.memory_tokens)
    results = results_text(steps)
    user = prompts.render(user_template, history=history, results=results, question=state["question"])
    pieces = []
    messages = [SystemMessage(system), HumanMessage(user)]
    two_sentences = lambda text: sentences_end(text, NARRATION_SENTENCES)  # noqa: E731
    for piece in deps.llm.stream("respond", messages, max_tokens=NARRATION_TOKENS, until=two_sentences):
        pieces.append(piece)
        write(Token(text=piece))
    narration = whole_sentences("".join(pieces).strip())
    evidence = [s["result"] for s in steps if s["ok"]] + [s["markdown"] for s in steps] + [history]
    report = check_answer(narration, evidence, question=state["question"])
    flags = list(state.get("flags", []))
    if not report.ok:
        narration = remove_unsupported(narration, report)
        flags.append(f"grounding: removed unsupported {report.unsupported_numbers + report.unsupported_quotes}")
    shown = [s["markdown"] for s in steps if s["ok"] and s["markdown"]]
    shown += [f"**{s['tool']} failed:** {s['error']}" for s in steps if not s["ok"]]
    answer = "\n\n".join([*shown, narration]).strip()
    return {"answer": answer, "flags": flags}
