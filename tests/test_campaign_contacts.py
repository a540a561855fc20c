"""A shop's own campaign contacts, declared in its mapping, train campaign_response at ingest; the bank demo file
(present in the shared data directory) is never used for it. Bad responses stop the ingest and name the cell."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from rich.progress import Progress

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.ingest.errors import IngestError
from assistant.ingest.pipeline import Sources, run_ingest
from assistant.ingest.synthetic_exports import write_export
from tests.conftest import SHARED_DATA
from tools.context import ToolContext
from tools.predict import CampaignResponseInput, PredictionError, campaign_response
from tools.predict.campaign_source import DEMO_SETTING
from tools.predict.common import CONTACTS_TABLE

SKIP_ALL = frozenset({"all"})
SKIP_BUT_PREDICT = frozenset({"segments", "recommender", "sentiment", "index"})


def _ingest(mapping: Path, home: Path, skip: frozenset[str]) -> Settings:
    settings = Settings(home=home, llm="scripted", data_dir=SHARED_DATA)
    with Progress(disable=True) as progress:
        run_ingest(Sources(mapping=mapping), settings, progress, skip_steps=skip)
    return settings


def _raw_contacts(mapping: Path) -> list[dict[str, str]]:
    with open(mapping.parent / "campaign_contacts.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ToolContext, Path]]:
    mapping = write_export("normalised", tmp_path_factory.mktemp("export"), n_orders=300, n_contacts=400)
    ctx = ToolContext.from_settings(_ingest(mapping, tmp_path_factory.mktemp("home"), SKIP_BUT_PREDICT))
    yield ctx, mapping
    ctx.close()


def test_the_mapping_loads_the_shops_campaign_table(shop: tuple[ToolContext, Path]) -> None:
    ctx, mapping = shop
    raw = _raw_contacts(mapping)
    rows = (
        ctx.warehouse()
        .execute(
            "SELECT contact_id, customer_id, campaign, channel, responded, features->>'age' FROM campaign_contacts"
        )
        .fetchall()
    )
    assert len(rows) == len(raw) == 400
    by_id = {r[0]: r for r in rows}
    for line in raw:
        got = by_id[line["contact"]]
        assert got[1:4] == (line["customer_id"], line["campaign"], line["channel"])
        assert got[4] is (line["converted"].lower() in ("yes", "1", "true"))
        assert got[5] == line["age"]


def test_campaign_response_learns_from_the_shop_not_the_bank(
    shop: tuple[ToolContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, mapping = shop
    monkeypatch.setenv(DEMO_SETTING, "bank")  # even asked for the demo, the shop's own data answers
    result = campaign_response(CampaignResponseInput(segment_by="campaign", min_segment_size=10), ctx)
    raw = _raw_contacts(mapping)
    said_yes = {r["contact"] for r in raw if r["converted"].lower() in ("yes", "1", "true")}
    assert result.source == "shop" and "campaign_contacts" in result.learned_from
    assert result.contacts == 400 and result.response_rate == pytest.approx(len(said_yes) / 400, abs=1e-4)
    assert {s.segment for s in result.segments} <= {"spring-sale", "summer-news", "black-friday"}
    assert result.call_first and not said_yes & {str(c.contact_id) for c in result.call_first}
    assert all(str(c.contact_id).startswith("C") for c in result.call_first)
    # Learned at ingest (stored), with held-out figures; the buyers' order history carries the signal.
    assert ctx.warehouse().execute(f"SELECT count(*) FROM {CONTACTS_TABLE}").fetchone() == (400,)
    model = result.evaluation["model"]
    assert result.evaluation["folds"] == 3 and model["roc_auc"] > 0.65
    assert "rfm_frequency" in result.evaluation["features"]
    assert "bank" not in result.to_markdown().lower()


def test_too_few_contacts_says_so_with_the_counts(tmp_path: Path) -> None:
    mapping = write_export("normalised", tmp_path / "x", n_orders=60, n_contacts=50)
    ctx = ToolContext.from_settings(_ingest(mapping, tmp_path / "home", SKIP_ALL))
    try:
        with pytest.raises(PredictionError, match=r"too little campaign data.*50 contacts"):
            campaign_response(CampaignResponseInput(), ctx)
    finally:
        ctx.close()


def test_a_bad_response_names_file_column_and_line_and_leaves_the_workspace(tmp_path: Path) -> None:
    home = tmp_path / "home"
    good = write_export("normalised", tmp_path / "good", n_orders=60)
    _ingest(good, home, SKIP_ALL)
    before = Workspace(home).warehouse_path.read_bytes()
    bad = write_export("normalised", tmp_path / "bad", n_orders=60, n_contacts=30)
    path = bad.parent / "campaign_contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[7] = lines[7].replace(",email,", ",email,maybe-").replace(",sms,", ",sms,maybe-")  # file line 8
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        _ingest(bad, home, SKIP_ALL)
    assert err.value.path == str(path) and err.value.column == "converted" and err.value.row == 8
    assert "is not a response" in str(err.value)
    assert Workspace(home).warehouse_path.read_bytes() == before


def test_a_bad_contact_date_is_named_too(tmp_path: Path) -> None:
    mapping = write_export("normalised", tmp_path / "x", n_orders=60, n_contacts=30)
    path = mapping.parent / "campaign_contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    parts = lines[4].split(",")
    lines[4] = ",".join([*parts[:3], "soon", *parts[4:]])  # file line 5
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        _ingest(mapping, tmp_path / "home", SKIP_ALL)
    assert (err.value.path, err.value.column, err.value.row) == (str(path), "sent_at", 5)


def test_an_sql_campaign_table_keeps_extra_columns_as_features(tmp_path: Path) -> None:
    mapping = write_export("normalised", tmp_path / "x", n_orders=60, n_contacts=20)
    text = mapping.read_text(encoding="utf-8").split("campaign_contacts:")[0]
    mapping.write_text(
        text + "campaign_contacts:\n  sql: SELECT contact AS contact_id, campaign, converted AS responded, "
        "age FROM contacts\n",
        encoding="utf-8",
    )
    ctx = ToolContext.from_settings(_ingest(mapping, tmp_path / "home", SKIP_ALL))
    try:
        row = (
            ctx.warehouse()
            .execute("SELECT count(*), count(customer_id), min(features->>'age') FROM campaign_contacts")
            .fetchone()
        )
        assert row is not None and row[0] == 20 and row[1] == 0 and row[2] is not None
    finally:
        ctx.close()


def test_a_shop_without_the_table_has_no_campaign_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEMO_SETTING, raising=False)
    settings = _ingest(write_export("normalised", tmp_path / "x", n_orders=60), tmp_path / "home", SKIP_ALL)
    con = duckdb.connect(str(Workspace(settings.home).warehouse_path), read_only=True)
    assert con.execute("SELECT count(*) FROM campaign_contacts").fetchone() == (0,)  # created empty
    con.close()
    ctx = ToolContext.from_settings(settings)
    try:
        with pytest.raises(PredictionError, match="this shop has no campaign data"):
            campaign_response(CampaignResponseInput(), ctx)
    finally:
        ctx.close()
