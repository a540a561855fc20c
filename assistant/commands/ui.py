"""`mka ui`: the Gradio chat in the browser (127.0.0.1 by default; analytics off), and `mka ui-user` to add
a sign-in for it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.commands.common import err_console, fail, load_settings, warm_up_in_background

DEFAULT_AUTH_FILE = "ui-users"  # inside MKA_HOME when MKA_UI_AUTH_FILE is not set


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)
    app.command("ui-user")(ui_user)


def ui(
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to bind (default MKA_UI_HOST or 127.0.0.1: this machine only)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port (default MKA_UI_PORT or 7860).")
    ] = None,
) -> None:
    """Open the chat UI: streaming answers, tool steps, charts, tables, copy drafts and CSV exports.

    Any address but this machine's own (e.g. --host 0.0.0.0) needs a sign-in: MKA_UI_AUTH_FILE (see
    `mka ui-user`) or MKA_UI_TRUSTED_HEADER behind a sign-in proxy.
    """
    from assistant.agent.runner import Agent
    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from assistant.llm.factory import LLMUnavailableError
    from assistant.ui.auth import UIAuthError, check_exposure, load_access

    settings = load_settings()
    host = host or settings.ui_host
    port = port or settings.ui_port
    # Before anything slow: an open UI on the network is refused, a broken password file named.
    try:
        access = load_access(settings.ui_auth_file, settings.ui_trusted_header, settings.ui_trusted_proxies)
        tls = settings.ui_ssl_certfile is not None and settings.ui_ssl_keyfile is not None
        for warning in check_exposure(host, access, tls):
            err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    except UIAuthError as exc:
        fail(str(exc))
    try:
        Workspace(settings.home).require_built()
    except WorkspaceMissingError as exc:
        fail(str(exc))
    agent: Agent | None = None
    problem: str | None = None
    try:
        agent = Agent(settings)
    except LLMUnavailableError as exc:
        # Still open the UI: the status panel and every answer say what to fix.
        problem = str(exc)
        err_console.print(f"[yellow]warning:[/yellow] {problem}", highlight=False)
    if agent is not None:
        warm_up_in_background(agent)
    import ui as gradio_ui  # the repo-root module (imports gradio: seconds), only now

    scheme = "https" if tls else "http"
    signed = {"password": ", sign-in: password file", "header": ", sign-in: proxy header"}.get(access.mode, "")
    err_console.print(f"Marketing assistant UI on {scheme}://{host}:{port}{signed} (Ctrl-C to stop)", highlight=False)
    gradio_ui.launch(settings, agent, problem, host, port)


def ui_user(
    name: Annotated[str, typer.Argument(help="User name to add, or whose password to change.")],
    file: Annotated[
        Path | None,
        typer.Option("--file", help=f"Password file (default MKA_UI_AUTH_FILE, else MKA_HOME/{DEFAULT_AUTH_FILE})."),
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            "--password",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="MKA_UI_NEW_PASSWORD",
            help="Asked for when not given (MKA_UI_NEW_PASSWORD for scripts).",
        ),
    ] = "",
) -> None:
    """Add a UI user (or change their password): a salted scrypt hash goes into the password file, owner-only.

    The UI asks for a password when MKA_UI_AUTH_FILE names that file.
    """
    from assistant.ui.auth import UIAuthError, set_password

    settings = load_settings()
    path = (file or settings.ui_auth_file or settings.home / DEFAULT_AUTH_FILE).expanduser().resolve()
    try:
        set_password(path, name, password)
    except UIAuthError as exc:
        fail(str(exc))
    typer.echo(f"{name} can sign in; the UI uses this file when MKA_UI_AUTH_FILE={path}")
