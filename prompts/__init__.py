"""Prompt templates as files (Jinja, StrictUndefined: a missing variable fails loudly)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    # Keep JSON keys in the order written: examples must match the order the decision grammar forces.
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
    return env


def read_text(name: str) -> str:
    return resources.files("prompts").joinpath(name).read_text(encoding="utf-8")


def render(name: str, **variables: Any) -> str:
    """Render prompts/<name> with the given variables."""
    return _env().from_string(read_text(name)).render(**variables).strip()


def load_yaml(name: str) -> Any:
    return yaml.safe_load(read_text(name))
