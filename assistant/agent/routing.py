"""Routing: the prompts the model reads to pick the next tool, and the checks applied to what it picks."""

from __future__ import annotations

import json
import re

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

import prompts
from assistant.agent.brief import brief
from assistant.agent.decision import NO_TOOL, args_schema, decision_schema
from assistant.agent.state import AgentDeps, StepRecord
from assistant.core.privacy import mask_pii

RESULT_CHARS = 700  # per step, of the brief the model reads (the marketer sees the full result)


def _args_hint(model: type[BaseModel], max_description: int = 70) -> str:
    """A compact one-line description of a tool's arguments for the routing prompt (it is read every call)."""
    schema = args_schema(model)  # without the enums of data values: the prompt lists those once
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
    examples = [e for e in (deps.examples or []) if e["decision"]["tool"] in (*deps.tools, *NO_TOOL)]
    known = deps.understander.known_values() if deps.understander else {}
    return prompts.render("route_system.j2", tools=tools, examples=examples, known=known)


def warm_up(deps: AgentDeps) -> None:
    """Route one trivial request so the model is loaded and the fixed routing prefix sits in the KV cache."""
    user = prompts.render(
        "route_user.j2", history="", results="", next_tool=None, feedback=None, subject="", understood="", question="Hi"
    )
    messages = [SystemMessage(route_system_prompt(deps)), HumanMessage(user)]
    enums = deps.understander.enums() if deps.understander else None
    deps.llm.json("warm-up", messages, decision_schema(deps.tools, enums), "decision")


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


def results_text(steps: list[StepRecord]) -> str:
    """The turn's step results as the model reads them (routing and narration): briefs, masked."""
    parts = []
    for step in steps:
        if step["ok"]:
            body = brief(step["markdown"], RESULT_CHARS)
            parts.append(f"[{step['tool']} {json.dumps(step['args'], ensure_ascii=False)}]\n{body}")
        else:
            parts.append(f"[{step['tool']}] error: {step['error']}")
    return mask_pii("\n\n".join(parts))
