"""The routing decision: which tool with which arguments, or answer / clarify — as one JSON schema.

The schema is an anyOf with one branch per tool ({"tool": <const>, "args": <that tool's input schema>}),
so a grammar-constrained model can only emit a known tool with well-typed arguments. Pydantic then
validates the arguments for real (ranges, cross-field rules) and its message goes back to the model once.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.understand.vocabulary import DATA_FIELDS
from tools.base import Tool

ANSWER = "answer"
CLARIFY = "clarify"
DECLINE = "decline"  # out of scope: no tool can serve it; a fixed, honest reply says what the assistant can do
NO_TOOL = (ANSWER, CLARIFY, DECLINE)
MAX_FOLLOW_UPS = 3


class Decision(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    question: str | None = None  # for clarify
    next: list[str] = Field(default_factory=list, description="Tools still to run after this one.")


class ArgsError(ValueError):
    """The model chose a tool but its arguments do not validate; the message names the fields."""

    def __init__(self, tool: str, message: str) -> None:
        self.tool = tool
        super().__init__(message)


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace local $refs with their definitions and drop titles (they only cost prompt tokens)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                return walk(copy.deepcopy(defs[name]))
            return {k: walk(v) for k, v in node.items() if k not in ("$defs", "title")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


# Inputs filled by code from the question (strict bounds...), never by the model: left out of the decision schema.
CODE_ONLY = "x-code-only"


def _with_enum(prop: dict[str, Any], values: list[Any]) -> dict[str, Any]:
    """The property with its string/integer (or array-of) branch limited to `values`."""

    def limit(node: dict[str, Any]) -> dict[str, Any]:
        if node.get("type") == "array":
            return {**node, "items": {"enum": values}}
        if node.get("type") in ("string", "integer"):
            rest = {k: v for k, v in node.items() if k not in ("type", "maxLength", "minLength", "pattern")}
            return {**rest, "enum": values}
        return node

    if "anyOf" in prop:
        return {**prop, "anyOf": [limit(p) for p in prop["anyOf"]]}
    return limit(prop)


def args_schema(model: type[BaseModel], enums: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """A tool's input schema as the model fills it: code-only inputs left out, data fields limited to the data."""
    schema = inline_refs(model.model_json_schema())
    props = {k: v for k, v in schema.get("properties", {}).items() if not v.get(CODE_ONLY)}
    for name, prop in props.items():
        values = (enums or {}).get(DATA_FIELDS.get(name, ""))
        if values:
            props[name] = _with_enum(prop, values)
    schema["properties"] = props
    if "required" in schema:
        schema["required"] = [r for r in schema["required"] if r in props]
    return schema


def decision_schema(tools: dict[str, Tool[Any]], enums: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """`enums`: the workspace's real values by kind (country, category, segment, cluster), so a grammar-constrained
    model cannot emit a country or category the data does not have."""
    tool_names = list(tools)
    next_schema = {"type": "array", "items": {"enum": tool_names}, "maxItems": MAX_FOLLOW_UPS}
    branches: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": name},
                "args": args_schema(spec.input_model, enums),
                "next": next_schema,
            },
            "required": ["tool", "args"],
        }
        for name, spec in tools.items()
    ]
    branches.append({"type": "object", "properties": {"tool": {"const": ANSWER}}, "required": ["tool"]})
    branches.append({"type": "object", "properties": {"tool": {"const": DECLINE}}, "required": ["tool"]})
    branches.append(
        {
            "type": "object",
            "properties": {"tool": {"const": CLARIFY}, "question": {"type": "string", "maxLength": 300}},
            "required": ["tool", "question"],
        }
    )
    return {"anyOf": branches}


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:4]:
        field = ".".join(str(p) for p in err["loc"]) or "(arguments)"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


def parse_decision(raw: dict[str, Any], tools: dict[str, Tool[Any]]) -> tuple[Decision, BaseModel | None]:
    """(decision, validated tool input). Raises ArgsError when the tool's arguments do not validate."""
    try:
        decision = Decision.model_validate(raw)
    except ValidationError as exc:
        raise ArgsError("(decision)", format_validation_error(exc)) from exc
    if decision.tool in NO_TOOL:
        if decision.tool == CLARIFY and not (decision.question or "").strip():
            raise ArgsError(CLARIFY, "question: a clarifying question is required")
        return decision, None
    spec = tools.get(decision.tool)
    if spec is None:
        raise ArgsError(decision.tool, f"tool: unknown tool {decision.tool!r}; choose one of {', '.join(tools)}")
    decision.next = [t for t in decision.next if t in tools][:MAX_FOLLOW_UPS]
    try:
        return decision, spec.input_model.model_validate(decision.args)
    except ValidationError as exc:
        raise ArgsError(decision.tool, format_validation_error(exc)) from exc


DecisionKind = Literal["tool", "answer", "clarify", "decline"]
