"""The Slack bot's pure parts: mrkdwn and Block Kit rendering, copy drafts, charts, de-duplication, event parsing,
settings and the app manifest. No server, no agent."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from assistant.render.charts import chart_filename, render_png
from assistant.slack.dedupe import SeenEvents
from assistant.slack.formatting import (
    MAX_BLOCKS,
    SECTION_CHARS,
    CopyStep,
    answer_messages,
    inline_mrkdwn,
    markdown_blocks,
    table_text,
)
from assistant.slack.incoming import clean_text, question_from_event
from assistant.slack.settings import SlackSettings, SlackSettingsError
from tools.base import ChartSpec, Series, Table
from tools.copywriter import CopyResult, CopyVariant, ProductRef

MANIFEST = Path(__file__).resolve().parent.parent / "assistant" / "slack" / "manifest.yaml"


def section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


# ---------------------------------------------------------------- mrkdwn


def test_inline_markdown_becomes_slack_mrkdwn() -> None:
    line = "**Top** products with *care* & <tags> ~~old~~ [see](https://x.example/a?b=1&c=2) `code`"
    assert inline_mrkdwn(line) == (
        # A link from the answer is shown as text with its address: Slack links are never built from data.
        "*Top* products with _care_ &amp; &lt;tags&gt; ~old~ see (https://x.example/a?b=1&amp;c=2) `code`"
    )
    assert inline_mrkdwn("### DRAFT — **email** copy") == "*DRAFT — email copy*"
    assert inline_mrkdwn("- first") == "• first" and inline_mrkdwn("  * nested") == "  • nested"
    assert inline_mrkdwn("_where the numbers come from_") == "_where the numbers come from_"


def test_tables_become_aligned_code_blocks_with_numbers_right_aligned() -> None:
    table = Table(
        title="Top countries",
        columns=["country", "customers", "revenue"],
        rows=[["United Kingdom", 3950, 7308391.55], ["EIRE", 3, 250285.22], ["a|b", 12, 0.5]],
        note="Completed orders only.",
    )
    blocks = markdown_blocks(table.to_markdown())
    text = "\n\n".join(section_texts(blocks))
    assert "*Top countries*" in text and "_Completed orders only._" in text
    code = text.split("```\n", 1)[1].split("\n```", 1)[0]
    lines = code.split("\n")
    assert lines[0].split() == ["country", "customers", "revenue"]
    assert set(lines[1].replace(" ", "")) == {"-"}  # a rule under the header instead of |---|
    assert "|" not in code.replace("a|b", "")
    assert lines[2].startswith("United Kingdom") and lines[2].endswith("7,308,391.55")
    # Right-aligned numbers end in the same column.
    assert len({len(line) for line in lines[2:]}) == 1
    assert "a|b" in code


def test_table_text_pads_short_rows() -> None:
    text = table_text(["| a | b |", "|---|---|", "| 1 |"])
    assert text.split("\n")[2].strip() == "1"


def test_long_answers_respect_slack_limits() -> None:
    rows = [[f"product {i}", i, i * 1.5] for i in range(400)]
    table = Table(columns=["name", "units", "revenue"], rows=rows).to_markdown(max_rows=400)
    prose = "\n\n".join(f"Paragraph {i}: " + "words " * 120 for i in range(300))
    messages = answer_messages(table + "\n\n" + prose, footer="tools: x")
    assert len(messages) > 1
    for message in messages:
        assert 1 <= len(message.blocks) <= MAX_BLOCKS
        for text in section_texts(message.blocks):
            assert len(text) <= SECTION_CHARS
            assert text.count("```") % 2 == 0  # every code piece is closed in its own block
        assert len(message.text) <= 3000
    everything = "\n".join(t for m in messages for t in section_texts(m.blocks))
    assert "product 399" in everything and "Paragraph 299:" in everything
    assert messages[-1].blocks[-1]["type"] == "context"  # the footer comes last


def test_personal_data_never_leaves_through_formatting() -> None:
    answer = (
        "Contact jane.doe@example.com or +44 7700 900123 today.\n\n| id | email |\n|---|---|\n| 1 | bob@shop.example |"
    )
    (message,) = answer_messages(answer)
    shown = message.text + "".join(section_texts(message.blocks))
    assert "jane.doe@example.com" not in shown and "7700 900123" not in shown and "bob@shop.example" not in shown
    assert "[email]" in shown and "[phone]" in shown


# ---------------------------------------------------------------- copy drafts


def copy_result() -> CopyResult:
    return CopyResult(
        channel="email",
        audience="loyal customers",
        products=[ProductRef(product_id="D101", name="Linen Summer Dress")],
        offer=None,
        variants=[
            CopyVariant(subject="Summer is here", body="Our Linen Summer Dress is back.", cta="Shop now"),
            CopyVariant(
                subject="Made for warm days", body="Light linen for long evenings.", qa_issues=["subject long"]
            ),
        ],
        regenerated=False,
        brand="Demo",
    )


def test_copy_variants_are_separate_blocks_labelled_draft() -> None:
    copy = copy_result()
    markdown = copy.to_markdown()
    answer = f"Here are two drafts.\n\n{markdown}\n\nPick the one you like."
    (message,) = answer_messages(answer, [CopyStep(markdown=markdown, result=copy.model_dump(mode="json"))])
    texts = section_texts(message.blocks)
    assert texts[0] == "Here are two drafts."
    assert texts[1].startswith(":memo: *DRAFT — email copy for loyal customers*")
    assert "Linen Summer Dress (D101)" in texts[1]
    variants = [t for t in texts if t.startswith("*Variant ")]
    assert len(variants) == 2 and all("DRAFT" in v for v in variants)
    assert "*Subject:* Summer is here" in variants[0] and "*Button:* Shop now" in variants[0]
    assert "Light linen for long evenings." in variants[1]
    notes = [b["elements"][0]["text"] for b in message.blocks if b["type"] == "context"]
    assert notes == ["Draft — review before sending.", "Draft — review before sending. QA: subject long"]
    assert texts[-1] == "Pick the one you like."
    assert sum(t.count("Our Linen Summer Dress is back.") for t in texts) == 1  # not rendered twice


def test_copy_step_that_is_not_in_the_answer_falls_back_to_the_markdown() -> None:
    copy = copy_result()
    (message,) = answer_messages("Just text.", [CopyStep(markdown="### something else", result={"not": "copy"})])
    assert section_texts(message.blocks) == ["Just text."]
    assert copy.to_markdown()  # the real model still renders


# ---------------------------------------------------------------- charts


@pytest.mark.parametrize("kind", ["bar", "barh", "line", "pie"])
def test_every_chart_kind_renders_a_png(kind: str) -> None:
    spec = ChartSpec(
        kind=kind,  # type: ignore[arg-type]
        title="Revenue by segment",
        x=["Champions", "Loyal", "At risk with a very long segment name indeed"],
        series=[Series(name="revenue", values=[120.0, 80.5, 30.0])],
        y_label="GBP",
    )
    png = render_png(spec)
    assert png.startswith(b"\x89PNG") and len(png) > 2000


def test_chart_with_mismatched_series_is_refused_by_name() -> None:
    spec = ChartSpec(title="Bad", x=["a", "b"], series=[Series(name="units", values=[1.0])])
    with pytest.raises(ValueError, match="units"):
        render_png(spec)
    assert chart_filename(ChartSpec(title="Top 10 / products!", x=["a"], series=[]), 2) == "02-top-10-products.png"


# ---------------------------------------------------------------- de-duplication


def test_seen_events_remembers_then_forgets_after_the_ttl() -> None:
    now = [1000.0]
    seen = SeenEvents(ttl_seconds=60, clock=lambda: now[0])
    assert seen.first_time("Ev1") and not seen.first_time("Ev1") and seen.first_time("Ev2")
    now[0] += 61
    assert seen.first_time("Ev1") and len(seen) == 1


def test_seen_events_is_bounded_and_thread_safe() -> None:
    seen = SeenEvents(max_keys=3)
    for key in "abcd":
        seen.first_time(key)
    assert len(seen) == 3 and seen.first_time("a")  # the oldest was dropped

    shared = SeenEvents()
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def offer() -> None:
        barrier.wait()
        wins.append(shared.first_time("EvSame"))

    threads = [threading.Thread(target=offer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    with pytest.raises(ValueError, match="ttl_seconds"):
        SeenEvents(ttl_seconds=0)


# ---------------------------------------------------------------- incoming events


def test_clean_text_removes_the_bot_mention_and_unwraps_slack_markup() -> None:
    text = "<@UBOT> compare <#C123|marketing> with <@U999> &amp; see <https://x.example|the report> <!here>"
    assert clean_text(text, bot_user_id="UBOT") == "compare #marketing with @someone & see the report"
    assert clean_text("mail <mailto:a@b.example|a@b.example> &lt;3") == "mail a@b.example <3"


def test_question_from_event_ignores_edits_bots_and_keys_memory_by_thread() -> None:
    base = {"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "ts": "1.1", "channel": "C1"}
    root = question_from_event(base, "T1", "UBOT")
    assert root is not None and root.text == "hi" and root.thread_ts == "1.1"
    reply = question_from_event({**base, "ts": "1.2", "thread_ts": "1.1"}, "T1", "UBOT")
    other = question_from_event({**base, "ts": "2.1"}, "T1", "UBOT")
    assert reply is not None and other is not None
    assert reply.conversation_id == root.conversation_id != other.conversation_id
    assert reply.message_key != root.message_key
    assert question_from_event({**base, "subtype": "message_changed"}, "T1", "UBOT") is None
    assert question_from_event({**base, "bot_id": "B2"}, "T1", "UBOT") is None
    assert question_from_event({**base, "user": "UBOT"}, "T1", "UBOT") is None
    assert question_from_event({k: v for k, v in base.items() if k != "user"}, "T1", "UBOT") is None


# ---------------------------------------------------------------- settings and manifest


def test_settings_name_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "MKA_SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SlackSettingsError, match="SLACK_BOT_TOKEN is not set"):
        SlackSettings().require(http=False)
    with pytest.raises(SlackSettingsError, match="SLACK_APP_TOKEN is not set"):
        SlackSettings(SLACK_BOT_TOKEN="xoxb-1").require(http=False)
    with pytest.raises(SlackSettingsError, match="SLACK_SIGNING_SECRET is not set"):
        SlackSettings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1").require(http=True)
    with pytest.raises(SlackSettingsError, match="SLACK_BOT_TOKEN should start with 'xoxb-'"):
        SlackSettings(SLACK_BOT_TOKEN="xapp-wrong", SLACK_SIGNING_SECRET="s").require(http=True)
    with pytest.raises(ValueError, match="MKA_SLACK_API_URL"):
        SlackSettings(MKA_SLACK_API_URL="ftp://nope")
    ok = SlackSettings(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", MKA_SLACK_API_URL="http://127.0.0.1:9/api")
    ok.require(http=True)
    assert ok.api_url == "http://127.0.0.1:9/api/" and "xoxb-1" not in repr(ok)


def test_manifest_asks_for_what_the_bot_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {"app_mentions:read", "chat:write", "im:history",
                                                              "files:write"}  # fmt: skip
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
