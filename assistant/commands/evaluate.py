"""`mka eval SUITE.yaml`: run a scripted evaluation; exit 1 when the pass rate is under the suite's threshold.

`mka eval generate` writes the generated suite (evals/suites/generated.yaml) from the templates in evals/templates/.
`mka eval SUITE.yaml` is short for `mka eval run SUITE.yaml`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from assistant.commands.common import fail, load_settings, print_json, progress_bars


class _RunByDefault(TyperGroup):
    """`mka eval SUITE.yaml …` runs the suite (`mka eval run SUITE.yaml …`); named subcommands stay subcommands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: the click Context typer runs on
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    eval_app = typer.Typer(
        cls=_RunByDefault,
        help="Scripted evaluations: `mka eval SUITE.yaml` runs a suite; `mka eval generate` writes the generated one.",
        no_args_is_help=True,
    )
    eval_app.command("run")(eval_command)
    eval_app.command("generate")(generate_command)
    app.add_typer(eval_app, name="eval")


def make_judge(settings: Any, provider: str) -> Any:
    """A judge model for `rubric` checks: returns (passed, reason)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from assistant.core.llm_client import LLMClient
    from assistant.llm.factory import build_chat_model

    client = LLMClient(build_chat_model(settings.model_copy(update={"llm": provider})))
    schema = {
        "type": "object",
        "properties": {"pass": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 200}},
        "required": ["pass", "reason"],
    }

    def judge(rubric: str, question: str, answer: str) -> tuple[bool, str]:
        system = "You grade a marketing assistant's answer against a rubric. Reply with JSON {pass, reason}."
        user = f"Rubric: {rubric}\n\nQuestion: {question}\n\n<answer>\n{answer}\n</answer>"
        out = client.json("judge", [SystemMessage(system), HumanMessage(user)], schema, "grade", max_tokens=120)
        return bool(out.get("pass")), str(out.get("reason", ""))

    return judge


def eval_command(
    suite_path: Annotated[Path, typer.Argument(help="A suite YAML (see evals/suites/).", metavar="SUITE.yaml")],
    report: Annotated[Path | None, typer.Option("--report", help="Report directory (default MKA_HOME/runs).")] = None,
    llm: Annotated[str | None, typer.Option("--llm", help="Override MKA_LLM for this run.")] = None,
    judge: Annotated[str | None, typer.Option("--judge", help="Provider for rubric checks (e.g. openai).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Run only the first N cases.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    split: Annotated[
        str | None, typer.Option("--split", help="Only the cases of this split: dev (tuning) or test (reporting).")
    ] = None,
) -> None:
    """Run a suite through the agent; write JSON + Markdown reports; exit 1 under the suite's threshold."""
    from langgraph.checkpoint.memory import InMemorySaver

    from assistant.agent.runner import Agent
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from assistant.evals.runner import run_suite, to_markdown, write_reports
    from assistant.evals.suite import SuiteError, filter_split, load_suite
    from assistant.llm.factory import LLMUnavailableError

    settings = load_settings()
    if llm:
        if llm not in ("local", "openai", "openai-compatible", "scripted"):
            fail(f"--llm: unknown provider {llm!r} (local, openai, openai-compatible, scripted)")
        settings = settings.model_copy(update={"llm": llm})
    try:
        suite = filter_split(load_suite(suite_path), split)
    except SuiteError as exc:
        fail(str(exc))
    if limit:
        suite = suite.model_copy(update={"cases": suite.cases[:limit]})
    try:
        Workspace(settings.home).require_built()
        agent = Agent(settings, checkpointer=InMemorySaver())
        judge_fn = make_judge(settings, judge) if judge else None
    except (WorkspaceMissingError, LLMUnavailableError) as exc:
        fail(str(exc))
    with progress_bars(as_json) as progress:
        result = run_suite(suite, agent, progress, judge=judge_fn, split=split)
    json_path, md_path = write_reports(result, report or Workspace(settings.home).runs_dir)
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        typer.echo(to_markdown(result))
        typer.echo(f"Reports: {json_path} and {md_path}")
    if not result.passed:
        raise typer.Exit(1)


def generate_command(
    templates: Annotated[Path | None, typer.Option("--templates", help="Template directory.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Suite file to write.")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the suite file differs from a fresh generation.")
    ] = False,
) -> None:
    """Generate the eval suite from template families (templates x slots x paraphrases x languages)."""
    from assistant.evals.generate import DEFAULT_OUT, DEFAULT_TEMPLATES, TemplateError, generate_text, summary

    templates = templates or DEFAULT_TEMPLATES
    out = out or DEFAULT_OUT
    try:
        text = generate_text(templates)
    except TemplateError as exc:
        fail(str(exc))
    if check:
        current = out.read_text(encoding="utf-8") if out.is_file() else ""
        if current != text:
            fail(f"{out} is not what the templates generate: run `mka eval generate`")
        typer.echo(f"{out} is up to date")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {out}: {summary(text)}")
