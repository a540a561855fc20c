"""The chat UI on the real data with the embedded local model, in a real browser (integration; runs in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core.workspace import Workspace
from tests.helpers.ui import ARTIFACTS, BY_COUNTRY, CHART, UIServer, browser_page, ui_server, wait_for, wait_for_answer

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.subprocess]
MODEL_TIMEOUT_S = 600  # 2 shared cores: routing + narration by the 1.5B model take tens of seconds


@pytest.fixture(scope="module")
def real_ui(
    real_workspace: Workspace, embedded_gguf: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UIServer]:
    env = {"MKA_HOME": str(real_workspace.home), "MKA_LLM": "local", "MKA_GGUF_PATH": str(embedded_gguf),
           "MKA_LLM_THREADS": "2"}  # fmt: skip
    with ui_server(env, tmp_path_factory.mktemp("ui-real") / "server.log") as server:
        yield server


def test_real_question_on_real_data_with_the_embedded_model(real_ui: UIServer, real_workspace: Workspace) -> None:
    at_risk = real_workspace.manifest()["steps"]["segments"]["segments"]["at_risk"]
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as (page, outside):
        page.goto(real_ui.url)
        page.wait_for_selector("#status :text('Your data')")
        page.locator("#examples").get_by_role("button", name=BY_COUNTRY).click()
        wait_for(page, "#chat :text('Tool: segment_query')", MODEL_TIMEOUT_S, real_ui)
        wait_for(page, CHART, MODEL_TIMEOUT_S, real_ui)
        text = wait_for_answer(page, real_ui, timeout_s=MODEL_TIMEOUT_S)
        page.locator("#chat [data-testid=user]").last.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "ui-real.png"), full_page=True)
        assert f"**{at_risk:,} customers**" in page.inner_html("#chat") or f"{at_risk:,} customers" in text
        assert "United Kingdom" in text  # the breakdown by country of the real shop
        assert "Sorry" not in text
        assert outside == [], f"the page tried to reach outside: {outside}"
