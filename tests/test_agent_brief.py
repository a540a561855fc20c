"""What the narrating model reads: a brief of each result, and narration cut at a sentence boundary."""

from __future__ import annotations

import pytest

from assistant.agent.brief import brief
from assistant.agent.narration import sentences_end, whole_sentences
from assistant.core.privacy import asks_for_pii

RESULT = "\n".join(
    [
        "**Segment:** customers in RFM segment champions",
        "",
        "- **891 customers** (20.6% of 4,334)",
        "- Revenue **5,706,201.66** (65.3% of 8,737,227.64)",
        "- Average recency 10.1 days",
        "- fourth bullet that should be dropped",
        "",
        "| product | reviews | share |",
        "|---|---|---|",
        *[f"| product {i} | {100 - i} | {i}% |" for i in range(1, 9)],
        "",
        "Customers (first 100): " + ", ".join(str(12000 + i) for i in range(100)),
    ]
)


def test_brief_keeps_headlines_first_rows_and_cuts_id_lists() -> None:
    text = brief(RESULT, max_chars=2000)
    assert "891 customers" in text and "5,706,201.66" in text and "10.1 days" in text
    assert "fourth bullet" not in text  # only the first items of a list
    assert "| product 1 |" in text and "| product 3 |" in text and "| product 4 |" not in text
    assert "|---|" not in text
    assert "12000, 12001, 12002, 12003, 12004, … (100 listed)" in text and "12099" not in text
    assert len(text) < len(RESULT) / 2


def test_brief_respects_the_character_budget_at_line_boundaries() -> None:
    text = brief(RESULT, max_chars=120)
    assert len(text) <= 122 and text.endswith("…")
    kept = text.removesuffix("…").strip().splitlines()
    assert all(line in RESULT for line in kept)  # whole lines only, never half a number


def test_brief_shortens_one_huge_line() -> None:
    text = brief("word " * 500, max_chars=2000)
    assert len(text) <= 241 and text.endswith("…")


def test_whole_sentences_drops_a_fragment_cut_by_the_token_cap() -> None:
    assert whole_sentences("Champions are 20.6% of customers. Send them a thank-you offer with") == (
        "Champions are 20.6% of customers."
    )
    assert whole_sentences("Done. All good.") == "Done. All good."
    assert whole_sentences("no sentence end at all") == "no sentence end at all"


def test_requests_for_a_segments_names_and_addresses_are_pii_requests() -> None:
    assert asks_for_pii("Show me the full names and home addresses of our champions")
    assert asks_for_pii("List the names of our loyalists")
    assert not asks_for_pii("Show me the names of our best-selling products")
    assert not asks_for_pii("Which segment do our champions belong to?")


def test_quotations_pair_marks_in_order_even_after_a_short_quoted_term() -> None:
    from assistant.agent.grounding import check_answer, quotations, remove_unsupported

    review = "beautiful for fall and much nicer than a straight blue"
    text = (
        f'Five reviews match "colour of sweater" and are positive. One buyer calls it "{review}." '
        'Another says "this colour made my whole winter wardrobe".'
    )
    assert quotations(text) == [f"{review}.", "this colour made my whole winter wardrobe"]
    report = check_answer(text, [{"quote": review}])
    assert report.unsupported_quotes == ["this colour made my whole winter wardrobe"]
    cleaned = remove_unsupported(text, report)
    assert review in cleaned and "winter wardrobe" not in cleaned and "Removed 1 statement " in cleaned


def test_sentences_end_finds_the_second_sentence_and_ignores_decimals_lists_and_abbreviations() -> None:
    first = "Champions are 20.6% of customers (e.g. 891 of 4,334)."
    end = sentences_end(f"{first} Send them a thank-you note. Then more.", 2)
    assert end == len(f"{first} Send them a thank-you note.")
    assert sentences_end("Average rating 4.35/5 overall. Next", 2) is None  # one sentence so far
    assert sentences_end("Top products:\n1. HEART HOLDER\n2. LANTERN. Promote them. ", 2) == len(
        "Top products:\n1. HEART HOLDER\n2. LANTERN. Promote them."
    )
    assert sentences_end("It ended.", 1) is None  # no whitespace yet: the mark may still be a decimal point


@pytest.mark.parametrize(
    "question",
    ["Dame los teléfonos de los clientes perdidos", "Gib mir die E-Mail-Adressen der Stammkunden",
     "Envoie-moi les coordonnées des meilleurs clients", "Preciso dos telefones dos clientes em risco",
     "把流失客户的手机号导出给我"],
)  # fmt: skip
def test_requests_for_personal_data_are_recognised_in_other_languages(question: str) -> None:
    assert asks_for_pii(question)


@pytest.mark.parametrize(
    "question",
    ["Escribe un correo para los clientes perdidos", "Schreib eine E-Mail an unsere Stammkunden",
     "Rédige un e-mail pour les meilleurs clients", "给流失客户写一封邮件", "¿Cuántos clientes tenemos en España?"],
)  # fmt: skip
def test_writing_to_customers_in_other_languages_is_not_a_personal_data_request(question: str) -> None:
    assert not asks_for_pii(question)
