"""The Gradio chat UI (`mka ui`): adapts the agent to the browser and holds no business logic.

Each browser session has its own chat history and agent thread (server-side gr.State). A turn streams: tool
steps appear as collapsible messages while they run, tables and charts the moment a tool finishes, then the
narration token by token. Copy drafts land side by side below the chat, each with a copy button; a segment
export is offered as a CSV download. The rendering lives in assistant/ui/ (plain, tested functions).

Sign-in goes through Gradio's own hooks (`auth` for the password file, `auth_dependency` for a proxy's header);
`launch` refuses an address other machines can reach unless one of them is configured (assistant/ui/auth.py).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.agent.events import Token
from assistant.agent.runner import Agent
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.ui.auth import SignInGuard, UIAccess, check_exposure, load_access
from assistant.ui.copy_panel import MAX_VARIANTS, copy_boxes
from assistant.ui.examples import examples_for
from assistant.ui.status import LLMInfo, status_markdown
from assistant.ui.stream import Heartbeat, TurnFailed, run_turn
from assistant.ui.turn import Message, TurnView
from tools.exports import exports_dir, prune_exports

TITLE = "Marketing assistant"
TOKEN_REFRESH_S = 0.05  # coalesce streamed tokens into at most ~20 screen updates a second
CSS = """
.copy-variant textarea { font-family: ui-sans-serif, system-ui, sans-serif; }
#chat table { display: block; overflow-x: auto; }
#chat td, #chat th { white-space: nowrap; }
"""


def theme() -> gr.themes.Base:
    # System fonts only: the default theme would fetch web fonts, which an offline machine cannot.
    return gr.themes.Soft(
        font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def build_app(settings: Settings, agent: Agent | None, llm_problem: str | None = None) -> gr.Blocks:
    """The Blocks app. `agent` None means the LLM is unavailable: the UI still opens and says why."""
    workspace = Workspace(settings.home)
    tools = list(agent.tools) if agent else []
    llm = LLMInfo(provider=settings.llm, model=agent.model_name if agent else None, problem=llm_problem)
    examples = examples_for(tools)

    def respond(
        question: str, history: list[Message], thread: str | None, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        question = (question or "").strip()
        if not question:
            yield (gr.skip(),) * (6 + MAX_VARIANTS)
            return
        thread = thread or uuid.uuid4().hex
        asked = [*history, {"role": "user", "content": question}]
        turn = TurnView()
        skip_panels = (gr.skip(),) * (2 + MAX_VARIANTS)
        yield (asked + turn.messages(), gr.skip(), thread, "", *skip_panels)
        if agent is None:
            turn.fail(f"The language model is not available: {llm_problem}")
        else:
            last_render = 0.0
            user = getattr(request, "username", None)  # the signed-in user (password file or proxy header)
            for item in run_turn(lambda: agent.stream(question, thread_id=thread, user=user, channel="ui")):
                if isinstance(item, TurnFailed):
                    turn.fail(item.message)
                elif not isinstance(item, Heartbeat):
                    turn.apply(item)
                if isinstance(item, Token) and time.monotonic() - last_render < TOKEN_REFRESH_S:
                    continue
                last_render = time.monotonic()
                yield (asked + turn.messages(), gr.skip(), thread, gr.skip(), *skip_panels)
        done = asked + turn.messages()
        yield (done, done, thread, gr.skip(), *copy_updates(turn), export_update(turn))

    def new_conversation() -> tuple[Any, ...]:
        hidden = [gr.Textbox(value="", visible=False) for _ in range(MAX_VARIANTS)]
        return ([], [], None, "", gr.Column(visible=False), *hidden, gr.DownloadButton(value=None, visible=False))

    def status() -> str:
        return status_markdown(workspace, settings, llm, tools)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        history = gr.State([])
        thread = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label=TITLE,
                    elem_id="chat",
                    height="72vh",
                    buttons=["copy", "copy_all"],
                    feedback_options=None,
                    placeholder="Ask about your customers, products and reviews — or click an example below.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="e.g. How many at-risk customers do we have, by country?",
                        show_label=False,
                        elem_id="question",
                        lines=1,
                        max_lines=6,
                        autofocus=True,
                        scale=8,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                with gr.Column(visible=False, elem_id="copy-panel") as copy_panel:
                    gr.Markdown("#### Campaign copy — drafts side by side (use the copy button on each)")
                    with gr.Row(equal_height=True):
                        variants = [
                            gr.Textbox(
                                label=f"Variant {i + 1}",
                                lines=10,
                                max_lines=30,
                                buttons=["copy"],
                                interactive=False,
                                visible=False,
                                elem_classes="copy-variant",
                            )
                            for i in range(MAX_VARIANTS)
                        ]
                export = gr.DownloadButton("Download segment CSV", visible=False, elem_id="export")
                example_list = gr.Dataset(
                    components=[question],
                    samples=[[e.prompt] for e in examples],
                    label="Examples — click one to ask it",
                    samples_per_page=len(examples) or 1,
                    elem_id="examples",
                )
            with gr.Column(scale=1, min_width=260):
                status_panel = gr.Markdown(elem_id="status")
                new_chat = gr.Button("New conversation", elem_id="new-chat")

        outputs = [chatbot, history, thread, question, copy_panel, *variants, export]
        chat_event = {
            "fn": respond,
            "inputs": [question, history, thread],
            "outputs": outputs,
            "show_progress": "minimal",
            # Every waiting question reaches the agent: a model server answers them side by side, and with the
            # embedded model each waits in its line, shown its place (MKA_QUEUE_MAX waiting, then "busy").
            "concurrency_limit": settings.queue_max + 1,
            "concurrency_id": "chat",
        }
        gr.on([question.submit, ask.click], api_name="chat", **chat_event)
        example_list.click(
            lambda sample: sample[0], inputs=example_list, outputs=question, api_visibility="private"
        ).then(api_visibility="private", **chat_event)
        new_chat.click(new_conversation, outputs=outputs, api_name="new_conversation")
        chatbot.clear(new_conversation, outputs=outputs, api_visibility="private")  # the chat's own bin button
        app.load(status, outputs=status_panel, api_name="status")
    return app


def copy_updates(turn: TurnView) -> tuple[Any, ...]:
    """Show the turn's latest copy drafts side by side; leave the panel as it was when the turn wrote none."""
    results = turn.copy_results()
    if not results:
        return (gr.skip(),) * (1 + MAX_VARIANTS)
    boxes = copy_boxes(results[-1])
    updates = [
        gr.Textbox(value=boxes[i][1], label=boxes[i][0], visible=True)
        if i < len(boxes)
        else gr.Textbox(value="", visible=False)
        for i in range(MAX_VARIANTS)
    ]
    return (gr.Column(visible=True), *updates)


def export_update(turn: TurnView) -> Any:
    exports = turn.exports()
    if not exports:
        return gr.skip()
    return gr.DownloadButton(label=f"Download {Path(exports[-1]).name}", value=exports[-1], visible=True)


def ui_access(settings: Settings) -> UIAccess:
    """The sign-in configured in the settings; UIAuthError when it is broken."""
    return load_access(settings.ui_auth_file, settings.ui_trusted_header, settings.ui_trusted_proxies)


def uses_tls(settings: Settings) -> bool:
    return settings.ui_ssl_certfile is not None and settings.ui_ssl_keyfile is not None


def auth_options(access: UIAccess) -> dict[str, Any]:
    """Gradio's launch arguments for the sign-in: `auth` (its login page) or `auth_dependency` (every request)."""
    if access.passwords is not None:
        return {"auth": SignInGuard(access.passwords.check), "auth_message": f"Sign in to the {TITLE.lower()}."}
    if access.trusted is not None:
        trusted = access.trusted

        def proxy_user(request: Any) -> str | None:
            client = request.client.host if request.client else None
            return trusted.user(dict(request.headers), client)

        return {"auth_dependency": proxy_user}
    return {}


def launch(
    settings: Settings, agent: Agent | None, llm_problem: str | None, host: str, port: int, *, block: bool = True
) -> gr.Blocks:
    """Serve (until interrupted when `block`). Binds `host` (127.0.0.1 by default: not reachable from other
    machines); any other address needs a sign-in, else UIAuthError."""
    access = ui_access(settings)
    check_exposure(host, access, uses_tls(settings))
    if access.trusted is not None:
        # uvicorn would replace a local proxy's address by the browser's (X-Forwarded-For); the header is to be
        # believed from the address that actually connected, so that rewriting is off in this mode.
        os.environ["FORWARDED_ALLOW_IPS"] = ""
    app = build_app(settings, agent, llm_problem)
    exports = exports_dir(Workspace(settings.home).runs_dir)
    exports.mkdir(parents=True, exist_ok=True)
    prune_exports(exports, settings)  # customer lists are not kept past the retention period
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        allowed_paths=[str(exports)],
        ssr_mode=False,
        theme=theme(),
        css=CSS,
        inbrowser=False,
        share=False,
        show_error=False,
        ssl_certfile=str(settings.ui_ssl_certfile) if settings.ui_ssl_certfile else None,
        ssl_keyfile=str(settings.ui_ssl_keyfile) if settings.ui_ssl_keyfile else None,
        prevent_thread_lock=not block,
        **auth_options(access),
    )
    return app
