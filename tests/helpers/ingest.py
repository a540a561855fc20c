"""Running `mka ingest --mapping` the way the ingest tests do: warehouse only, settings re-read."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from assistant.core.settings import get_settings


def ingest(mapping: Path) -> tuple[int, str]:
    """Exit code and output of a warehouse-only ingest; a crash (not a clean exit) is raised as it is."""
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["ingest", "--mapping", str(mapping), "--quiet", "--skip", "all"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output.strip()
