"""The copywriter tool with the scripted model: channel limits, QA, one regeneration, product matching, drafts."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.core.llm_client import LLMClient
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from tools.context import ToolContext
from tools.copywriter import LIMITS, WriteCopyInput, qa_issues, resolve_products, write_copy

BRAND: dict[str, Any] = {"words_to_avoid": ["cheap"], "claims_allowed": ["free returns within 30 days"]}


def _ctx(workspace: Workspace, *outputs: Any) -> tuple[ToolContext, ScriptedChatModel]:
    model = ScriptedChatModel(outputs=list(outputs))
    ctx = ToolContext.from_settings(Settings(home=workspace.home, llm="scripted"))
    ctx.llm = LLMClient(model)
    return ctx, model


def test_qa_catches_length_placeholders_pii_invented_offers_and_banned_words() -> None:
    assert qa_issues({"body": "Our cake stand is back. Bake something lovely."}, "sms", None, BRAND) == []
    problems = " | ".join(
        qa_issues({"body": "x" * 161}, "sms", None, BRAND)
        + qa_issues({"body": "Hi [first name], see you soon"}, "sms", None, BRAND)
        + qa_issues({"body": "Write to jane.doe@example.com"}, "sms", None, BRAND)
        + qa_issues({"body": "Take 20% off everything"}, "sms", None, BRAND)
        + qa_issues({"body": "A cheap treat for you"}, "sms", None, BRAND)
    )
    for expected in ("161 characters (limit 160)", "placeholder '[first name]'", "personal data",
                     "offer not given by the marketer: '20%", "banned word 'cheap'"):  # fmt: skip
        assert expected in problems
    # An offer the marketer gave, and a claim the brand allows, are fine.
    assert qa_issues({"body": "Take 20% off this weekend"}, "sms", "20% off this weekend", BRAND) == []
    assert qa_issues({"body": "Free returns within 30 days."}, "sms", None, BRAND) == []


def test_a_failing_draft_is_regenerated_once_with_its_problems(demo_workspace: Workspace) -> None:
    bad = {"variants": [{"body": "Hi [name], 50% off the Vintage Cake Stand today only!"}]}
    good = {"variants": [{"body": "The Vintage Cake Stand is back: bake, stack and share something lovely."}]}
    ctx, model = _ctx(demo_workspace, bad, good)
    result = write_copy(WriteCopyInput(channel="sms", products=["vintage cake stands"], n_variants=1), ctx)
    assert result.regenerated and result.draft and result.variants[0].qa_issues == []
    second_prompt = str(model.calls[1]["messages"][-1].content)
    assert "placeholder" in second_prompt and "50%" in second_prompt  # the problems went back to the model
    markdown = result.to_markdown()
    assert markdown.startswith("### DRAFT") and "Vintage Cake Stand" in markdown and "(draft)" in markdown


def test_what_still_fails_after_the_retry_is_trimmed_or_flagged(demo_workspace: Workspace) -> None:
    long_body = "Take 10% off: our linen cushion cover is here " + "and it is lovely " * 20
    ctx, model = _ctx(demo_workspace, *[{"variants": [{"body": long_body}]}] * 2)
    result = write_copy(WriteCopyInput(channel="sms", products=["Linen Cushion Cover"], n_variants=1), ctx)
    variant = result.variants[0]
    assert len(variant.body) <= LIMITS["sms"]["body"] and variant.body.endswith("…")  # trimmed at a word
    assert variant.qa_issues == ["offer not given by the marketer: '10%'"]  # not safe to fix: flagged
    assert result.regenerated and len(model.calls) == 2 and "_QA: offer not given" in result.to_markdown()


def test_products_match_by_id_name_or_plural_words_and_unknown_names_are_errors(demo_workspace: Workspace) -> None:
    ctx, _ = _ctx(demo_workspace)
    by_words = resolve_products(["cushion covers", "soy candles"], ctx)
    assert [p.name for p in by_words] == ["Linen Cushion Cover", "Scented Soy Candle"]
    by_id = resolve_products([by_words[0].product_id], ctx)
    assert by_id == by_words[:1]
    with pytest.raises(ValueError, match="no product matches 'flying carpets'"):
        resolve_products(["flying carpets"], ctx)
