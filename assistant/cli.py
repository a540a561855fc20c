"""`mka`: the command line. Each command lives in assistant/commands/<name>.py and registers itself here.

Command modules import their heavy dependencies inside the command functions, so `mka --help` is quick.
"""

from __future__ import annotations

import typer

from assistant.commands import (
    analyze,
    ask,
    bench,
    digest,
    doctor,
    evaluate,
    index,
    ingest,
    metrics,
    predict,
    recommend,
    search,
    segment,
    sentiment,
    setup,
    slack,
    ui,
    watch,
)

app = typer.Typer(
    name="mka",
    help="The marketing assistant: true numbers about your customers, products and reviews, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (ingest, setup, doctor, ask, evaluate, bench, segment, sentiment, search, recommend, slack, ui, predict,
               analyze):  # fmt: skip
    module.register(app)
for module in (digest, watch):  # proactive reports
    module.register(app)
index.register(app)  # `mka index push`: the search index to a Chroma server
metrics.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
