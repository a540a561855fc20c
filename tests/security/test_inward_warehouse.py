"""The warehouse as tools and eval SQL see it: one sealed, read-only database file, following the current build.

Each attack is a statement a model's arguments or an eval YAML could carry; every one must fail on the sealed
connection, and the warehouse file must be byte-for-byte the same afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.evals.checks import CheckContext
from tools.context import ToolContext


def build(home: Path, customers: int) -> Path:
    """A tiny workspace build with `customers` rows, made current; returns the build directory."""
    workspace = Workspace(home)
    with workspace.build() as b:
        con = duckdb.connect(str(b.warehouse_path))
        con.execute("CREATE TABLE customers AS SELECT range AS customer_id FROM range(?)", [customers])
        con.close()
        b.write_manifest({"synthetic": True})
        path = b.path
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path, Path]]:
    home = tmp_path_factory.mktemp("sealed")
    build(home, 3)
    workspace = Workspace(home)
    before = workspace.warehouse_path.resolve()
    checksum = sha256(before)
    con = workspace.connect(read_only=True)
    yield con, home, before
    con.close()
    assert sha256(before) == checksum, "an attack changed the warehouse"


SECRET = Path("/etc/hostname") if Path("/etc/hostname").exists() else Path("/etc/passwd")

ATTACKS = {
    "read_csv of a system file": f"SELECT * FROM read_csv('{SECRET}')",
    "read_csv_auto": "SELECT * FROM read_csv_auto('/etc/passwd')",
    "read_text": "SELECT * FROM read_text('/etc/passwd')",
    "glob the file system": "SELECT * FROM glob('/etc/*')",
    "read_parquet": "SELECT * FROM read_parquet('/tmp/anything.parquet')",
    "read_json over http": "SELECT * FROM read_json('http://127.0.0.1:9/x.json')",
    "COPY a table to a file": "COPY customers TO '{tmp}/stolen.csv'",
    "COPY a query to a file": "COPY (SELECT 42) TO '{tmp}/stolen.parquet' (FORMAT parquet)",
    "EXPORT DATABASE": "EXPORT DATABASE '{tmp}/dump'",
    "INSTALL an extension": "INSTALL httpfs",
    "LOAD an extension": "LOAD httpfs",
    "FORCE INSTALL from a URL": "FORCE INSTALL json FROM 'http://127.0.0.1:9'",
    "ATTACH another database": "ATTACH '{tmp}/other.duckdb' AS other",
    "ATTACH in memory": "ATTACH ':memory:' AS scratch",
    "turn external access back on": "SET enable_external_access = true",
    "unlock the configuration": "SET lock_configuration = false",
    "raise the memory limit": "SET memory_limit = '64GB'",
    "allow unsigned extensions": "SET allow_unsigned_extensions = true",
    "write to the warehouse": "INSERT INTO customers VALUES (99)",
    "drop a table": "DROP TABLE customers",
    "create a table": "CREATE TABLE leak AS SELECT 1",
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_the_tool_connection_refuses(
    attack: str, sealed: tuple[duckdb.DuckDBPyConnection, Path, Path], tmp_path: Path
) -> None:
    con, _, _ = sealed
    with pytest.raises(duckdb.Error):
        con.cursor().execute(ATTACKS[attack].format(tmp=tmp_path)).fetchall()
    assert not list(tmp_path.iterdir()), "the attack wrote a file"


def test_the_sealed_connection_still_answers_queries(sealed: tuple[duckdb.DuckDBPyConnection, Path, Path]) -> None:
    con, _, _ = sealed
    assert con.cursor().execute("SELECT count(*) FROM customers").fetchone() == (3,)
    settings = dict(con.cursor().execute("SELECT name, value FROM duckdb_settings()").fetchall())
    assert settings["enable_external_access"] == "false" and settings["lock_configuration"] == "true"
    assert settings["autoload_known_extensions"] == "false" and settings["threads"] == "2"


def test_eval_expect_sql_runs_on_a_sealed_connection(sealed: tuple[duckdb.DuckDBPyConnection, Path, Path]) -> None:
    """The eval runner opens its own connection with `Workspace.connect`; an `expect.sql` reading files fails."""
    _, home, _ = sealed
    con = Workspace(home).connect(read_only=True)
    check = CheckContext(con=con)
    with pytest.raises(duckdb.Error):
        check.con.execute(check.expand("SELECT count(*) FROM read_csv('/etc/passwd')")).fetchone()
    con.close()


def test_a_running_context_follows_a_reingest(tmp_path: Path) -> None:
    """After an ingest swaps `current`, the same ToolContext queries the new build, not the deleted one."""
    home = tmp_path / "home"
    first = build(home, 3)
    ctx = ToolContext.from_settings(Settings(home=home, llm="scripted"))
    assert ctx.warehouse().execute("SELECT count(*) FROM customers").fetchone() == (3,)
    cached = ctx.resource("derived-from-build", lambda: "old build's model")
    second = build(home, 5)
    assert not first.exists() and second != first  # the old build is gone from disk
    assert ctx.warehouse().execute("SELECT count(*) FROM customers").fetchone() == (5,)
    assert ctx.resource("derived-from-build", lambda: "new build's model") == "new build's model" != cached
    ctx.close()
