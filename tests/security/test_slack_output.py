"""Attack cases for what the Slack bot posts: text from reviews, product names, imported data or the model must
never become Slack markup (broadcasts, mentions, channel links, disguised links), whichever part of a message
it lands in. The rendering is pure, so each payload is checked in every place it can appear."""

from __future__ import annotations

import re

import pytest

from assistant.slack.formatting import (
    CopyStep,
    SlackMessage,
    UnsafeLinkError,
    answer_messages,
    escape,
    inline_mrkdwn,
    link,
    notice,
)
from tools.base import Table
from tools.copywriter import CopyResult, CopyVariant, ProductRef

# What customers, imported catalogues or the model could write, aiming at Slack's control syntax.
PAYLOADS = [
    "<!channel> flash sale, everyone look",
    "<!here|here> urgent",
    "<!everyone>",
    "<!subteam^S0123ABCD|@marketing> please approve",
    "ping <@U0123ABCD> and <@W999|boss>",
    "see <#C0123ABCD|general>",
    "<https://evil.example/refund|https://shop.example/refund>",
    "<mailto:attacker@evil.example|Contact support>",
    "[Claim your refund](https://evil.example/phish)",
    "[https://shop.example](https://evil.example/login)",
    "[run me](javascript:alert(1))",
    "<!date^1392734382^{date_pretty}|Feb 18>",
    "&lt;!channel&gt; pre-escaped",
    "tell @channel and @here and @everyone",
    "a > b < c & d",
]
BROADCAST_WORDS = re.compile(r"(?<![\w.\u2060])@(here|channel|everyone)\b", re.I)


def shown_texts(messages: list[SlackMessage]) -> list[str]:
    """Every string Slack would parse as mrkdwn: fallback text, section text, context elements."""
    texts: list[str] = []
    for message in messages:
        texts.append(message.text)
        for block in message.blocks:
            if "text" in block:
                texts.append(block["text"]["text"])
            texts.extend(e["text"] for e in block.get("elements", []))
    return texts


def assert_inert(texts: list[str]) -> None:
    """No Slack control sequence at all: without a raw `<`, no mention, broadcast or link can be formed."""
    for text in texts:
        assert "<" not in text and ">" not in text, f"raw Slack markup in {text!r}"
        assert not BROADCAST_WORDS.search(text), f"bare broadcast word in {text!r}"
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), f"unescaped & in {text!r}"


def copy_with(payload: str) -> CopyResult:
    return CopyResult(
        channel="email",
        audience=payload,
        products=[ProductRef(product_id="D1", name=payload)],
        offer=payload,
        variants=[CopyVariant(subject=payload, preheader=payload, body=payload, cta=payload, qa_issues=[payload])],
        regenerated=False,
        brand="Demo",
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_the_narration_is_posted_as_text(payload: str) -> None:
    answer = f"## {payload}\n\nCustomers said: {payload}\n\n- **{payload}**\n- _{payload}_"
    texts = shown_texts(answer_messages(answer, footer=payload))
    assert_inert(texts)
    assert any("Customers said" in t for t in texts)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_a_table_cell_and_code_block_is_posted_as_text(payload: str) -> None:
    table = Table(title=payload, columns=["product", "units"], rows=[[payload, 3], ["plain", 4]], note=payload)
    answer = table.to_markdown() + f"\n\n```\n{payload}\n```"
    assert_inert(shown_texts(answer_messages(answer)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_copy_drafts_is_posted_as_text(payload: str) -> None:
    copy = copy_with(payload)
    markdown = copy.to_markdown()
    messages = answer_messages(f"Drafts:\n\n{markdown}", [CopyStep(markdown=markdown, result=copy.model_dump())])
    texts = shown_texts(messages)
    if "@evil.example" not in payload:  # (an email address is masked first, so that answer is plain markdown)
        assert any(t.startswith(":memo: *DRAFT") for t in texts)  # the structured copy path was taken
    assert_inert(texts)


def test_a_markdown_link_shows_its_real_address_instead_of_hiding_it() -> None:
    line = inline_mrkdwn("[https://shop.example](https://evil.example/login?a=1&b=2)")
    assert line == "https://shop.example (https://evil.example/login?a=1&amp;b=2)"


def test_text_objects_are_verbatim_so_slack_does_not_link_names_itself() -> None:
    (message,) = answer_messages("Hello team", footer="tools: x")
    objects = [b["text"] for b in message.blocks if "text" in b]
    objects += [e for b in message.blocks for e in b.get("elements", [])]
    assert objects and all(o["type"] == "mrkdwn" and o["verbatim"] is True for o in objects)


def test_escape_keeps_ordinary_at_signs_and_emails() -> None:
    assert escape("price @ 5 for channel partners") == "price @ 5 for channel partners"
    assert escape("ops@channel.example") == "ops@channel.example"
    assert escape("@here") == "@\u2060here"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>",
        "file:///etc/passwd",
        "slack://channel?id=C1",
        "https://ok.example/a|<!channel>",
        "https://ok.example/a>b",
        "https://ok.example/a b",
        "no-scheme.example",
    ],
)
def test_code_written_links_refuse_schemes_outside_the_allow_list(url: str) -> None:
    with pytest.raises(UnsafeLinkError):
        link(url, "label")


def test_code_written_links_escape_their_label() -> None:
    assert link("https://ok.example/?a=1&b=2", "<!channel> docs") == (
        "<https://ok.example/?a=1&amp;b=2|&lt;!channel&gt; docs>"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Exported every customer to `/home/shop/.mka/runs/exports/segment-x.csv`", "`…/segment-x.csv`"),
        ("MKA_GGUF_PATH /opt/models/model.gguf does not exist", "MKA_GGUF_PATH …/model.gguf does not"),
        ("read ~/secrets/ui-users first", "read …/ui-users first"),
    ],
)
def test_server_paths_are_not_posted(text: str, shown: str) -> None:
    texts = shown_texts([*answer_messages(text), notice(text)])
    assert all("/home/" not in t and "/opt/" not in t and "secrets" not in t for t in texts)
    assert all(shown in t for t in texts)


@pytest.mark.parametrize("text", ["see https://shop.example/a/b/c", "returns/refunds ratio is 1/3"])
def test_addresses_and_ratios_are_not_mistaken_for_paths(text: str) -> None:
    assert all(text in t for t in shown_texts(answer_messages(text)))
