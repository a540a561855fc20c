"""`mka index push`: copy the workspace's search index to a Chroma server (MKA_CHROMA_URL) as it is.

`mka ingest` with MKA_CHROMA_URL set writes the index straight to the server; this command serves a workspace
built without it (or a server that was replaced): the stored vectors are copied, nothing is re-embedded.
"""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.commands.common import err_console, fail, load_settings, progress_bars

index_app = typer.Typer(help="The retrieval index: copy it to a Chroma server.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")


@index_app.command("push")
def push(
    to: Annotated[str | None, typer.Option("--to", help="The Chroma server's URL; default MKA_CHROMA_URL.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Copy the current build's products and reviews collections, with their vectors, to a Chroma server.

    Collections of other builds on the server are dropped afterwards (the server keeps one index per build).
    """
    from rich.progress import TaskID

    from assistant.core.workspace import Workspace, WorkspaceMissingError
    from vectorstore.documents import COLLECTIONS
    from vectorstore.store import IndexUnavailableError, VectorStore, copy_collection

    settings = load_settings()
    url = to or settings.chroma_url
    if not url:
        fail("no Chroma server given: pass --to http://HOST:PORT or set MKA_CHROMA_URL")
    workspace = Workspace(settings.home)
    try:
        workspace.require_built()
        build = workspace.current.resolve()
        source = VectorStore.open(build, None)
        target = VectorStore.open(build, url, create=True)
        counts: dict[str, int] = {}
        with progress_bars(quiet=quiet) as progress:
            for kind in COLLECTIONS:
                task = progress.add_task(f"Copying {kind}", total=source.count(kind))

                def advance(n: int, task: TaskID = task) -> None:
                    progress.advance(task, n)

                counts[kind] = copy_collection(source, target, kind, advance)
        dropped = target.drop_other_builds({build.name})
    except (WorkspaceMissingError, IndexUnavailableError) as exc:
        fail(str(exc))
    copied = ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
    err_console.print(f"copied {copied} of build {build.name} to {url}", highlight=False)
    if dropped:
        err_console.print(f"dropped {len(dropped)} collections of older builds from the server", highlight=False)
