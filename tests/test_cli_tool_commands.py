"""The tool commands' options are generated from the tools' input models (assistant/commands/tool_options.py):
every input field of every tool with a command is reachable from the command line, its help in `--help` is the
field's description, and a value given on the command line reaches the tool's input."""

from __future__ import annotations

import enum
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import pytest
import typer.main
from pydantic import ValidationError
from typer.core import TyperArgument
from typer.testing import CliRunner

from assistant.cli import app
from assistant.commands.tool_options import JSON_HELP
from assistant.core.workspace import Workspace
from tools.base import Tool
from tools.families import load_tools

# Each tool command and the tools whose input it takes.
COMMANDS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("segment", "query"): ("segment_query",),
    ("segment", "overview"): ("customer_overview",),
    ("segment", "explain"): ("explain_segment",),
    ("predict", "churn"): ("predict_churn",),
    ("predict", "clv"): ("predict_clv",),
    ("predict", "forecast"): ("forecast_sales",),
    ("predict", "response"): ("campaign_response",),
    ("recommend",): ("recommend_products",),
    ("search", "reviews"): ("search_reviews",),
    ("search", "products"): ("search_products",),
    ("sentiment",): ("classify_sentiment", "analyze_sentiment"),
    ("analyze", "experiment"): ("analyze_experiment",),
    ("analyze", "plan"): ("plan_experiment",),
    ("analyze", "budget"): ("allocate_budget",),
    ("analyze", "cohorts"): ("cohort_retention",),
    ("metrics",): ("query_metrics",),
}
NO_COMMAND = {"write_copy"}  # drafts with the LLM: reached through `mka ask`
TOOLS = load_tools()
CASES = [(path, name) for path, names in COMMANDS.items() for name in names]
FIELDS = [(path, name, field) for path, name in CASES for field in TOOLS[name].input_model.model_fields]

# What a field needs besides itself to pass its model's cross-field checks (tried only if it fails alone).
COMPANIONS: dict[str, list[str]] = {
    "explain_segment": ["-s", "lost"],
    "recommend_products": ["--segment", "lost"],
    "segment_query": ["--recency-min", "5"],  # strict_bounds names a bound that must be set
    "plan_experiment": ["0.03"],  # the baseline rate, required
    "allocate_budget": ["1000"],  # the budget, required
    "query_metrics": ["--by", "country"],  # then_by is a second dimension: it needs a first
}

# Values whose text has a format of its own (the generic sample of a str is a bare word).
SAMPLES: dict[tuple[str, str], tuple[str, Any]] = {
    ("allocate_budget", "channels"): ("email:0.1:0.2", ["email:0.1:0.2"])
}
# Positional arguments a command needs whatever the field tried (the search query, the metric).
REQUIRED = {"search": ("query", ["zip"]), "metrics": ("metric", ["revenue"])}


def command(path: tuple[str, ...]) -> Any:
    found: Any = typer.main.get_command(app)
    for name in path:
        found = found.commands[name]
    return found


def params_by_name(path: tuple[str, ...]) -> dict[str, Any]:
    return {p.name: p for p in command(path).params}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_every_tool_but_the_copywriter_has_a_command() -> None:
    assert {n for names in COMMANDS.values() for n in names} == set(TOOLS) - NO_COMMAND


@pytest.mark.parametrize(("path", "tool"), CASES, ids=[f"{' '.join(p)}:{t}" for p, t in CASES])
def test_every_input_field_has_an_option_whose_help_is_the_fields_description(
    path: tuple[str, ...], tool: str, cli: CliRunner
) -> None:
    params = params_by_name(path)
    fields = TOOLS[tool].input_model.model_fields
    missing = sorted(set(fields) - set(params))
    assert not missing, f"`mka {' '.join(path)}` has no option for {tool}'s fields {missing}"
    shown = cli.invoke(app, [*path, "--help"], env={"COLUMNS": "2000"})
    assert shown.exit_code == 0, shown.output
    for name, field in fields.items():
        assert field.description, f"{tool}.{name} has no description to show as help"
        assert params[name].help.startswith(field.description), name
        assert flat(field.description) in flat(shown.output), f"{name}'s description missing from --help"
    if path != ("sentiment",):  # sentiment words its own --json help
        assert params["as_json"].opts == ["--json"] and params["as_json"].help == JSON_HELP


def without_none(annotation: Any) -> Any:
    rest = [a for a in get_args(annotation) if a is not type(None)]
    return rest[0] if get_origin(annotation) in (Union, UnionType) and len(rest) == 1 else annotation


def sample(annotation: Any, default: Any = None, metadata: list[Any] | None = None) -> tuple[str, Any]:
    """A command-line value of this type that the model accepts, other than its default; and what it becomes."""
    bare = without_none(annotation)
    if get_origin(bare) is list:
        text, value = sample(get_args(bare)[0])
        return text, [value]
    default = default.value if isinstance(default, enum.Enum) else default
    choices: list[str] = []
    if get_origin(bare) is Literal:
        choices = [str(a) for a in get_args(bare)]
    elif isinstance(bare, type) and issubclass(bare, enum.Enum):
        choices = [str(m.value) for m in bare]
    if choices:
        choice = next(c for c in choices if c != default)
        return choice, choice
    if bare is date:
        return "2011-03-04", date(2011, 3, 4)
    if bare in (int, float):
        low = next((m.ge for m in metadata or [] if isinstance(m, annotated_types.Ge)), 0)
        high = next((m.le for m in metadata or [] if isinstance(m, annotated_types.Le)), 10**6)
        number = next(c for c in ([0.5] if bare is float else [3, 2, 1, low]) if low <= c <= high and c != default)
        return str(number), number
    assert bare is str, f"no sample for {annotation!r}"
    return "lantern", "lantern"


def plain(value: Any) -> Any:
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value.value if isinstance(value, enum.Enum) else value


@pytest.mark.parametrize(("path", "tool", "field"), FIELDS, ids=[f"{' '.join(p)}:{f}" for p, _, f in FIELDS])
def test_a_value_given_on_the_command_line_reaches_the_tools_input(
    path: tuple[str, ...], tool: str, field: str, cli: CliRunner, mka_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec: Tool[Any] = TOOLS[tool]
    info = spec.input_model.model_fields[field]
    param = params_by_name(path)[field]
    seen: list[tuple[Any, Any, tuple[type[BaseException], ...]]] = []

    def fake_run_tool(
        run: Any, build_input: Any, as_json: bool, expected: tuple[type[BaseException], ...], settings: Any = None
    ) -> None:
        try:
            seen.append((run, build_input(), expected))
        except ValidationError as exc:
            seen.append((run, exc, expected))

    monkeypatch.setattr("assistant.commands.common.run_tool", fake_run_tool)
    if getattr(param, "is_flag", False):
        args, expected_value = ([param.secondary_opts[0]], False) if info.default else ([param.opts[0]], True)
    else:
        text, expected_value = SAMPLES.get((tool, field)) or sample(
            info.annotation, info.get_default(call_default_factory=True), info.metadata
        )
        args = [text] if isinstance(param, TyperArgument) else [param.opts[0], text]
    own, values = REQUIRED.get(path[0], ("", []))
    required = values if field != own else []
    for companions in ([], COMPANIONS.get(tool, [])):
        seen.clear()
        result = cli.invoke(app, [*path, *required, *args, *companions])
        assert result.exit_code == 0, result.output
        assert len(seen) == 1, result.output
        if not isinstance(seen[0][1], ValidationError):
            break
    run, got, expected = seen[0]
    assert not isinstance(got, ValidationError), f"{args}: {got}"
    assert run is spec.run and expected == spec.errors
    assert isinstance(got, spec.input_model)
    assert plain(getattr(got, field)) == expected_value


def test_options_not_given_keep_the_models_defaults(
    cli: CliRunner, mka_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(
        "assistant.commands.common.run_tool", lambda run, build, as_json, errors, settings=None: seen.append(build())
    )
    for path, names in COMMANDS.items():
        if path in {("segment", "explain"), ("recommend",), ("analyze", "plan"), ("analyze", "budget"), ("metrics",)}:
            continue  # need a target (or a baseline rate, a budget, a dimension)
        seen.clear()
        required = ["zip"] if path[0] == "search" else []
        assert cli.invoke(app, [*path, *required]).exit_code == 0
        model = TOOLS[names[-1]].input_model
        assert seen == [model.model_validate({"query": "zip"} if required else {})], path


def test_renamed_and_new_options_run_the_tools_on_the_demo(
    demo_workspace: Workspace, mka_home: Path, cli: CliRunner
) -> None:
    env = {"MKA_HOME": str(demo_workspace.home)}
    with demo_workspace.connect(read_only=True) as con:
        top = "SELECT product_id FROM {} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        reviewed, sold = (str(con.execute(top.format(table)).fetchall()[0][0]) for table in ("reviews", "order_lines"))

    everyone = cli.invoke(app, ["segment", "query", "--json"], env=env)
    risky = cli.invoke(app, ["segment", "query", "--churn-probability-min", "0.5", "--no-export", "--json"], env=env)
    assert everyone.exit_code == 0 and risky.exit_code == 0, risky.output
    assert json.loads(risky.stdout)["customers"] <= json.loads(everyone.stdout)["customers"]

    basket = cli.invoke(app, ["recommend", "--product", sold, "--include-purchased", "--k", "2", "--json"], env=env)
    assert basket.exit_code == 0, basket.output
    assert len(json.loads(basket.stdout)["items"]) == 2

    scoped = cli.invoke(app, ["sentiment", "--product", reviewed, "--since", "1990-01-01", "--json"], env=env)
    assert scoped.exit_code == 0, scoped.output
    assert json.loads(scoped.stdout)["review_count"] > 0

    quoted = cli.invoke(app, ["search", "reviews", "fit", "--product", reviewed, "-k", "1", "--json"], env=env)
    assert quoted.exit_code == 0, quoted.output
    assert [h["product_id"] for h in json.loads(quoted.stdout)["hits"]] == [reviewed]

    # Choices are the model's to check: a bad one is the same one-line error as anywhere else.
    bad = cli.invoke(app, ["predict", "forecast", "--metric", "profit"], env=env)
    assert bad.exit_code == 1 and re.search(r"metric: Input should be 'revenue' or 'orders'", bad.output), bad.output


@pytest.mark.subprocess
def test_mka_help_builds_no_tool_options() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from assistant.cli import app;"
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(app, ['segment', '--help']); assert 'query' in r.output, r.output;"
        "print(sorted(m for m in sys.modules if m.startswith('tools.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
