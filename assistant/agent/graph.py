"""The LangGraph graph: route -> act -> (route again for a planned next step) -> respond.

Nodes write events (tool steps, answer tokens) to LangGraph's custom stream as they happen, so front doors
show a tool's table the moment it finishes and the narration token by token.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, RemoveMessage, SystemMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Checkpointer
from pydantic import BaseModel

import prompts
from assistant.agent.brief import brief
from assistant.agent.decision import ANSWER, CLARIFY, ArgsError, decision_schema, inline_refs, parse_decision
from assistant.agent.events import StepFinished, StepStarted, Token
from assistant.agent.grounding import check_answer, remove_unsupported
from assistant.agent.memory import history_text
from assistant.core.llm_client import LLMClient, StructuredOutputError
from assistant.core.privacy import mask_pii
from tools.base import PriorStep, Tool
from tools.context import ToolContext

MAX_STEPS = 4
MAX_STORED_MESSAGES = 40
RESULT_CHARS = 700  # per step, of the brief the model reads (the marketer sees the full result)
NARRATION_TOKENS = 90
NARRATION_SENTENCES = 2  # the prompt asks for two; a small model often writes a third (~2 s on 2 cores)
REFUSAL = (
    "I can't share customers' personal details such as email addresses, phone numbers or names — they never "
    "leave the warehouse through this assistant. I can give you customer ids, segment sizes and a CSV export of "
    "ids for your email tool to match, or write the campaign copy itself."
)


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]  # conversation memory, persisted per thread
    question: str
    steps: list[dict[str, Any]]
    plan: list[str]
    next_tool: str | None
    pending: dict[str, Any] | None
    feedback: str | None
    retried: bool
    outcome: str
    clarify: str | None
    answer: str
    flags: list[str]


@dataclass
class AgentDeps:
    llm: LLMClient
    tools: dict[str, Tool[Any]]
    ctx: ToolContext
    memory_tokens: int = 1500
    examples: list[dict[str, Any]] | None = None


def _args_hint(model: type[BaseModel], max_description: int = 70) -> str:
    """A compact one-line description of a tool's arguments for the routing prompt (it is read every call)."""
    schema = inline_refs(model.model_json_schema())
    parts = []
    for name, prop in schema.get("properties", {}).items():
        options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
        first = options[0] if options else prop
        enum = first.get("enum") or (first.get("items") or {}).get("enum")
        kind = "list" if first.get("type") == "array" else first.get("type", "")
        desc = re.split(r"(?<!e\.g)(?<!i\.e)\.\s+", str(prop.get("description", "")))[0].rstrip(".")
        if len(desc) > max_description:
            desc = desc[: max_description - 1].rsplit(" ", 1)[0] + "…"
        spec = "|".join(map(str, enum)) if enum and len(enum) <= 12 else kind
        parts.append(f"{name} ({spec}): {desc}" if desc else f"{name} ({spec})")
    return "; ".join(parts) or "none"


def route_system_prompt(deps: AgentDeps) -> str:
    tools = [
        {"name": n, "description": s.description, "args": _args_hint(s.input_model)} for n, s in deps.tools.items()
    ]
    examples = [e for e in (deps.examples or []) if e["decision"]["tool"] in (*deps.tools, ANSWER, CLARIFY)]
    return prompts.render("route_system.j2", tools=tools, examples=examples)


def warm_up(deps: AgentDeps) -> None:
    """Route one trivial request so the model is loaded and the fixed routing prefix sits in the KV cache."""
    user = prompts.render("route_user.j2", history="", results="", next_tool=None, feedback=None, question="Hi")
    messages = [SystemMessage(route_system_prompt(deps)), HumanMessage(user)]
    deps.llm.json("warm-up", messages, decision_schema(deps.tools), "decision")


_GENERIC = {"this", "that", "with", "off", "the", "and", "for", "our", "your", "all", "any", "on", "of", "a", "an"}


def offer_was_stated(offer: str, question: str, messages: list[AnyMessage]) -> bool:
    """True when most of the offer's words (and all its numbers) are in what the marketer wrote."""
    said = " ".join([question, *(str(m.content) for m in messages if m.type == "human")]).lower()
    words = [w for w in re.findall(r"[a-z0-9]+", offer.lower()) if w not in _GENERIC]
    if not words:
        return True
    numbers = [w for w in words if w.isdigit()]
    if any(n not in re.findall(r"\d+", said) for n in numbers):
        return False
    return sum(w in said for w in words) * 2 >= len(words)


def results_text(steps: list[dict[str, Any]]) -> str:
    parts = []
    for step in steps:
        if step["ok"]:
            body = brief(step["markdown"], RESULT_CHARS)
            parts.append(f"[{step['tool']} {json.dumps(step['args'], ensure_ascii=False)}]\n{body}")
        else:
            parts.append(f"[{step['tool']}] error: {step['error']}")
    return mask_pii("\n\n".join(parts))


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


def build_graph(deps: AgentDeps, checkpointer: Checkpointer | None = None) -> Any:
    route_system = route_system_prompt(deps)
    full_schema = decision_schema(deps.tools)

    def route(state: AgentState) -> dict[str, Any]:
        steps = state.get("steps", [])
        if len(steps) >= MAX_STEPS:
            return {"outcome": "respond"}
        next_tool = state.get("next_tool")
        schema = decision_schema({next_tool: deps.tools[next_tool]}) if next_tool else full_schema
        user = prompts.render(
            "route_user.j2",
            history=history_text(state.get("messages", [])[:-1], deps.memory_tokens),
            results=results_text(steps),
            next_tool=next_tool,
            feedback=state.get("feedback"),
            question=state["question"],
        )
        try:
            raw = deps.llm.json("route", [SystemMessage(route_system), HumanMessage(user)], schema, "decision")
            if raw.get("tool") in deps.tools and steps:
                raw["args"] = carry_over(deps.tools[raw["tool"]], dict(raw.get("args") or {}), steps)
            decision, args = parse_decision(raw, deps.tools)
        except (ArgsError, StructuredOutputError) as exc:
            kind = "invalid args" if isinstance(exc, ArgsError) else "unparseable decision"
            flags = [*state.get("flags", []), f"{kind}: {exc}"]
            if state.get("retried"):
                flags.append(f"routing failed twice: {exc}")
                return {"outcome": "respond" if steps else "answer", "flags": flags, "feedback": None}
            return {"outcome": "route", "feedback": str(exc), "retried": True, "flags": flags}
        if decision.tool == ANSWER:
            return {"outcome": "respond" if steps else "answer", "feedback": None}
        if decision.tool == CLARIFY:
            return {"outcome": "clarify", "clarify": decision.question, "feedback": None}
        assert args is not None
        flags = list(state.get("flags", []))
        offer = getattr(args, "offer", None)
        if offer and not offer_was_stated(offer, state["question"], state.get("messages", [])):
            # A small model copies offers from the routing examples; copy must never carry an invented one.
            args = args.model_copy(update={"offer": None})
            flags.append(f"dropped an offer the marketer did not state: {offer!r}")
        plan = state.get("plan", []) if next_tool else [t for t in decision.next if t != decision.tool]
        return {
            "pending": {"tool": decision.tool, "args": args.model_dump(mode="json", exclude_defaults=True)},
            "plan": plan,
            "next_tool": None,
            "feedback": None,
            "outcome": "act",
            "flags": flags,
        }

    def act(state: AgentState) -> dict[str, Any]:
        write = get_stream_writer()
        pending = state["pending"] or {}
        spec = deps.tools[pending["tool"]]
        steps = list(state.get("steps", []))
        args_dict = carry_over(spec, dict(pending["args"]), steps)
        args = spec.input_model.model_validate(args_dict)
        shown_args = args.model_dump(mode="json", exclude_defaults=True)
        write(StepStarted(tool=spec.name, args=shown_args))
        started = time.perf_counter()
        try:
            result = spec.run(args, deps.ctx)
        except (ValueError, LookupError) as exc:  # caused by the model's arguments: tell it once
            ms = round((time.perf_counter() - started) * 1000, 1)
            error = str(exc).splitlines()[0][:300]
            steps.append({"tool": spec.name, "args": shown_args, "ok": False, "error": error, "ms": ms,
                          "result": None, "markdown": ""})  # fmt: skip
            write(StepFinished(tool=spec.name, args=shown_args, ok=False, ms=ms, error=error))
            if not state.get("retried"):
                return {"steps": steps, "feedback": f"{spec.name} failed: {error}", "retried": True,
                        "outcome": "route", "next_tool": spec.name}  # fmt: skip
            return {"steps": steps, "outcome": "respond"}
        ms = round((time.perf_counter() - started) * 1000, 1)
        markdown = mask_pii(result.to_markdown()) if hasattr(result, "to_markdown") else ""
        charts = result.charts() if hasattr(result, "charts") else []
        dumped = result.model_dump(mode="json")
        steps.append({"tool": spec.name, "args": shown_args, "ok": True, "error": None, "ms": ms,
                      "result": dumped, "markdown": markdown,
                      "charts": [c.model_dump(mode="json") for c in charts]})  # fmt: skip
        write(StepFinished(tool=spec.name, args=shown_args, ok=True, ms=ms, markdown=markdown, charts=charts,
                           result=dumped))  # fmt: skip
        plan = state.get("plan", [])
        if plan:
            return {"steps": steps, "next_tool": plan[0], "plan": plan[1:], "outcome": "route", "retried": False}
        return {"steps": steps, "outcome": "respond"}

    def narrate(state: AgentState, system: str, user_template: str) -> dict[str, Any]:
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

    def respond(state: AgentState) -> dict[str, Any]:
        steps = state.get("steps", [])
        if steps and all(s["ok"] and not deps.tools[s["tool"]].narrate for s in steps):
            answer = "\n\n".join(s["markdown"] for s in steps)  # the draft is the answer; nothing to narrate
            return {"answer": answer}
        return narrate(state, prompts.render("respond_system.j2"), "respond_user.j2")

    def answer(state: AgentState) -> dict[str, Any]:
        return narrate(state, prompts.render("answer_system.j2"), "answer_user.j2")

    def clarify(state: AgentState) -> dict[str, Any]:
        text = mask_pii(state.get("clarify") or "Could you say a bit more about what you need?")
        get_stream_writer()(Token(text=text))
        return {"answer": text}

    def refuse(state: AgentState) -> dict[str, Any]:
        get_stream_writer()(Token(text=REFUSAL))
        return {"answer": REFUSAL, "flags": [*state.get("flags", []), "refused: request for personal data"]}

    def remember(state: AgentState) -> dict[str, Any]:
        """Store the turn's answer (tables cut short) and which tools it used; drop the oldest beyond the cap."""
        used = [f"{s['tool']} {json.dumps(s['args'], ensure_ascii=False)}" for s in state.get("steps", [])]
        messages = state.get("messages", [])
        removals = [RemoveMessage(id=m.id) for m in messages[: max(0, len(messages) + 1 - MAX_STORED_MESSAGES)] if m.id]
        reply = AIMessage(content=state.get("answer", "")[:1200], additional_kwargs={"tools_used": used})
        return {"messages": [*removals, reply]}

    def after(state: AgentState) -> str:
        return state.get("outcome", "respond")

    graph = StateGraph(AgentState)
    for name, node in (
        ("guard", _guard),
        ("route", route),
        ("act", act),
        ("respond", respond),
        ("answer", answer),
        ("clarify", clarify),
        ("refuse", refuse),
        ("remember", remember),
    ):
        graph.add_node(name, node)
    graph.add_edge(START, "guard")
    graph.add_conditional_edges("guard", after, {"route": "route", "refuse": "refuse"})
    graph.add_conditional_edges(
        "route", after, {"route": "route", "act": "act", "respond": "respond", "answer": "answer", "clarify": "clarify"}
    )
    graph.add_conditional_edges("act", after, {"route": "route", "respond": "respond"})
    for name in ("respond", "answer", "clarify", "refuse"):
        graph.add_edge(name, "remember")
    graph.add_edge("remember", END)
    return graph.compile(checkpointer=checkpointer)


def _guard(state: AgentState) -> dict[str, Any]:
    from assistant.core.privacy import asks_for_pii

    return {"outcome": "refuse" if asks_for_pii(state["question"]) else "route"}


def carry_over(tool: Tool[Any], args: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Fill the tool's missing arguments from earlier successful steps of the same request (tools/base.py)."""
    previous = [PriorStep(tool=s["tool"], args=s["args"], result=s["result"]) for s in steps if s["ok"]]
    return tool.carry_over(args, previous) if tool.carry_over and previous else args
