"""campaign_response answers from campaign contacts the workspace may use: another shop, even with the shared
data directory (and its bank file) set, is told it has no campaign data, and no bank scores enter its build."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from rich.progress import Progress

from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.ingest.pipeline import Sources, run_ingest
from assistant.ingest.synthetic_exports import write_export
from tests.conftest import SHARED_DATA
from tools.context import ToolContext
from tools.predict import CampaignResponseInput, PredictionError, campaign_response
from tools.predict.campaign_source import DEMO_SETTING, built_from_shared_data, campaign_source
from tools.predict.common import CONTACTS_TABLE, table_exists
from tools.predict.response_model import BANK_FILE


@pytest.fixture(scope="module")
def other_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolContext]:
    """A synthetic shop's export ingested with the predict step, while the shared data dir is set."""
    mapping = write_export("normalised", tmp_path_factory.mktemp("export"), n_orders=300)
    settings = Settings(home=tmp_path_factory.mktemp("home"), llm="scripted", data_dir=SHARED_DATA)
    skip = frozenset({"segments", "recommender", "sentiment", "index"})
    with Progress(disable=True) as progress:
        run_ingest(Sources(mapping=mapping), settings, progress, skip_steps=skip)
    ctx = ToolContext.from_settings(settings)
    yield ctx
    ctx.close()


def test_another_shop_has_no_campaign_data(other_shop: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEMO_SETTING, raising=False)
    assert not table_exists(other_shop.warehouse(), CONTACTS_TABLE)  # the build did not store bank scores
    with pytest.raises(PredictionError, match="this shop has no campaign data"):
        campaign_response(CampaignResponseInput(), other_shop)


def test_stale_bank_scores_are_not_shown_in_another_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace built before the rule may hold bank scores: the tool still refuses to show them."""
    monkeypatch.delenv(DEMO_SETTING, raising=False)
    settings = Settings(home=tmp_path / "home", llm="scripted", data_dir=SHARED_DATA)
    with Progress(disable=True) as progress:
        run_ingest(Sources(mapping=write_export("normalised", tmp_path / "x", n_orders=60)), settings, progress,
                   skip_steps=frozenset({"all"}))  # fmt: skip
    con = duckdb.connect(str(Workspace(settings.home).warehouse_path))
    con.execute(f"CREATE TABLE {CONTACTS_TABLE} AS SELECT 1 AS contact_id, 0 AS responded, 0.5 AS probability")
    con.close()
    ctx = ToolContext.from_settings(settings)
    try:
        with pytest.raises(PredictionError, match="no campaign data"):
            campaign_response(CampaignResponseInput(), ctx)
    finally:
        ctx.close()


def test_the_bank_demo_belongs_to_the_shared_data_or_an_explicit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEMO_SETTING, raising=False)
    con = duckdb.connect()
    con.execute("CREATE TABLE products (product_id VARCHAR, source VARCHAR)")
    con.execute("INSERT INTO products VALUES ('1', 'uci-online-retail'), ('2', 'clothing-reviews')")
    assert built_from_shared_data(con)
    data_dir = SHARED_DATA if (SHARED_DATA / BANK_FILE).is_file() else None
    if data_dir is not None:
        assert campaign_source(con, data_dir).kind == "bank_demo"
    con.execute("INSERT INTO products VALUES ('3', 'multi-table')")  # another shop's orders appended
    assert not built_from_shared_data(con)
    assert campaign_source(con, data_dir).kind == "none"
    monkeypatch.setenv(DEMO_SETTING, "bank")
    if data_dir is not None:
        assert campaign_source(con, data_dir).kind == "bank_demo"
    con.close()
