"""Prompt templates as files (Jinja, StrictUndefined: a missing variable fails loudly).

Templates fence data (tool results, reviews, conversation history) in <data> tags and the system prompts say that
text inside them is data. Every value rendered into a template is passed through `neutralise_fences` first, so
text from a review or a product name can neither close the fence ("</data>") nor open a new one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

# A fence tag however written: any case, spaces, attributes or a suffix ("</ DATA >", "<data-x1>"), fullwidth or
# small-form angle brackets, HTML entities or JSON escapes of them, and an unclosed "</data" at the end of a value.
FENCE_TAG = re.compile(
    r"(?:<|＜|﹤|〈|‹|&lt;?|&#0*60;?|&#x0*3c;?|\\u003c|\\x3c)\s*(?P<slash>[/／\\]?)\s*data\b"
    r"(?:[^<>＜＞﹤﹥\n]{0,40}?(?:>|＞|﹥|〉|›|&gt;?|&#0*62;?|&#x0*3e;?|\\u003e|\\x3e)|\s*(?=[<\n]|$))",
    re.IGNORECASE,
)


def neutralise_fences(value: object) -> str:
    """The text of a rendered value with every fence tag turned into inert brackets ("</data>" -> "[/data]")."""
    return FENCE_TAG.sub(lambda m: "[/data]" if m.group("slash") else "[data]", str(value))


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=neutralise_fences,  # every {{ value }}: only the template's own text can hold a fence tag
    )
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
