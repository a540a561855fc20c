"""The copywriter tool with the scripted model: channel limits, QA, one regeneration, the stated offer (in any
language) and nothing else, themes without a catalogue match, repetition, drafts."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.core.llm_client import LLMClient
from assistant.core.settings import Settings
from assistant.core.workspace import Workspace
from assistant.llm.scripted import ScriptedChatModel
from tools.context import ToolContext
from tools.copywriter import (
    LIMITS,
    WriteCopyInput,
    invented_terms,
    offer_present,
    parse_offer,
    qa_issues,
    repetition_problems,
    resolve_products,
    write_copy,
)
from tools.copywriter.qa import Review, safe_fix

BRAND: dict[str, Any] = {"words_to_avoid": ["cheap"], "claims_allowed": ["free returns within 30 days"]}


def _ctx(workspace: Workspace, *outputs: Any) -> tuple[ToolContext, ScriptedChatModel]:
    model = ScriptedChatModel(outputs=list(outputs))
    ctx = ToolContext.from_settings(Settings(home=workspace.home, llm="scripted"))
    ctx.llm = LLMClient(model)
    return ctx, model


def _prompt(model: ScriptedChatModel, call: int) -> str:
    return str(model.calls[call]["messages"][-1].content)


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
                     "offer not given by the marketer: '20% off'", "banned word 'cheap'"):  # fmt: skip
        assert expected in problems
    # An offer the marketer gave, and a claim the brand allows, are fine.
    assert qa_issues({"body": "Take 20% off this weekend"}, "sms", "20% off this weekend", BRAND) == []
    assert qa_issues({"body": "Free returns within 30 days."}, "sms", None, BRAND) == []


@pytest.mark.parametrize(
    ("typed", "kind", "values", "threshold", "deadline"),
    [
        ("七折", "percent_off", (30,), None, None),
        ("八五折", "percent_off", (15,), None, None),
        ("7.5折", "percent_off", (25,), None, None),
        ("买一送一", "bogo", (1, 1, 100), None, None),
        ("第二件半价", "bogo", (1, 1, 50), None, None),
        ("满100减20", "amount_off", (20,), 100, None),
        ("2 for 1", "n_for_m", (2, 1), None, None),
        ("2x1", "n_for_m", (2, 1), None, None),
        ("20 % de descuento", "percent_off", (20,), None, None),
        ("20 % Rabatt", "percent_off", (20,), None, None),
        ("-20 % sur tout", "percent_off", (20,), None, None),
        ("envío gratis", "free_shipping", (), None, None),
        ("kostenloser Versand", "free_shipping", (), None, None),
        ("livraison gratuite", "free_shipping", (), None, None),
        ("frete grátis", "free_shipping", (), None, None),
        ("free shipping over £50", "free_shipping", (), 50, None),
        ("free returns until Sunday", "free_returns", (), None, "until Sunday"),
        ("free gift with every order", "gift", (), None, None),
        ("members get early access", "other", (), None, None),
    ],
)
def test_offers_are_read_in_every_language(
    typed: str, kind: str, values: tuple[float, ...], threshold: float | None, deadline: str | None
) -> None:
    offer = parse_offer(typed)
    assert (offer.kind, offer.values, offer.threshold, offer.deadline) == (kind, values, threshold, deadline)


def test_the_same_offer_in_another_language_is_accepted_and_another_discount_is_not() -> None:
    qizhe = parse_offer("七折")
    assert qizhe.describe() == "30% off"
    assert offer_present(qizhe, "Autumn is here: 30% off everything.")
    assert offer_present(qizhe, "秋季新品全场七折！") and offer_present(qizhe, "Jetzt 30 % Rabatt auf alles")
    assert not offer_present(qizhe, "Autumn is here: 20% off everything.")
    assert invented_terms("Autumn is here: 20% off everything.", qizhe, "七折") == ["20% off"]
    assert "offer not given by the marketer: '20% off'" in qa_issues({"body": "Take 20% off now."}, "sms", "七折", {})
    assert qa_issues({"body": "Autumn is here: 30% off everything."}, "sms", "七折", {}) == []

    bogo = parse_offer("买一送一")
    assert offer_present(bogo, "Buy one, get one free on every candle.")
    assert not offer_present(bogo, "Buy one, get one half price.")  # another discount
    assert qa_issues({"body": "Buy one get one free on all candles."}, "sms", "买一送一", {}) == []

    two_for_one = parse_offer("2 for 1")
    assert offer_present(two_for_one, "Cushions are 2 for 1.") and offer_present(two_for_one, "Cojines 2x1.")
    assert not offer_present(two_for_one, "Get 50% off cushions.")
    assert invented_terms("Cushions are 2 for 1 this month.", two_for_one, "2 for 1") == ["this month"]

    shipping = parse_offer("free shipping over £50")
    assert offer_present(shipping, "Envío gratis en pedidos superiores a 50 £.")
    assert not offer_present(shipping, "Free shipping on every order.")  # the condition was dropped
    assert invented_terms("Free shipping on orders over £30.", shipping, "free shipping over £50") == [
        "orders over £30"
    ]


def test_codes_urls_deadlines_and_free_claims_the_marketer_did_not_type_are_found() -> None:
    offer = parse_offer("20% off")
    copy = "Use code SAVE20 for 20% off at www.example-shop.com. Ends midnight! Free gift wrapping too."
    assert invented_terms(copy, offer, "20% off") == [
        "Use code SAVE20",
        "at www.example-shop.com",
        "Ends midnight",
        "Free gift",
    ]
    assert invented_terms("20% off, perfect for a cosy weekend at home.", offer, "20% off") == []
    assert invented_terms("Stress-free gifting: feel free to browse.", None, "") == []


def test_repetition_fails_qa() -> None:
    filler = "Our cushions are here. " + "Soft, warm and lovely for you. " * 5
    assert repetition_problems(filler) == ["repeats the sentence 'soft warm and lovely for you' 5 times"]
    assert repetition_problems("Cosy up this autumn. Cosy up this autumn with our candles.") == [
        "repeats 'cosy up this autumn' 2 times"
    ]
    assert repetition_problems("Don't miss out! Don't miss out! Don't miss out!") == [
        'repeats "don\'t miss out" 3 times'
    ]
    assert repetition_problems("Autumn is here: warm colours, soft textures and cosy evenings at home.") == []
    issues = qa_issues({"body": "Bake, stack and share. " * 3}, "sms", None, {})
    assert issues == ["body repeats the sentence 'bake stack and share' 3 times"]


def test_a_failing_draft_is_regenerated_once_with_its_problems(demo_workspace: Workspace) -> None:
    bad = {"variants": [{"body": "Hi [name], 50% off the Vintage Cake Stand today only!"}]}
    good = {"variants": [{"body": "The Vintage Cake Stand is back: bake, stack and share something lovely."}]}
    ctx, model = _ctx(demo_workspace, bad, good)
    result = write_copy(WriteCopyInput(channel="sms", products=["vintage cake stands"], n_variants=1), ctx)
    assert result.regenerated and result.draft and result.variants[0].qa_issues == []
    second_prompt = _prompt(model, 1)
    assert "placeholder" in second_prompt and "50%" in second_prompt  # the problems went back to the model
    markdown = result.to_markdown()
    assert markdown.startswith("### DRAFT") and "Vintage Cake Stand" in markdown and "(draft)" in markdown


def test_a_dropped_offer_fails_qa_and_the_retry_states_it(demo_workspace: Workspace) -> None:
    dropped = {"variants": [{"body": "Our Linen Cushion Cover is here: soft, simple, made to last."}]}
    kept = {"variants": [{"body": "Our Linen Cushion Cover is here, with free returns until Sunday."}]}
    ctx, model = _ctx(demo_workspace, dropped, kept)
    args = WriteCopyInput(
        channel="sms", products=["Linen Cushion Cover"], offer="free returns until Sunday", n_variants=1
    )
    result = write_copy(args, ctx)
    assert "Offer, to state exactly in every variant: free returns until Sunday" in _prompt(model, 0)
    assert "leaves out the offer 'free returns until Sunday'" in _prompt(model, 1)
    assert result.regenerated and len(model.calls) == 2
    assert result.variants[0].body == kept["variants"][0]["body"] and result.variants[0].qa_issues == []
    model.assert_complete()


def test_only_the_failing_variant_is_regenerated_and_one_that_never_states_the_offer_is_dropped(
    demo_workspace: Workspace,
) -> None:
    good = {"body": "Buy one, get one free on our Scented Soy Candle."}
    without = {"body": "Our Scented Soy Candle fills the room with a warm glow."}
    ctx, model = _ctx(demo_workspace, {"variants": [good, without]}, {"variants": [without]})
    args = WriteCopyInput(channel="sms", products=["soy candles"], offer="买一送一", n_variants=2)
    result = write_copy(args, ctx)
    assert "(meaning: buy one get one free)" in _prompt(model, 0)  # the model is told what 买一送一 means
    assert "Write 1 distinct variant(s)" in _prompt(model, 1)  # the passing variant was kept, not rewritten
    assert [v.body for v in result.variants] == [good["body"]]
    assert result.dropped == ["1 variant dropped: left out the offer '买一送一' even after a retry."]
    assert "variant dropped" in result.to_markdown()


def test_an_invented_code_is_removed_and_flagged(demo_workspace: Workspace) -> None:
    body = "Enjoy 30% off the Linen Cushion Cover with code AUTUMN30. Soft linen for cosy evenings."
    ctx, model = _ctx(demo_workspace, *[{"variants": [{"body": body}]}] * 2)
    args = WriteCopyInput(channel="sms", products=["Linen Cushion Cover"], offer="七折", n_variants=1)
    result = write_copy(args, ctx)
    variant = result.variants[0]
    assert "promo code not given by the marketer: 'with code AUTUMN30'" in _prompt(model, 1)
    assert variant.body == "Enjoy 30% off the Linen Cushion Cover. Soft linen for cosy evenings."
    assert variant.qa_issues == ["removed promo code not given by the marketer: 'with code AUTUMN30'"]
    assert "AUTUMN30" in result.to_markdown().split("_QA:")[1]  # shown only in the flag


def test_what_still_fails_after_the_retry_is_fixed_where_safe_and_flagged(demo_workspace: Workspace) -> None:
    long_body = "Take 10% off: our linen cushion cover is here " + "and it is lovely " * 20
    ctx, model = _ctx(demo_workspace, *[{"variants": [{"body": long_body}]}] * 2)
    result = write_copy(WriteCopyInput(channel="sms", products=["Linen Cushion Cover"], n_variants=1), ctx)
    variant = result.variants[0]
    assert len(variant.body) <= LIMITS["sms"]["body"] and variant.body.endswith("…")  # trimmed at a word
    assert variant.body.startswith("Our linen cushion cover is here")  # the invented discount is gone
    assert variant.qa_issues[0] == "removed offer not given by the marketer: '10% off'"
    assert variant.qa_issues[1].startswith("body repeats 'it is lovely and'")  # not safe to fix: flagged
    assert result.regenerated and len(model.calls) == 2 and "_QA: removed offer" in result.to_markdown()


def test_copy_about_a_theme_needs_no_catalogue_match(demo_workspace: Workspace) -> None:
    copy = {"variants": [{"body": "秋季新品上市：暖色调、柔软质感，全场七折。"}]}
    ctx, model = _ctx(demo_workspace, copy)
    args = WriteCopyInput(
        channel="sms", products=["our new autumn collection"], offer="七折", language="zh", n_variants=1
    )
    result = write_copy(args, ctx)
    assert result.products == [] and result.themes == ["our new autumn collection"]
    assert result.language == "Chinese" and result.variants[0].qa_issues == [] and not result.regenerated
    prompt = _prompt(model, 0)
    assert "Theme (not a catalogue product; no product claims):\n- our new autumn collection" in prompt
    assert "Language: Chinese" in prompt and "七折 (meaning: 30% off)" in prompt
    assert "Theme: our new autumn collection" in result.to_markdown()


def test_products_match_by_id_name_or_plural_words_and_unknown_ids_are_errors(demo_workspace: Workspace) -> None:
    ctx, _ = _ctx(demo_workspace)
    by_words, themes = resolve_products(["cushion covers", "soy candles"], ctx)
    assert [p.name for p in by_words] == ["Linen Cushion Cover", "Scented Soy Candle"] and themes == []
    by_id, _ = resolve_products([by_words[0].product_id], ctx)
    assert by_id == by_words[:1]
    assert resolve_products(["flying carpets", "our summer range"], ctx) == ([], ["flying carpets", "our summer range"])
    # Whole words only: 'lin' (French for linen) is no 'Linen', 'cushion cove' no 'Cushion Cover'.
    assert resolve_products(["lin", "cushion cove"], ctx) == ([], ["lin", "cushion cove"])
    with pytest.raises(ValueError, match="no product has the id 'D999'"):
        resolve_products(["D999"], ctx)


@pytest.mark.parametrize(
    "reply",
    [
        "Sorry, we have no products for you today.",
        "Desculpe, mas não temos produtos para este público.",
        "Leider haben wir zurzeit keine passenden Artikel.",
        "Désolé, nous n’avons pas de produits à vous proposer.",
        "抱歉，我们目前没有相关产品。",
        "As an AI, I cannot write marketing emails.",
        "Se você tiver alguma dúvida, estou aqui para ajudar.",
    ],
)
def test_a_reply_to_the_marketer_is_no_copy(reply: str) -> None:
    assert any("reply to the marketer" in p for p in qa_issues({"body": reply}, "sms", None, BRAND))


@pytest.mark.parametrize(
    "copy",
    [
        "Sorry we missed you! Come back for a look at the new candles.",
        "Leider nur bis Sonntag: die neuen Kerzen, nicht verpassen!",
        "Lamentamos: a coleção de verão acaba domingo, não perca!",
        "Nothing says summer like linen.",
        "Questions about sizing? We are here to help.",
    ],
)
def test_copy_that_only_sounds_sorry_is_copy(copy: str) -> None:
    assert not any("reply to the marketer" in p for p in qa_issues({"body": copy}, "sms", None, BRAND))


def test_a_reply_in_place_of_copy_is_regenerated_and_dropped_if_it_stays(demo_workspace: Workspace) -> None:
    good = {"body": "Our Scented Soy Candle fills the room with a warm glow."}
    reply = {"body": "Sorry, we have no products for this audience today."}
    ctx, model = _ctx(demo_workspace, {"variants": [good, reply]}, {"variants": [reply]})
    result = write_copy(WriteCopyInput(channel="sms", products=["soy candles"], n_variants=2), ctx)
    assert "reply to the marketer" in _prompt(model, 1)  # the problem went back to the model
    assert [v.body for v in result.variants] == [good["body"]]
    assert result.dropped == ["1 variant dropped: replied to the marketer instead of writing copy even after a retry."]
    model.assert_complete()


def test_a_word_said_over_and_over_fails_qa_and_the_safe_fix_says_it_once() -> None:
    body = "Descubre los mejores regalos para Navidad. Navidad, Navidad, Navidad!"
    assert "body repeats 'navidad' 4 times in a row" in qa_issues({"body": body}, "sms", None, BRAND)
    assert repetition_problems("Very very soft linen.") == []  # twice is emphasis
    fixed = safe_fix({"body": body}, "sms", Review())[0]["body"]
    assert fixed.count("Navidad") == 1 and qa_issues({"body": fixed}, "sms", None, BRAND) == []
