"""The YAML suite format, validated with pydantic so a typo in a suite fails loudly with its case id."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tools.base import Tool


class ToolExpectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Expected tool; 'none' for no tool (answer, clarify or refusal).")
    args: dict[str, Any] = Field(default_factory=dict, description="A subset the tool's arguments must contain.")
    exact: bool = Field(
        default=False,
        description="The step's data-value arguments are exactly `args`: a value the question never gave (a segment, "
        "a date range, a category) fails. Behaviour options (group_by, sort, limit, k…) are not compared.",
    )
    free: list[str] = Field(
        default_factory=list,
        description="Arguments that may take any value, or be absent (free text such as a search query); "
        "`exact` does not compare them.",
    )


class NumberExpectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(description="Ground truth: a query over the warehouse returning one number.")
    tolerance: float = Field(default=0.5, ge=0, description="Absolute tolerance.")
    rel_tolerance: float = Field(default=0.0, ge=0, description="Relative tolerance (0.01 = 1%).")


class Assertion(BaseModel):
    """Exactly one check per list entry."""

    model_config = ConfigDict(extra="forbid")

    tool: ToolExpectation | str | None = None
    number: NumberExpectation | None = None
    contains: str | list[str] | None = None
    not_contains: str | list[str] | None = None
    regex: str | None = None
    max_chars: int | None = Field(default=None, gt=0)
    no_pii: bool | None = None
    products_exist: bool | None = None
    quotes_exist: bool | None = None
    max_ms: float | None = Field(default=None, gt=0)
    rubric: str | None = None
    useful: bool | None = Field(
        default=None,
        description="The expected tool ran first and ok with a non-empty result, and the answer is not empty; "
        "for an expected 'none': no tool ran and the answer is not empty.",
    )
    language: str | None = Field(default=None, description="The answer's prose is in this language (en, zh, …).")

    @model_validator(mode="after")
    def _exactly_one(self) -> Assertion:
        set_fields = [k for k, v in self if v is not None]
        if len(set_fields) != 1:
            raise ValueError(f"each assertion has exactly one check, got {set_fields or 'none'}")
        if isinstance(self.tool, str):
            self.tool = ToolExpectation(name=self.tool)
        return self

    @property
    def kind(self) -> str:
        return next(k for k, v in self if v is not None)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    prompt: str | None = None
    turns: list[str] | None = Field(default=None, description="A short conversation; checks apply to the last turn.")
    category: str = "general"
    family: str | None = Field(default=None, description="The template family a generated case comes from.")
    split: Literal["dev", "test"] | None = Field(
        default=None, description="dev: may be used to tune prompts and examples; test: only to report."
    )
    language: str = "en"
    intent: str | None = None
    assertions: list[Assertion] = Field(alias="assert")

    @model_validator(mode="after")
    def _one_prompt(self) -> Case:
        if bool(self.prompt) == bool(self.turns):
            raise ValueError("give either 'prompt' or 'turns'")
        return self

    @property
    def messages(self) -> list[str]:
        return [self.prompt] if self.prompt else list(self.turns or [])

    @property
    def follow_up(self) -> bool:
        return len(self.messages) > 1

    @property
    def expected_tool(self) -> str | None:
        for a in self.assertions:
            if isinstance(a.tool, ToolExpectation):
                return a.tool.name
        return None


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    threshold: float = Field(ge=0, le=1, description="Minimum pass rate; below it `mka eval` exits non-zero.")
    description: str = ""
    sql_snippets: dict[str, str] = Field(
        default_factory=dict, description="Reusable SQL, referenced in a case's SQL as {{name}}."
    )
    cases: list[Case]

    @model_validator(mode="after")
    def _unique_ids(self) -> Suite:
        ids = [c.id for c in self.cases]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate case ids: {', '.join(sorted(dupes))}")
        return self


class SuiteError(ValueError):
    pass


SPLITS = ("dev", "test")


def filter_split(suite: Suite, split: str | None) -> Suite:
    """Only the cases of one split (dev or test); None keeps every case."""
    if split is None:
        return suite
    if split not in SPLITS:
        raise SuiteError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    cases = [c for c in suite.cases if c.split == split]
    if not cases:
        raise SuiteError(f"suite {suite.name!r} has no cases in the {split!r} split")
    return suite.model_copy(update={"cases": cases})


def check_against_tools(suite: Suite, tools: dict[str, Tool[Any]], path: Path) -> None:
    """Every expected tool is a declared tool (or 'none') and every expected argument one of its inputs, so a typo
    in a suite fails loudly instead of lowering the routing figure."""
    for case in suite.cases:
        for assertion in case.assertions:
            expected = assertion.tool
            if not isinstance(expected, ToolExpectation) or expected.name == "none":
                continue
            tool = tools.get(expected.name)
            if tool is None:
                raise SuiteError(
                    f"{path}: case {case.id!r}: tool: {expected.name!r} is not a tool ({', '.join(tools)})"
                )
            unknown = sorted((set(expected.args) | set(expected.free)) - set(tool.input_model.model_fields))
            if unknown:
                raise SuiteError(f"{path}: case {case.id!r}: tool.args: {unknown} are not inputs of {tool.name}")


def load_suite(path: Path, tools: dict[str, Tool[Any]] | None = None) -> Suite:
    """Read and validate a suite; with `tools` (default: every family's), check its expectations against them."""
    suite = _read_suite(path)
    if tools is None:
        from tools.families import load_tools

        tools = load_tools()
    check_against_tools(suite, tools, path)
    return suite


def _read_suite(path: Path) -> Suite:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SuiteError(f"{path}: suite file not found") from exc
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: not valid YAML ({exc})") from exc
    try:
        return Suite.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        if isinstance(data, dict) and err["loc"][:1] == ("cases",) and len(err["loc"]) > 1:
            index = err["loc"][1]
            cases = data.get("cases") or []
            if isinstance(index, int) and index < len(cases) and isinstance(cases[index], dict):
                where = f"case {cases[index].get('id', index)!r}: " + ".".join(str(p) for p in err["loc"][2:])
        raise SuiteError(f"{path}: {where}: {err['msg']}") from exc
