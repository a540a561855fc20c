"""Running generated SQL safely: named bound parameters only, a wall-time limit, and a record of what ran.

Row caps are LIMIT clauses in the SQL itself (bound values), so the record shows them too.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd
from pydantic import BaseModel, Field

QUERY_TIMEOUT_S = 20.0
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)\b")


class QueryTimeoutError(RuntimeError):
    """A warehouse query ran past the time limit and was interrupted."""


class ExecutedQuery(BaseModel):
    """One SQL statement exactly as run, with its bound parameter values."""

    purpose: str
    sql: str
    params: dict[str, Any] = Field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def run_query(
    cur: duckdb.DuckDBPyConnection,
    purpose: str,
    sql: str,
    params: dict[str, Any],
    log: list[ExecutedQuery],
    timeout_s: float = QUERY_TIMEOUT_S,
) -> pd.DataFrame:
    """Run `sql` with the parameters it names (and only those); interrupt it after `timeout_s` seconds."""
    used = {name: params[name] for name in dict.fromkeys(_PARAM.findall(sql))}
    log.append(ExecutedQuery(purpose=purpose, sql=sql, params={k: _jsonable(v) for k, v in used.items()}))
    timer = threading.Timer(timeout_s, cur.interrupt)
    timer.start()
    try:
        frame = cur.execute(sql, used).df()
    except duckdb.InterruptException as exc:
        raise QueryTimeoutError(f"{purpose} query stopped after {timeout_s:g} s (the time limit)") from exc
    finally:
        timer.cancel()
    return frame
