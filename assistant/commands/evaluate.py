"""`mka eval SUITE.yaml`: run a scripted evaluation; exit 1 when the pass rate is under the suite's threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.commands.common import fail, load_settings, print_json, progress_bars


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


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
) -> None:
    """Run a suite through the agent; write JSON + Markdown reports; exit 1 under the suite's threshold."""
    from langgraph.checkpoint.memory import InMemorySaver

    from assistant.agent.runner import Agent
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from assistant.evals.runner import run_suite, to_markdown, write_reports
    from assistant.evals.suite import SuiteError, load_suite
    from assistant.llm.factory import LLMUnavailableError

    settings = load_settings()
    if llm:
        if llm not in ("local", "openai", "openai-compatible", "scripted"):
            fail(f"--llm: unknown provider {llm!r} (local, openai, openai-compatible, scripted)")
        settings = settings.model_copy(update={"llm": llm})
    try:
        suite = load_suite(suite_path)
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
        result = run_suite(suite, agent, progress, judge=judge_fn)
    json_path, md_path = write_reports(result, report or Workspace(settings.home).runs_dir)
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        typer.echo(to_markdown(result))
        typer.echo(f"Reports: {json_path} and {md_path}")
    if not result.passed:
        raise typer.Exit(1)
