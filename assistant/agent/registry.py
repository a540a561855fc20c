"""The tools the agent can route to, collected from each tool module's `TOOLS` list."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from tools.context import ToolContext

# Each module exports TOOLS = [(name, InputModel, function, description), ...].
TOOL_MODULES = [
    "tools.segments",
    "tools.recommender",
    "tools.sentiment",
    "tools.search",
    "tools.predict",
    "tools.copywriter",
]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    input_model: type[BaseModel]
    fn: Callable[[Any, ToolContext], BaseModel]
    description: str

    def run(self, args: BaseModel, ctx: ToolContext) -> BaseModel:
        return self.fn(args, ctx)


def load_tools(modules: list[str] | None = None) -> dict[str, ToolSpec]:
    tools: dict[str, ToolSpec] = {}
    for module_name in modules or TOOL_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # a tool that has not landed yet; anything else is a real error
                continue
            raise
        for name, input_model, fn, description in module.TOOLS:
            if name in tools:
                raise ValueError(f"tool {name!r} is registered twice")
            tools[name] = ToolSpec(name=name, input_model=input_model, fn=fn, description=description)
    return tools
